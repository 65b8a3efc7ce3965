package manifests

import (
	"encoding/json"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

func allOptions(t *testing.T) string {
	return filepath.Join(repoRoot(t), "test", "manifests", "testdata", "all-options.yaml")
}

func TestChartLint(t *testing.T) {
	for name, values := range map[string][]string{
		"default values":   nil,
		"every option set": {"--values", allOptions(t)},
	} {
		t.Run(name, func(t *testing.T) {
			helm(t, append([]string{"lint", "--strict", chartDir(t)}, values...)...)
		})
	}
}

// TestChartRefusesBadValues: values.schema.json and the templates turn a
// typo or an impossible setting into an error that names it, instead of a
// release that silently ignores it.
func TestChartRefusesBadValues(t *testing.T) {
	cases := map[string]struct {
		set  []string
		want string
	}{
		"a misspelled top-level key":     {[]string{"replicsa=3"}, "replicsa"},
		"a misspelled nested key":        {[]string{"metrics.serviceMonitor.enabeld=true"}, "enabeld"},
		"a digest that is a tag":         {[]string{"image.digest=latest"}, "digest"},
		"a flag without its dashes":      {[]string{"extraArgs[0]=drift-check-interval=1m"}, "extraArgs"},
		"no replicas":                    {[]string{"replicaCount=0"}, "replicaCount"},
		"an account ID that is not one":  {[]string{"aws.accountID=12345"}, "accountID"},
		"a role ARN that is not a role":  {[]string{"serviceAccount.roleARN=arn:aws:iam::123456789012:user/x"}, "roleARN"},
		"static keys asked for, not set": {[]string{"aws.staticCredentials.create=true"}, "aws.staticCredentials.accessKeyID"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			args := []string{"template", "tgc", chartDir(t)}
			for _, s := range c.set {
				args = append(args, "--set", s)
			}
			out, err := tryHelm(t, args...)
			if err == nil {
				t.Fatalf("helm template --set %v succeeded; want an error naming %q", c.set, c.want)
			}
			if !strings.Contains(out, c.want) {
				t.Errorf("helm template --set %v failed without naming %q:\n%s", c.set, c.want, out)
			}
		})
	}
}

// TestChartMatchesKustomize holds the chart with default values against
// `kubectl kustomize config/default`: the same objects, RBAC rules,
// container arguments, webhooks and Services. The chart adds only its
// labels; kustomize adds the Namespace, which `helm install
// --create-namespace` creates.
func TestChartMatchesKustomize(t *testing.T) {
	chart := byKey(objects(t, render(t)))
	kust := byKey(objects(t, kubectlOutput(t, "kustomize", filepath.Join(repoRoot(t), "config", "default"))))
	delete(kust, "Namespace//tgc-system")

	if got, want := sortedKeys(chart), sortedKeys(kust); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("the chart and config/default install different objects:\nchart:     %v\nkustomize: %v", got, want)
	}
	for key, k := range kust {
		c := chart[key]
		for _, field := range comparedFields(k.GetKind()) {
			got, want := field(c), field(k)
			if got != want {
				t.Errorf("%s differs:\nchart:     %s\nkustomize: %s", key, got, want)
			}
		}
	}
}

// comparedFields is what must be equal in the two installs, by kind.
func comparedFields(kind string) []func(*unstructured.Unstructured) string {
	field := func(path ...string) func(*unstructured.Unstructured) string {
		return func(u *unstructured.Unstructured) string {
			v, _, _ := unstructured.NestedFieldNoCopy(u.Object, path...)
			return path[len(path)-1] + "=" + canonical(v)
		}
	}
	switch kind {
	case "ClusterRole", "Role":
		return []func(*unstructured.Unstructured) string{rules}
	case "ClusterRoleBinding", "RoleBinding":
		return []func(*unstructured.Unstructured) string{field("roleRef"), field("subjects")}
	case "Deployment":
		container := func(name string) func(*unstructured.Unstructured) string {
			return func(u *unstructured.Unstructured) string {
				cs, _, _ := unstructured.NestedSlice(u.Object, "spec", "template", "spec", "containers")
				if len(cs) != 1 {
					return "containers=" + canonical(cs)
				}
				return "container." + name + "=" + canonical(cs[0].(map[string]any)[name])
			}
		}
		return []func(*unstructured.Unstructured) string{
			field("spec", "replicas"), field("spec", "selector"),
			field("spec", "template", "spec", "serviceAccountName"), field("spec", "template", "spec", "securityContext"),
			field("spec", "template", "spec", "topologySpreadConstraints"),
			container("args"), container("env"), container("envFrom"), container("ports"),
			container("securityContext"), container("livenessProbe"), container("readinessProbe"), container("resources"),
		}
	case "MutatingWebhookConfiguration", "ValidatingWebhookConfiguration":
		return []func(*unstructured.Unstructured) string{field("webhooks")}
	case "Service":
		return []func(*unstructured.Unstructured) string{field("spec", "selector"), field("spec", "ports")}
	case "PodDisruptionBudget":
		return []func(*unstructured.Unstructured) string{field("spec")}
	case "CustomResourceDefinition":
		return []func(*unstructured.Unstructured) string{field("spec")}
	}
	return nil
}

// rules is a role's rules in a canonical order, so that two roles granting
// the same are equal however their rules are listed.
func rules(u *unstructured.Unstructured) string {
	rs, _, _ := unstructured.NestedSlice(u.Object, "rules")
	var out []string
	for _, r := range rs {
		rule := r.(map[string]any)
		for k, v := range rule {
			if list, ok := v.([]any); ok {
				s := make([]string, len(list))
				for i, e := range list {
					s[i] = e.(string)
				}
				sort.Strings(s)
				rule[k] = s
			}
		}
		out = append(out, canonical(rule))
	}
	sort.Strings(out)
	return "rules=" + strings.Join(out, "\n")
}

func canonical(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return err.Error()
	}
	return string(b)
}

// byKey indexes objects by kind/namespace/name; the chart's objects are all
// rendered into tgc-system, kustomize's get it from config/default.
func byKey(objs []*unstructured.Unstructured) map[string]*unstructured.Unstructured {
	m := map[string]*unstructured.Unstructured{}
	for _, o := range objs {
		m[o.GetKind()+"/"+o.GetNamespace()+"/"+o.GetName()] = o
	}
	return m
}

func sortedKeys(m map[string]*unstructured.Unstructured) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
