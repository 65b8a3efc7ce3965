package kubectltgc

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	kubefake "sigs.k8s.io/controller-runtime/pkg/client/fake"

	"github.com/tgc-dev/targetgroupcontroller/internal/controller/binding"
	"github.com/tgc-dev/targetgroupcontroller/internal/elbv2"
	"github.com/tgc-dev/targetgroupcontroller/internal/elbv2/fake"
	"github.com/tgc-dev/targetgroupcontroller/internal/scheme"
)

func sliceOf(name, svc string) *discoveryv1.EndpointSlice {
	return &discoveryv1.EndpointSlice{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: name,
		Labels: map[string]string{discoveryv1.LabelServiceName: svc}}, AddressType: discoveryv1.AddressTypeIPv4}
}

func TestTheReaderAnswersTheControllersIndexesWithTheirOwnFunctions(t *testing.T) {
	scheme, err := scheme.New()
	if err != nil {
		t.Fatal(err)
	}
	// The fake, like the API server, knows none of the controller's indexes.
	kube := kubefake.NewClientBuilder().WithScheme(scheme).WithObjects(sliceOf("web-1", "web"), sliceOf("web-2", "web"), sliceOf("api-1", "api")).Build()
	r := newIndexedReader(kube)

	var list discoveryv1.EndpointSliceList
	if err := r.List(context.Background(), &list, client.InNamespace("shop"), client.MatchingFields{binding.SliceServiceIndex: "web"}); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range list.Items {
		names = append(names, s.Name)
	}
	slices.Sort(names)
	if want := []string{"web-1", "web-2"}; !slices.Equal(names, want) {
		t.Errorf("slices of Service web = %v, want %v", names, want)
	}
}

func TestNoCredentialsIsBadInputNamingTheFix(t *testing.T) {
	load := func(context.Context, string) (aws.Config, error) {
		return aws.Config{Region: "us-east-1", Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{}, errors.New("failed to refresh cached credentials, no EC2 IMDS role found")
		})}, nil
	}
	_, _, err := awsTargetGroups(context.Background(), "", load)
	if code := codeOf(err); code != exitError {
		t.Errorf("exit code %d, want %d", code, exitError)
	}
	for _, want := range []string{"no usable AWS credentials", "AWS_PROFILE", "aws sso login"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v does not say %q", err, want)
		}
	}
}

// The guard: with readOnly's writes passed through, the fake records a
// RegisterTargets and this test fails.
func TestTheAWSBoundaryOfKubectlTgcCannotWrite(t *testing.T) {
	f := fake.New(fake.Config{})
	f.AddGroup(elbv2.TargetGroup{ARN: arnWeb, TargetType: "ip"}, 0)
	ro := readOnly{f}
	ctx := context.Background()
	if err := ro.Register(ctx, arnWeb, rollout().Plan.Register, elbv2.Write{}); !errors.Is(err, errReadOnly) {
		t.Errorf("Register = %v, want %v", err, errReadOnly)
	}
	if err := ro.Deregister(ctx, arnWeb, rollout().Plan.Deregister, elbv2.Write{}); !errors.Is(err, errReadOnly) {
		t.Errorf("Deregister = %v, want %v", err, errReadOnly)
	}
	if calls := f.Calls(); len(calls) != 0 {
		t.Errorf("the boundary reached AWS: %+v", calls)
	}
}
