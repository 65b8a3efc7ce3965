package testcluster

import (
	"testing"

	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
)

func TestAppBuildsItsDeploymentAndService(t *testing.T) {
	cases := map[string]struct {
		app App
		// want
		image           string
		containerPort   int32
		servicePortName string
		probe           bool
	}{
		"zero fields take the loopback image, port 8080 and a Service port named http": {
			app:   App{Name: "web", Namespace: "ns", Replicas: 2},
			image: AppImage, containerPort: 8080, servicePortName: "http",
		},
		"a readiness probe is added only when asked for": {
			app:   App{Name: "web", Replicas: 1, ReadinessProbe: true},
			image: AppImage, containerPort: 8080, servicePortName: "http", probe: true,
		},
		"image, container port and Service port name are the caller's": {
			app:   App{Name: "api", Replicas: 3, Image: "registry.example/web:1", ContainerPort: 9090, ServicePortName: "web"},
			image: "registry.example/web:1", containerPort: 9090, servicePortName: "web",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			d, svc := tc.app.Deployment(), tc.app.Service()

			if d.Name != tc.app.Name || d.Namespace != tc.app.Namespace || svc.Name != tc.app.Name || svc.Namespace != tc.app.Namespace {
				t.Errorf("objects are %s/%s and %s/%s, want both %s/%s", d.Namespace, d.Name, svc.Namespace, svc.Name, tc.app.Namespace, tc.app.Name)
			}
			if got := ptr.Deref(d.Spec.Replicas, -1); got != tc.app.Replicas {
				t.Errorf("replicas = %d, want %d", got, tc.app.Replicas)
			}
			ru := d.Spec.Strategy.RollingUpdate
			if ru == nil || *ru.MaxSurge != intstr.FromInt32(1) || *ru.MaxUnavailable != intstr.FromInt32(0) {
				t.Errorf("rolling update = %+v, want maxSurge 1, maxUnavailable 0", ru)
			}
			want := map[string]string{"app": tc.app.Name}
			for what, got := range map[string]map[string]string{
				"deployment selector": d.Spec.Selector.MatchLabels,
				"pod labels":          d.Spec.Template.Labels,
				"service selector":    svc.Spec.Selector,
			} {
				if len(got) != 1 || got["app"] != want["app"] {
					t.Errorf("%s = %v, want %v", what, got, want)
				}
			}

			cs := d.Spec.Template.Spec.Containers
			if len(cs) != 1 {
				t.Fatalf("%d containers, want 1", len(cs))
			}
			c := cs[0]
			if c.Name != "app" || c.Image != tc.image {
				t.Errorf("container %s image %s, want app image %s", c.Name, c.Image, tc.image)
			}
			if len(c.Ports) != 1 || c.Ports[0].Name != "http" || c.Ports[0].ContainerPort != tc.containerPort {
				t.Errorf("container ports = %+v, want http:%d", c.Ports, tc.containerPort)
			}
			if tc.probe {
				p := c.ReadinessProbe
				if p == nil || p.HTTPGet == nil || p.HTTPGet.Path != "/healthz" || p.HTTPGet.Port != intstr.FromString("http") || p.PeriodSeconds != 1 {
					t.Errorf("readiness probe = %+v, want GET /healthz on http every second", p)
				}
			} else if c.ReadinessProbe != nil {
				t.Errorf("readiness probe = %+v, want none", c.ReadinessProbe)
			}

			ports := svc.Spec.Ports
			if len(ports) != 1 || ports[0].Name != tc.servicePortName || ports[0].Port != 80 || ports[0].TargetPort != intstr.FromString("http") {
				t.Errorf("service ports = %+v, want %s 80 -> http", ports, tc.servicePortName)
			}
		})
	}
}

func TestAppBuildsFreshObjectsEachCall(t *testing.T) {
	a := App{Name: "web", Replicas: 1, ReadinessProbe: true}
	first := a.Deployment()
	first.Spec.Template.Labels["mutated"] = "yes"
	first.Spec.Template.Spec.Containers[0].ReadinessProbe.PeriodSeconds = 5
	second := a.Deployment()
	if _, ok := second.Spec.Template.Labels["mutated"]; ok {
		t.Errorf("a mutation of one Deployment's labels shows in the next: %v", second.Spec.Template.Labels)
	}
	if p := second.Spec.Template.Spec.Containers[0].ReadinessProbe.PeriodSeconds; p != 1 {
		t.Errorf("a mutation of one Deployment's probe shows in the next: period %d", p)
	}
	if first.Spec.Selector.MatchLabels["mutated"] != "" {
		t.Errorf("the pod labels share a map with the selector: %v", first.Spec.Selector.MatchLabels)
	}
}
