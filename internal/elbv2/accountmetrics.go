package elbv2

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// ownAccount is the account label of the controller's own credentials,
// whose account ID tgc never looks up.
const ownAccount = "own"

// accountMetrics count, per account, the calls that took rate-limit tokens
// and how long they waited for them: each account has its own buckets, so
// one account's backlog shows here without touching another's.
//
//   - tgc_aws_rate_limit_account_calls_total{account}: calls that got
//     their tokens.
//   - tgc_aws_rate_limit_account_wait_seconds_total{account}: the time
//     they waited for them.
type accountMetrics struct {
	calls *prometheus.CounterVec
	waits *prometheus.CounterVec
}

func newAccountMetrics() accountMetrics {
	return accountMetrics{
		calls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tgc_aws_rate_limit_account_calls_total",
			Help: "ELBv2 calls that got their client-side rate-limit tokens, by account (\"own\" for the controller's credentials, else the account of the assumed role).",
		}, []string{"account"}),
		waits: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tgc_aws_rate_limit_account_wait_seconds_total",
			Help: "Time ELBv2 calls waited for client-side rate-limit tokens, by account; each account and Region has its own buckets.",
		}, []string{"account"}),
	}
}

// ForAccount is the LimitObserver of one account's buckets: it observes
// as m does and also counts per account. "" is the controller's own.
func (m *Metrics) ForAccount(account string) LimitObserver {
	if account == "" {
		account = ownAccount
	}
	return accountObserver{m: m, account: account}
}

type accountObserver struct {
	m       *Metrics
	account string
}

func (a accountObserver) ObserveWait(operation string, waited time.Duration) {
	a.m.ObserveWait(operation, waited)
	a.m.accounts.calls.WithLabelValues(a.account).Inc()
	a.m.accounts.waits.WithLabelValues(a.account).Add(waited.Seconds())
}

func (a accountObserver) ObserveRate(bucket string, perSecond float64) {
	// The rate gauge is per bucket kind; the last account to adapt sets
	// it. Per-account rates would multiply its series by the accounts.
	a.m.ObserveRate(bucket, perSecond)
}
