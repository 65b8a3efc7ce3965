package scenario

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	"github.com/tgc-dev/targetgroupcontroller/api/v1alpha1"
	"github.com/tgc-dev/targetgroupcontroller/bench/measure"
	"github.com/tgc-dev/targetgroupcontroller/test/process"
)

// targetPort is the container port every bound endpoint listens on, and
// the target groups' port.
const targetPort = 8080

// managedBy marks the EndpointSlices the driver writes, in the
// endpointslice.kubernetes.io/managed-by label the EndpointSlice
// controller sets to its own name on the slices it owns.
const managedBy = "tgc-bench"

// podIP is the n-th address of the pod CIDR 10.244.0.0/16, skipping .0
// and .255 of each /24 so that no address looks like a network or
// broadcast address: 65,024 addresses, enough for the 60,000 of the
// memory scenario. Nothing ever dials them (health checks are
// simulated).
func podIP(n int) string {
	return fmt.Sprintf("10.244.%d.%d", n/254, n%254+1)
}

// targetID is how the emulator logs an endpoint's target.
func targetID(ip string) string { return net.JoinHostPort(ip, strconv.Itoa(targetPort)) }

// ipAllocator hands out pod IPs in order.
type ipAllocator struct {
	mu   sync.Mutex
	next int
}

func (a *ipAllocator) take() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	ip := podIP(a.next)
	a.next++
	return ip
}

// service is one bound Service: its EndpointSlices as last written, and
// its target group.
type service struct {
	name    string
	binding string
	group   string
	// slices are the live objects, updated from every write's answer.
	slices []*discoveryv1.EndpointSlice
	// nextSlice numbers new slices.
	nextSlice int
}

// ips returns the addresses in the service's slices, and whether each is
// ready.
func (s *service) ips() []endpointRef {
	var out []endpointRef
	for i, sl := range s.slices {
		for j, ep := range sl.Endpoints {
			out = append(out, endpointRef{slice: i, pos: j, ip: ep.Addresses[0], ready: ptr.Deref(ep.Conditions.Ready, false)})
		}
	}
	return out
}

type endpointRef struct {
	slice, pos int
	ip         string
	ready      bool
}

// fleet is many bindings, each on its own selector-less Service, whose
// EndpointSlices the driver writes, and its own target group.
type fleet struct {
	services []*service
}

// groups lists the target group ARNs.
func (f *fleet) groups() []string {
	out := make([]string, len(f.services))
	for i, s := range f.services {
		out[i] = s.group
	}
	return out
}

// readyTargets is, per group, the targets of its ready endpoints.
func (f *fleet) readyTargets() map[string][]string {
	out := map[string][]string{}
	for _, s := range f.services {
		for _, ep := range s.ips() {
			if ep.ready {
				out[s.group] = append(out[s.group], targetID(ep.ip))
			}
		}
	}
	return out
}

// newFleet creates bindings Services with endpoints ready endpoints each
// (slices of at most maxPerSlice), a target group per binding behind a
// listener of the scenario's load balancer (so that its targets are in use
// and go initial -> healthy, as behind a real load balancer), and the
// binding. Targets are not registered: seed does that. With inSync the
// bindings carry tgc's finalizer, as a controller that synced them before
// left them, so that a restart does not count a first-time finalizer write
// per binding.
func (e *env) newFleet(ctx context.Context, ips *ipAllocator, bindings, endpoints, maxPerSlice, workers int, inSync bool) (*fleet, error) {
	f := &fleet{services: make([]*service, bindings)}
	for i := range bindings {
		s := &service{name: "svc-" + strconv.Itoa(i), binding: "tgb-" + strconv.Itoa(i)}
		var all []discoveryv1.Endpoint
		for range endpoints {
			all = append(all, readyEndpoint(ips.take()))
		}
		for len(all) > 0 {
			n := min(maxPerSlice, len(all))
			s.slices = append(s.slices, s.newSlice(all[:n]))
			all = all[n:]
		}
		f.services[i] = s
	}
	err := parallel(ctx, bindings, workers, func(ctx context.Context, i int) error {
		s := f.services[i]
		arn, err := e.targetGroup(ctx, "bench-"+strconv.Itoa(i))
		if err != nil {
			return err
		}
		s.group = arn
		if err := e.kube.Create(ctx, boundService(s.name)); err != nil {
			return fmt.Errorf("creating Service %s: %w", s.name, err)
		}
		for k, sl := range s.slices {
			if err := e.kube.Create(ctx, sl); err != nil {
				return fmt.Errorf("creating EndpointSlice %s: %w", sl.Name, err)
			}
			s.slices[k] = sl
		}
		tgb := &v1alpha1.TargetGroupBinding{
			ObjectMeta: metav1.ObjectMeta{Name: s.binding, Namespace: namespace},
			Spec: v1alpha1.TargetGroupBindingSpec{
				TargetGroupARN: arn,
				ServiceRef:     v1alpha1.ServiceReference{Name: s.name, Port: intstr.FromInt32(80)},
				// The driver writes slices without Pods behind them (no
				// kubelet, thousands of endpoints), so the bindings opt in
				// to registering any endpoint; the figures leave out the
				// pod check, a cache Get per endpoint (see
				// BenchmarkDesired/pods=true in internal/targets).
				TargetSelection: v1alpha1.TargetSelectionAnyEndpoint,
			},
		}
		if inSync {
			tgb.Finalizers = []string{v1alpha1.Finalizer}
		}
		if err := e.kube.Create(ctx, tgb); err != nil {
			return fmt.Errorf("creating TargetGroupBinding %s: %w", s.binding, err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return f, nil
}

func boundService(name string) *corev1.Service {
	return &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: namespace},
		Spec: corev1.ServiceSpec{
			// No selector: nothing but the driver manages its slices.
			Ports: []corev1.ServicePort{{Name: "web", Port: 80, TargetPort: intstr.FromInt32(targetPort), Protocol: corev1.ProtocolTCP}},
		},
	}
}

func readyEndpoint(ip string) discoveryv1.Endpoint {
	return discoveryv1.Endpoint{
		Addresses:  []string{ip},
		Conditions: discoveryv1.EndpointConditions{Ready: ptr.To(true), Serving: ptr.To(true), Terminating: ptr.To(false)},
	}
}

// newSlice builds the service's next EndpointSlice, labelled as the
// EndpointSlice controller labels its own.
func (s *service) newSlice(eps []discoveryv1.Endpoint) *discoveryv1.EndpointSlice {
	s.nextSlice++
	return &discoveryv1.EndpointSlice{
		ObjectMeta: metav1.ObjectMeta{
			Name:      s.name + "-" + strconv.Itoa(s.nextSlice),
			Namespace: namespace,
			Labels: map[string]string{
				discoveryv1.LabelServiceName: s.name,
				discoveryv1.LabelManagedBy:   managedBy,
			},
		},
		AddressType: discoveryv1.AddressTypeIPv4,
		Ports:       []discoveryv1.EndpointPort{{Name: ptr.To("web"), Port: ptr.To(int32(targetPort)), Protocol: ptr.To(corev1.ProtocolTCP)}},
		Endpoints:   append([]discoveryv1.Endpoint(nil), eps...),
	}
}

// targetGroup creates an ip target group in the emulator's VPC and puts it
// behind a listener of the scenario's load balancer.
func (e *env) targetGroup(ctx context.Context, name string) (string, error) {
	out, err := e.aws.CreateTargetGroup(ctx, &elb.CreateTargetGroupInput{
		Name:       aws.String(name),
		Protocol:   elbtypes.ProtocolEnumHttp,
		Port:       aws.Int32(targetPort),
		VpcId:      aws.String(defaultVPC),
		TargetType: elbtypes.TargetTypeEnumIp,
	})
	if err != nil {
		return "", fmt.Errorf("creating target group %s: %w", name, err)
	}
	arn := *out.TargetGroups[0].TargetGroupArn
	// A listener needs a real port on the load balancer's loopback address;
	// that address is the emulator's alone, but a process listening on a
	// port of every address takes it there too, so probe and retry. A free
	// port of 127.0.0.1 may also be one this load balancer already listens
	// on (DuplicateListener); with the scale scenario's 3,000 listeners that
	// is about one pick in ten, so retry enough that no group fails on it.
	var lastErr error
	for range 30 {
		port, err := process.FreePort()
		if err != nil {
			return "", err
		}
		_, lastErr = e.aws.CreateListener(ctx, &elb.CreateListenerInput{
			LoadBalancerArn: aws.String(e.lbARN),
			Protocol:        elbtypes.ProtocolEnumHttp,
			Port:            aws.Int32(int32(port)),
			DefaultActions:  []elbtypes.Action{{Type: elbtypes.ActionTypeEnumForward, TargetGroupArn: aws.String(arn)}},
		})
		if lastErr == nil {
			return arn, nil
		}
	}
	return "", fmt.Errorf("creating a listener for %s: %w", name, lastErr)
}

// seed registers every ready endpoint of the fleet as a target, as if tgc
// had synced them before: the fleet is in sync.
func (e *env) seed(ctx context.Context, f *fleet, workers int) error {
	want := f.readyTargets()
	return parallel(ctx, len(f.services), workers, func(ctx context.Context, i int) error {
		g := f.services[i].group
		ts := want[g]
		for len(ts) > 0 {
			n := min(measure.MaxTargetsPerCall, len(ts))
			var descs []elbtypes.TargetDescription
			for _, id := range ts[:n] {
				host, port, _ := net.SplitHostPort(id)
				p, _ := strconv.Atoi(port)
				descs = append(descs, elbtypes.TargetDescription{Id: aws.String(host), Port: aws.Int32(int32(p))})
			}
			if _, err := e.aws.RegisterTargets(ctx, &elb.RegisterTargetsInput{TargetGroupArn: aws.String(g), Targets: descs}); err != nil {
				return fmt.Errorf("seeding %d targets in %s: %w", n, g, err)
			}
			ts = ts[n:]
		}
		return nil
	})
}

// parallel runs fn(0..n-1) on workers goroutines and returns the first
// error; the others are cancelled.
func parallel(ctx context.Context, n, workers int, fn func(context.Context, int) error) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	next := make(chan int)
	var wg sync.WaitGroup
	for range max(1, workers) {
		wg.Go(func() {
			for i := range next {
				if ctx.Err() != nil {
					continue
				}
				if err := fn(ctx, i); err != nil {
					cancel(err)
				}
			}
		})
	}
	for i := range n {
		if ctx.Err() != nil {
			break
		}
		next <- i
	}
	close(next)
	wg.Wait()
	return context.Cause(ctx)
}
