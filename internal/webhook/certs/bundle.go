package certs

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"net"
	"slices"
	"time"
)

// Secret data keys. tls.crt and tls.key are those of the kubernetes.io/tls
// Secret type; ca.crt is where cert-manager also puts the trust bundle.
const (
	keyServingCert = "tls.crt"
	keyServingKey  = "tls.key"
	keyCABundle    = "ca.crt"
	keyCAKey       = "ca.key"
)

// bundle is what the Secret holds.
type bundle struct {
	// CA is the CA that signs serving certificates now.
	CA keyPair
	// Trusted is the caBundle: the current CA first, then earlier CAs that
	// have not expired, so that a replica still serving a certificate from
	// the previous CA stays trusted while it catches up.
	Trusted []byte
	Serving keyPair
}

func bundleFromData(data map[string][]byte) bundle {
	b := bundle{
		Trusted: data[keyCABundle],
		Serving: keyPair{CertPEM: data[keyServingCert], KeyPEM: data[keyServingKey]},
	}
	b.CA = keyPair{CertPEM: firstPEM(b.Trusted), KeyPEM: data[keyCAKey]}
	return b
}

func (b bundle) data() map[string][]byte {
	return map[string][]byte{
		keyServingCert: b.Serving.CertPEM,
		keyServingKey:  b.Serving.KeyPEM,
		keyCABundle:    b.Trusted,
		keyCAKey:       b.CA.KeyPEM,
	}
}

// servingCertificate is the bundle's serving certificate as the TLS stack
// wants it.
func (b bundle) servingCertificate() (*tls.Certificate, error) {
	c, err := tls.X509KeyPair(b.Serving.CertPEM, b.Serving.KeyPEM)
	if err != nil {
		return nil, fmt.Errorf("loading serving key pair: %w", err)
	}
	return &c, nil
}

// want is what a serving certificate must cover.
type want struct {
	DNSNames     []string
	IPs          []net.IP
	CAValidity   time.Duration
	CertValidity time.Duration
}

// renewal says what must be made anew, and why.
type renewal struct {
	CA      bool
	Serving bool
	Reason  string
}

// decide looks at the stored bundle and says what to renew at now. A
// certificate is renewed once less than a third of its validity is left, so
// that a replica checking every few minutes renews long before expiry even if
// it was down for a while.
func decide(b bundle, now time.Time, w want) renewal {
	caCert, _, err := parseKeyPair(b.CA)
	if err != nil {
		return renewal{CA: true, Serving: true, Reason: fmt.Sprintf("no usable CA: %v", err)}
	}
	if _, err := tls.X509KeyPair(b.CA.CertPEM, b.CA.KeyPEM); err != nil {
		return renewal{CA: true, Serving: true, Reason: fmt.Sprintf("CA key does not match CA certificate: %v", err)}
	}
	if caCert.NotAfter.Sub(now) < w.CAValidity/3 {
		return renewal{CA: true, Serving: true, Reason: fmt.Sprintf("CA expires at %s", caCert.NotAfter.UTC().Format(time.RFC3339))}
	}
	leaf, err := b.servingCertificate()
	if err != nil {
		return renewal{Serving: true, Reason: err.Error()}
	}
	roots := x509.NewCertPool()
	roots.AddCert(caCert)
	if _, err := leaf.Leaf.Verify(x509.VerifyOptions{Roots: roots, CurrentTime: now, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}); err != nil {
		return renewal{Serving: true, Reason: fmt.Sprintf("serving certificate does not verify against the current CA: %v", err)}
	}
	for _, name := range w.DNSNames {
		if !slices.Contains(leaf.Leaf.DNSNames, name) {
			return renewal{Serving: true, Reason: fmt.Sprintf("serving certificate lacks DNS name %s", name)}
		}
	}
	for _, ip := range w.IPs {
		if !slices.ContainsFunc(leaf.Leaf.IPAddresses, ip.Equal) {
			return renewal{Serving: true, Reason: fmt.Sprintf("serving certificate lacks IP %s", ip)}
		}
	}
	if leaf.Leaf.NotAfter.Sub(now) < w.CertValidity/3 {
		return renewal{Serving: true, Reason: fmt.Sprintf("serving certificate expires at %s", leaf.Leaf.NotAfter.UTC().Format(time.RFC3339))}
	}
	return renewal{}
}

// renew makes what r asks for and returns the new bundle.
func renew(old bundle, r renewal, now time.Time, w want) (bundle, error) {
	next := old
	if r.CA {
		ca, err := newCA(now, w.CAValidity)
		if err != nil {
			return bundle{}, err
		}
		next.CA = ca
		next.Trusted = append(slices.Clone(ca.CertPEM), stillValid(old.Trusted, now)...)
	}
	if r.CA || r.Serving {
		serving, err := issueServing(next.CA, w.DNSNames, w.IPs, now, w.CertValidity)
		if err != nil {
			return bundle{}, err
		}
		next.Serving = serving
	}
	return next, nil
}

// stillValid returns the certificates of a PEM bundle that have not expired
// at now, re-encoded; unparseable data is dropped.
func stillValid(pemBytes []byte, now time.Time) []byte {
	certs, err := parseCerts(pemBytes)
	if err != nil {
		return nil
	}
	var out bytes.Buffer
	for _, c := range certs {
		if now.Before(c.NotAfter) {
			_ = pem.Encode(&out, &pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})
		}
	}
	return out.Bytes()
}

// firstPEM returns the first PEM block of data, re-encoded.
func firstPEM(data []byte) []byte {
	block, _ := pem.Decode(data)
	if block == nil {
		return nil
	}
	return pem.EncodeToMemory(block)
}
