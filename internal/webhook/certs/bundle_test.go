package certs

import (
	"net"
	"testing"
	"time"
)

func TestDecide(t *testing.T) {
	w := want{DNSNames: []string{serviceDNS}, IPs: []net.IP{net.ParseIP("127.0.0.1")}, CAValidity: 90 * 24 * time.Hour, CertValidity: 30 * 24 * time.Hour}
	fresh, err := renew(bundle{}, renewal{CA: true}, epoch, w)
	if err != nil {
		t.Fatal(err)
	}
	otherCA, err := renew(bundle{}, renewal{CA: true}, epoch, w)
	if err != nil {
		t.Fatal(err)
	}
	day := 24 * time.Hour

	cases := map[string]struct {
		b           bundle
		now         time.Time
		want        want
		wantCA      bool
		wantServing bool
	}{
		"fresh bundle needs nothing": {b: fresh, now: epoch, want: w},
		"empty Secret needs a CA and a certificate": {
			b: bundle{}, now: epoch, want: w, wantCA: true, wantServing: true,
		},
		"garbage in the Secret needs a CA and a certificate": {
			b: bundle{CA: keyPair{CertPEM: []byte("junk"), KeyPEM: []byte("junk")}, Trusted: []byte("junk")}, now: epoch, want: w, wantCA: true, wantServing: true,
		},
		"CA key that does not match the CA certificate needs a new CA": {
			b: bundle{CA: keyPair{CertPEM: fresh.CA.CertPEM, KeyPEM: otherCA.CA.KeyPEM}, Trusted: fresh.Trusted, Serving: fresh.Serving}, now: epoch, want: w, wantCA: true, wantServing: true,
		},
		"serving certificate with more than a third left is kept": {b: fresh, now: epoch.Add(19 * day), want: w},
		"serving certificate with less than a third left is renewed": {
			b: fresh, now: epoch.Add(21 * day), want: w, wantServing: true,
		},
		"CA with less than a third left is replaced": {
			b: fresh, now: epoch.Add(61 * day), want: w, wantCA: true, wantServing: true,
		},
		"serving certificate from another CA is reissued": {
			b: bundle{CA: fresh.CA, Trusted: fresh.Trusted, Serving: otherCA.Serving}, now: epoch, want: w, wantServing: true,
		},
		"serving key that does not match its certificate is reissued": {
			b: bundle{CA: fresh.CA, Trusted: fresh.Trusted, Serving: keyPair{CertPEM: fresh.Serving.CertPEM, KeyPEM: otherCA.Serving.KeyPEM}}, now: epoch, want: w, wantServing: true,
		},
		"renamed Service needs a certificate for the new name": {
			b: fresh, now: epoch, want: want{DNSNames: []string{"renamed.tgc-system.svc"}, CAValidity: w.CAValidity, CertValidity: w.CertValidity}, wantServing: true,
		},
		"new extra IP needs a new certificate": {
			b: fresh, now: epoch, want: want{DNSNames: w.DNSNames, IPs: []net.IP{net.ParseIP("127.0.0.2")}, CAValidity: w.CAValidity, CertValidity: w.CertValidity}, wantServing: true,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got := decide(tc.b, tc.now, tc.want)
			if got.CA != tc.wantCA || got.Serving != tc.wantServing {
				t.Fatalf("decide = %+v; want CA=%v Serving=%v", got, tc.wantCA, tc.wantServing)
			}
			if (got.CA || got.Serving) && got.Reason == "" {
				t.Error("renewal without a reason to log")
			}
		})
	}
}

func TestServingCertificateNeverOutlivesItsCA(t *testing.T) {
	w := want{DNSNames: []string{serviceDNS}, CAValidity: 10 * 24 * time.Hour, CertValidity: 10 * 24 * time.Hour}
	b, err := renew(bundle{}, renewal{CA: true}, epoch, w)
	if err != nil {
		t.Fatal(err)
	}
	// Reissue late in the CA's life with a full-length validity.
	b, err = renew(b, renewal{Serving: true}, epoch.Add(5*24*time.Hour), w)
	if err != nil {
		t.Fatal(err)
	}
	ca, leaf := mustLeaf(t, b.CA.CertPEM), mustLeaf(t, b.Serving.CertPEM)
	if leaf.NotAfter.After(ca.NotAfter) {
		t.Fatalf("serving certificate expires %s, after its CA %s", leaf.NotAfter, ca.NotAfter)
	}
}
