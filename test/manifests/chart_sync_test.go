package manifests

import (
	"context"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/tgc-dev/targetgroupcontroller/api/v1alpha1"
	"github.com/tgc-dev/targetgroupcontroller/internal/emulator"
	"github.com/tgc-dev/targetgroupcontroller/test/harness"
	"github.com/tgc-dev/targetgroupcontroller/test/identity"
	"github.com/tgc-dev/targetgroupcontroller/test/process"
	"github.com/tgc-dev/targetgroupcontroller/test/testcluster"
)

// TestChartInstallSyncsABinding installs the rendered chart (default
// values) on a real API server and runs the controller binary the way its
// Deployment would: with the container's arguments, POD_NAMESPACE, and a
// kubeconfig holding only a token of the chart's ServiceAccount. A rule the
// chart's RBAC lacks, or an argument the binary refuses, fails this test:
// the binding must sync and both pods be registered in the emulator's target group.
func TestChartInstallSyncsABinding(t *testing.T) {
	if testing.Short() {
		t.Skip("needs the local control plane")
	}
	cluster := harness.Cluster(t, testcluster.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	const ns = "tgc-system"
	rendered := render(t)
	kubectl(t, cluster.Kubeconfig, "create", "namespace", ns)
	apply := kubectlStdin(t, cluster.Kubeconfig, rendered, "apply", "--server-side", "--field-manager=helm", "-f", "-")
	t.Log(apply)
	id, err := identity.Install(ctx, cluster, identity.Options{Rendered: []byte(rendered)})
	if err != nil {
		t.Fatal(err)
	}
	if id.Namespace != ns || id.ServiceAccount != "targetgroupcontroller" {
		t.Fatalf("the chart's ServiceAccount is %s/%s", id.Namespace, id.ServiceAccount)
	}

	emu, err := emulator.New(emulator.Config{
		VPCs:    []emulator.VPC{{ID: "vpc-0a1b2c3d4e5f60718", CIDR: netip.MustParsePrefix("10.244.0.0/16")}},
		DialMap: []emulator.DialMapping{{From: netip.MustParsePrefix("10.244.0.0/16"), To: netip.MustParsePrefix("127.244.0.0/16")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := emu.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = emu.Close() })

	// The Deployment's arguments, then loopback listeners on free ports:
	// the test machine is one network namespace for every test, where a
	// Pod would have its own. The last value of a flag wins.
	args := append(deploymentArgs(t, rendered),
		"--metrics-bind-address=127.0.0.1:"+freePort(t, process.FreePort),
		"--health-probe-bind-address=127.0.0.1:"+freePort(t, process.FreePort),
		// The webhook listens on every address, where the loopback
		// kubelet's pods and the emulator's load balancers hold ports too.
		"--webhook-port="+freePort(t, process.FreePortAllInterfaces),
		"--leader-election-lease-duration=4s", "--leader-election-renew-deadline=3s", "--leader-election-retry-period=500ms")
	t.Setenv("POD_NAMESPACE", ns)
	bin, err := process.BuildController(ctx, repoRoot(t), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	logPath := filepath.Join(t.TempDir(), "controller.log")
	p, err := process.StartController(bin, args, id.Kubeconfig, emu.URL(), "us-east-1", logPath)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = p.Stop(10 * time.Second)
		if t.Failed() {
			t.Logf("controller log tail:\n%s", p.LogTail(80))
		}
	})

	w := harness.NewWorld(t, cluster, emu.URL())
	// The controller keeps the webhooks' caBundle current, with the rights
	// the chart gives it (its certificate Secret, the two configurations).
	w.Eventually(60*time.Second, "the controller fills in the webhooks' caBundle", func() (bool, string) {
		out, _ := tryKubectl(cluster.Kubeconfig, "get", "validatingwebhookconfiguration", "tgc-validation", "-o", "jsonpath={.webhooks[0].clientConfig.caBundle}")
		return out != "", "caBundle empty"
	})
	// The API server here has no route to a Service (no kube-proxy, no Pod
	// network), so it cannot call the binding webhook; internal/webhook's
	// tests cover admission. Let bindings through while tgc cannot answer.
	kubectl(t, cluster.Kubeconfig, "patch", "validatingwebhookconfiguration", "tgc-validation", "--type=json",
		"-p", `[{"op":"replace","path":"/webhooks/0/failurePolicy","value":"Ignore"}]`)

	app := testcluster.App{Name: "web", Namespace: w.NS, Replicas: 2}
	w.Create(app.Deployment())
	w.Create(app.Service())
	arn := w.TargetGroup(&elb.CreateTargetGroupInput{
		Name: aws.String("chart-web"), TargetType: elbtypes.TargetTypeEnumIp, Protocol: elbtypes.ProtocolEnumHttp,
		Port: aws.Int32(8080), VpcId: aws.String("vpc-0a1b2c3d4e5f60718"),
	})
	w.Binding("web", "web", intstr.FromString("http"), arn)

	// The group is behind no listener, so AWS (and the emulator) leave its
	// targets "unused": registered is what the sync is about.
	w.Eventually(90*time.Second, "both pods registered and the binding Ready", func() (bool, string) {
		registered := len(w.Members(arn))
		var tgb v1alpha1.TargetGroupBinding
		if err := w.Kube.Get(w.Ctx, types.NamespacedName{Namespace: w.NS, Name: "web"}, &tgb); err != nil {
			return false, err.Error()
		}
		ready := meta.IsStatusConditionTrue(tgb.Status.Conditions, "Ready")
		return registered == 2 && ready, "registered=" + strconv.Itoa(registered) + " ready=" + strconv.FormatBool(ready)
	})
	if log, err := os.ReadFile(logPath); err == nil && strings.Contains(strings.ToLower(string(log)), "forbidden") {
		t.Errorf("the controller was refused something under the chart's RBAC:\n%s", p.LogTail(80))
	}
}

// deploymentArgs are the container arguments of the rendered Deployment.
func deploymentArgs(t *testing.T, rendered string) []string {
	t.Helper()
	for _, o := range objects(t, rendered) {
		if o.GetKind() != "Deployment" {
			continue
		}
		cs, _, _ := unstructured.NestedSlice(o.Object, "spec", "template", "spec", "containers")
		var args []string
		for _, a := range cs[0].(map[string]any)["args"].([]any) {
			args = append(args, a.(string))
		}
		return args
	}
	t.Fatal("the chart renders no Deployment")
	return nil
}

func freePort(t *testing.T, pick func() (int, error)) string {
	t.Helper()
	p, err := pick()
	if err != nil {
		t.Fatal(err)
	}
	return strconv.Itoa(p)
}
