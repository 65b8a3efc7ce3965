// Package certs gives the webhook server a serving certificate without
// cert-manager.
//
// Every replica runs a Rotator (leader election is not needed: all replicas
// serve the webhook). The first replica to start generates a self-signed CA
// and a serving certificate for <service>.<namespace>.svc and stores them in
// a Secret; the others, and later restarts, load them from there, so all
// replicas serve a certificate the same caBundle trusts. Each replica patches
// the caBundle of the MutatingWebhookConfiguration, serves the certificate
// through GetCertificate, optionally writes it to the webhook CertDir, and
// re-checks periodically to renew before expiry and to pick up renewals made
// by another replica.
package certs
