package certs

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"net"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/go-logr/logr/testr"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	clocktesting "k8s.io/utils/clock/testing"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"
)

const (
	testNamespace = "tgc-system"
	testService   = "tgc-webhook"
	testSecret    = "tgc-webhook-cert"
	testConfig    = "tgc-pod-readiness-gate"
	serviceDNS    = testService + "." + testNamespace + ".svc"
)

var epoch = time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)

func testOptions() Options {
	return Options{
		Namespace: testNamespace, SecretName: testSecret, ServiceName: testService, WebhookConfigs: []WebhookConfig{Mutating(testConfig), Validating(testConfig)},
		ExtraIPs:   []net.IP{net.ParseIP("127.0.0.1")},
		CAValidity: 90 * 24 * time.Hour, CertValidity: 30 * 24 * time.Hour,
	}
}

func webhookConfig() *admissionregistrationv1.MutatingWebhookConfiguration {
	hook := func(name string) admissionregistrationv1.MutatingWebhook {
		return admissionregistrationv1.MutatingWebhook{
			Name:         name,
			ClientConfig: admissionregistrationv1.WebhookClientConfig{Service: &admissionregistrationv1.ServiceReference{Namespace: testNamespace, Name: testService}},
		}
	}
	return &admissionregistrationv1.MutatingWebhookConfiguration{
		ObjectMeta: metav1.ObjectMeta{Name: testConfig},
		Webhooks:   []admissionregistrationv1.MutatingWebhook{hook("a.elbv2.tgc.dev"), hook("b.elbv2.tgc.dev")},
	}
}

// validatingConfig has the same name as webhookConfig: the kinds are
// separate resources.
func validatingConfig() *admissionregistrationv1.ValidatingWebhookConfiguration {
	return &admissionregistrationv1.ValidatingWebhookConfiguration{
		ObjectMeta: metav1.ObjectMeta{Name: testConfig},
		Webhooks: []admissionregistrationv1.ValidatingWebhook{{
			Name:         "v.elbv2.tgc.dev",
			ClientConfig: admissionregistrationv1.WebhookClientConfig{Service: &admissionregistrationv1.ServiceReference{Namespace: testNamespace, Name: testService}},
		}},
	}
}

func newFakeClient(t *testing.T, funcs interceptor.Funcs) client.WithWatch {
	t.Helper()
	s := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(s); err != nil {
		t.Fatal(err)
	}
	return fake.NewClientBuilder().WithScheme(s).WithObjects(webhookConfig(), validatingConfig()).WithInterceptorFuncs(funcs).Build()
}

func newRotator(t *testing.T, c client.Client, clk *clocktesting.FakeClock, opts Options) *Rotator {
	t.Helper()
	r, err := New(c, opts, clk, testr.New(t))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func served(t *testing.T, r *Rotator) *x509.Certificate {
	t.Helper()
	c, err := r.GetCertificate(nil)
	if err != nil {
		t.Fatal(err)
	}
	return c.Leaf
}

func storedSecret(t *testing.T, c client.Client) *corev1.Secret {
	t.Helper()
	var sec corev1.Secret
	if err := c.Get(context.Background(), client.ObjectKey{Namespace: testNamespace, Name: testSecret}, &sec); err != nil {
		t.Fatal(err)
	}
	return &sec
}

func caBundles(t *testing.T, c client.Client) [][]byte {
	t.Helper()
	var cfg admissionregistrationv1.MutatingWebhookConfiguration
	if err := c.Get(context.Background(), client.ObjectKey{Name: testConfig}, &cfg); err != nil {
		t.Fatal(err)
	}
	var out [][]byte
	for _, w := range cfg.Webhooks {
		out = append(out, w.ClientConfig.CABundle)
	}
	var vcfg admissionregistrationv1.ValidatingWebhookConfiguration
	if err := c.Get(context.Background(), client.ObjectKey{Name: testConfig}, &vcfg); err != nil {
		t.Fatal(err)
	}
	for _, w := range vcfg.Webhooks {
		out = append(out, w.ClientConfig.CABundle)
	}
	return out
}

// verify checks leaf against a caBundle the way the API server does when it
// calls the webhook Service: by DNS name <service>.<namespace>.svc.
func verify(leaf *x509.Certificate, caBundle []byte, name string, now time.Time) error {
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(caBundle)
	_, err := leaf.Verify(x509.VerifyOptions{Roots: roots, DNSName: name, CurrentTime: now, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}})
	return err
}

func TestFirstStartCreatesSecretAndTrustsIt(t *testing.T) {
	ctx := context.Background()
	c := newFakeClient(t, interceptor.Funcs{})
	clk := clocktesting.NewFakeClock(epoch)
	opts := testOptions()
	opts.CertDir = t.TempDir()
	r := newRotator(t, c, clk, opts)

	if err := r.ReadyCheck(nil); err == nil {
		t.Fatal("ReadyCheck passed before any certificate was loaded")
	}
	if err := r.Ensure(ctx); err != nil {
		t.Fatal(err)
	}

	sec := storedSecret(t, c)
	if sec.Type != corev1.SecretTypeTLS {
		t.Errorf("Secret type = %q, want %q", sec.Type, corev1.SecretTypeTLS)
	}
	leaf := served(t, r)
	for _, name := range []string{serviceDNS, serviceDNS + ".cluster.local", testService + "." + testNamespace, testService} {
		if err := verify(leaf, sec.Data[keyCABundle], name, clk.Now()); err != nil {
			t.Errorf("served certificate does not verify for %s: %v", name, err)
		}
	}
	if !slices.ContainsFunc(leaf.IPAddresses, net.ParseIP("127.0.0.1").Equal) {
		t.Errorf("served certificate IPs = %v, want 127.0.0.1 from ExtraIPs", leaf.IPAddresses)
	}
	if !bytes.Equal(leaf.Raw, mustLeaf(t, sec.Data[keyServingCert]).Raw) {
		t.Error("served certificate differs from the stored one")
	}
	for i, b := range caBundles(t, c) {
		if !bytes.Equal(b, sec.Data[keyCABundle]) {
			t.Errorf("webhook %d caBundle is not the stored ca.crt", i)
		}
	}
	for _, f := range []string{keyServingCert, keyServingKey, keyCABundle} {
		got, err := os.ReadFile(filepath.Join(opts.CertDir, f))
		if err != nil || !bytes.Equal(got, sec.Data[f]) {
			t.Errorf("%s in CertDir does not match the Secret (err %v)", f, err)
		}
	}
	if _, err := tls.LoadX509KeyPair(filepath.Join(opts.CertDir, keyServingCert), filepath.Join(opts.CertDir, keyServingKey)); err != nil {
		t.Errorf("CertDir files are not a key pair controller-runtime can load: %v", err)
	}
	if err := r.ReadyCheck(nil); err != nil {
		t.Errorf("ReadyCheck after Ensure: %v", err)
	}
}

func TestRestartedOrSecondReplicaReusesTheSecret(t *testing.T) {
	ctx := context.Background()
	c := newFakeClient(t, interceptor.Funcs{})
	clk := clocktesting.NewFakeClock(epoch)
	first := newRotator(t, c, clk, testOptions())
	if err := first.Ensure(ctx); err != nil {
		t.Fatal(err)
	}
	rv := storedSecret(t, c).ResourceVersion

	clk.Step(time.Hour)
	second := newRotator(t, c, clk, testOptions())
	if err := second.Ensure(ctx); err != nil {
		t.Fatal(err)
	}
	if !served(t, second).Equal(served(t, first)) {
		t.Error("second replica serves a different certificate than the first")
	}
	if got := storedSecret(t, c).ResourceVersion; got != rv {
		t.Errorf("Secret rewritten (resourceVersion %s -> %s) though nothing was due", rv, got)
	}
}

func TestReplicasStartingTogetherConvergeOnOneCertificate(t *testing.T) {
	ctx := context.Background()
	c := newFakeClient(t, interceptor.Funcs{})
	clk := clocktesting.NewFakeClock(epoch)
	rotators := make([]*Rotator, 4)
	for i := range rotators {
		rotators[i] = newRotator(t, c, clk, testOptions())
	}
	var wg sync.WaitGroup
	errs := make([]error, len(rotators))
	for i, r := range rotators {
		wg.Go(func() { errs[i] = r.Ensure(ctx) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("replica %d: %v", i, err)
		}
	}
	stored := mustLeaf(t, storedSecret(t, c).Data[keyServingCert])
	for i, r := range rotators {
		if !served(t, r).Equal(stored) {
			t.Errorf("replica %d serves a certificate other than the stored one", i)
		}
	}
}

func TestLosingTheCreateRaceUsesTheWinnersCertificate(t *testing.T) {
	ctx := context.Background()
	clk := clocktesting.NewFakeClock(epoch)
	var winner *Rotator
	raced := false
	c := newFakeClient(t, interceptor.Funcs{Create: func(ctx context.Context, c client.WithWatch, obj client.Object, opts ...client.CreateOption) error {
		if _, isSecret := obj.(*corev1.Secret); isSecret && !raced {
			// Another replica creates the Secret between our Get and Create.
			raced = true
			if err := winner.Ensure(ctx); err != nil {
				return err
			}
		}
		return c.Create(ctx, obj, opts...)
	}})
	winner = newRotator(t, c, clk, testOptions())
	loser := newRotator(t, c, clk, testOptions())

	if err := loser.Ensure(ctx); err != nil {
		t.Fatal(err)
	}
	if !raced {
		t.Fatal("the race was not staged")
	}
	if !served(t, loser).Equal(served(t, winner)) {
		t.Error("the replica that lost the race serves its own certificate")
	}
}

func TestServingCertificateIsRenewedUnderTheSameCA(t *testing.T) {
	ctx := context.Background()
	c := newFakeClient(t, interceptor.Funcs{})
	clk := clocktesting.NewFakeClock(epoch)
	r := newRotator(t, c, clk, testOptions())
	if err := r.Ensure(ctx); err != nil {
		t.Fatal(err)
	}
	before := served(t, r)
	bundleBefore := storedSecret(t, c).Data[keyCABundle]

	// 30-day certificate: renewed once less than 10 days are left.
	clk.Step(19 * 24 * time.Hour)
	if err := r.Ensure(ctx); err != nil {
		t.Fatal(err)
	}
	if !served(t, r).Equal(before) {
		t.Fatal("certificate renewed with 11 of 30 days left")
	}
	clk.Step(2 * 24 * time.Hour)
	if err := r.Ensure(ctx); err != nil {
		t.Fatal(err)
	}
	after := served(t, r)
	if after.Equal(before) {
		t.Fatal("certificate not renewed with 9 of 30 days left")
	}
	if got := storedSecret(t, c).Data[keyCABundle]; !bytes.Equal(got, bundleBefore) {
		t.Error("caBundle changed on a serving-certificate renewal")
	}
	if err := verify(after, bundleBefore, serviceDNS, clk.Now()); err != nil {
		t.Errorf("renewed certificate does not verify against the unchanged caBundle: %v", err)
	}
}

func TestCARotationKeepsThePreviousCATrustedUntilItExpires(t *testing.T) {
	ctx := context.Background()
	c := newFakeClient(t, interceptor.Funcs{})
	clk := clocktesting.NewFakeClock(epoch)
	r := newRotator(t, c, clk, testOptions())
	if err := r.Ensure(ctx); err != nil {
		t.Fatal(err)
	}
	oldCA := mustLeaf(t, storedSecret(t, c).Data[keyCABundle])

	// 90-day CA: replaced once less than 30 days are left.
	clk.Step(61 * 24 * time.Hour)
	if err := r.Ensure(ctx); err != nil {
		t.Fatal(err)
	}
	sec := storedSecret(t, c)
	cas, err := parseCerts(sec.Data[keyCABundle])
	if err != nil {
		t.Fatal(err)
	}
	if len(cas) != 2 || cas[0].Equal(oldCA) || !cas[1].Equal(oldCA) {
		t.Fatalf("caBundle after CA rotation holds %d CAs; want the new CA then the old one", len(cas))
	}
	if err := verify(served(t, r), sec.Data[keyCABundle], serviceDNS, clk.Now()); err != nil {
		t.Errorf("new certificate does not verify against the caBundle: %v", err)
	}
	for i, b := range caBundles(t, c) {
		if !bytes.Equal(b, sec.Data[keyCABundle]) {
			t.Errorf("webhook %d caBundle not updated to carry both CAs", i)
		}
	}

	// Once the old CA has expired it is dropped at the next CA rotation.
	clk.Step(61 * 24 * time.Hour)
	if err := r.Ensure(ctx); err != nil {
		t.Fatal(err)
	}
	cas, err = parseCerts(storedSecret(t, c).Data[keyCABundle])
	if err != nil {
		t.Fatal(err)
	}
	for _, ca := range cas {
		if ca.Equal(oldCA) {
			t.Error("expired CA still in the caBundle")
		}
	}
}

func TestCABundleResetByReapplyingManifestsIsRepaired(t *testing.T) {
	ctx := context.Background()
	c := newFakeClient(t, interceptor.Funcs{})
	clk := clocktesting.NewFakeClock(epoch)
	r := newRotator(t, c, clk, testOptions())
	if err := r.Ensure(ctx); err != nil {
		t.Fatal(err)
	}
	var cfg admissionregistrationv1.MutatingWebhookConfiguration
	if err := c.Get(ctx, client.ObjectKey{Name: testConfig}, &cfg); err != nil {
		t.Fatal(err)
	}
	cfg.Webhooks[1].ClientConfig.CABundle = nil
	if err := c.Update(ctx, &cfg); err != nil {
		t.Fatal(err)
	}
	var vcfg admissionregistrationv1.ValidatingWebhookConfiguration
	if err := c.Get(ctx, client.ObjectKey{Name: testConfig}, &vcfg); err != nil {
		t.Fatal(err)
	}
	vcfg.Webhooks[0].ClientConfig.CABundle = nil
	if err := c.Update(ctx, &vcfg); err != nil {
		t.Fatal(err)
	}

	if err := r.Ensure(ctx); err != nil {
		t.Fatal(err)
	}
	want := storedSecret(t, c).Data[keyCABundle]
	for i, b := range caBundles(t, c) {
		if !bytes.Equal(b, want) {
			t.Errorf("webhook %d caBundle not repaired", i)
		}
	}
}

func TestMissingWebhookConfigurationStillServesTheCertificate(t *testing.T) {
	ctx := context.Background()
	c := newFakeClient(t, interceptor.Funcs{})
	if err := c.Delete(ctx, webhookConfig()); err != nil {
		t.Fatal(err)
	}
	r := newRotator(t, c, clocktesting.NewFakeClock(epoch), testOptions())
	if err := r.Ensure(ctx); err == nil {
		t.Error("Ensure hid the missing MutatingWebhookConfiguration")
	}
	var vcfg admissionregistrationv1.ValidatingWebhookConfiguration
	if err := c.Get(ctx, client.ObjectKey{Name: testConfig}, &vcfg); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(vcfg.Webhooks[0].ClientConfig.CABundle, storedSecret(t, c).Data[keyCABundle]) {
		t.Error("the ValidatingWebhookConfiguration was not patched because the other configuration is missing")
	}
	if err := r.ReadyCheck(nil); err != nil {
		t.Errorf("certificate not served while only the caBundle patch failed: %v", err)
	}
}

func TestStartRenewsOnItsTicker(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	c := newFakeClient(t, interceptor.Funcs{})
	clk := clocktesting.NewFakeClock(epoch)
	opts := testOptions()
	opts.CheckInterval = time.Hour
	r := newRotator(t, c, clk, opts)
	done := make(chan error)
	go func() { done <- r.Start(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Start returned %v", err)
		}
	}()

	waitFor(t, func() bool { return r.ReadyCheck(nil) == nil })
	first := served(t, r)
	waitFor(t, clk.HasWaiters)
	clk.Step(21 * 24 * time.Hour)
	waitFor(t, func() bool { return !served(t, r).Equal(first) })
}

func TestServesTLSThatAClientTrustingTheCABundleAccepts(t *testing.T) {
	ctx := context.Background()
	c := newFakeClient(t, interceptor.Funcs{})
	// The real clock: the TLS client checks validity against time.Now.
	clk := clocktesting.NewFakeClock(time.Now())
	r := newRotator(t, c, clk, testOptions())
	if err := r.Ensure(ctx); err != nil {
		t.Fatal(err)
	}
	cfg := &tls.Config{}
	r.ConfigureTLS(cfg)
	ln, err := tls.Listen("tcp", "127.0.0.1:0", cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		conn, err := ln.Accept()
		if err == nil {
			_ = conn.(*tls.Conn).Handshake()
			_ = conn.Close()
		}
	}()
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(caBundles(t, c)[0])
	conn, err := tls.Dial("tcp", ln.Addr().String(), &tls.Config{RootCAs: roots, ServerName: serviceDNS})
	if err != nil {
		t.Fatalf("TLS handshake as the API server would do it: %v", err)
	}
	_ = conn.Close()
}

func TestNewRejectsIncompleteOptions(t *testing.T) {
	cases := map[string]func(*Options){
		"namespace missing":                   func(o *Options) { o.Namespace = "" },
		"secret name missing":                 func(o *Options) { o.SecretName = "" },
		"service name missing":                func(o *Options) { o.ServiceName = "" },
		"no webhook configuration":            func(o *Options) { o.WebhookConfigs = nil },
		"webhook configuration name missing":  func(o *Options) { o.WebhookConfigs = []WebhookConfig{Validating("")} },
		"unknown webhook configuration kind":  func(o *Options) { o.WebhookConfigs = []WebhookConfig{{Kind: "Webhook", Name: "x"}} },
		"serving certificate outlives its CA": func(o *Options) { o.CertValidity = 2 * o.CAValidity },
		"negative check interval":             func(o *Options) { o.CheckInterval = -time.Second },
	}
	for name, mutate := range cases {
		t.Run(name, func(t *testing.T) {
			opts := testOptions()
			mutate(&opts)
			if _, err := New(nil, opts, clocktesting.NewFakeClock(epoch), logr.Discard()); err == nil {
				t.Fatal("New accepted invalid options")
			}
		})
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 10s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func mustLeaf(t *testing.T, pemBytes []byte) *x509.Certificate {
	t.Helper()
	certs, err := parseCerts(pemBytes)
	if err != nil {
		t.Fatal(err)
	}
	return certs[0]
}
