// Package harness is what the tests and Go benchmarks that run tgc on a
// real control plane share: a cluster and a namespace per test, a world
// (namespace, Kubernetes client and an AWS client that talks to the ELBv2
// emulator directly) with the setup and checks every such test makes, an
// in-process controller, and helpers over the emulator's call log.
//
// It imports testing and fails the test on setup errors, so only tests
// import it; tools such as tgc-bench and tgc-demo use test/testcluster
// directly.
package harness
