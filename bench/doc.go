// Package bench measures tgc's performance promises (an endpoint change
// reaches AWS in well under a second; a restart or a leader failover is
// back in sync at the pace AWS's API limits allow, without redundant calls)
// as Go benchmarks on a real control plane, the loopback kubelet and the
// ELBv2 emulator with AWS's default throttling. Its subpackages are the
// cluster-scale driver behind tgc-bench (scenario) and what it measures
// with (measure, report, sample). README.md has the figures and the
// commands.
package bench
