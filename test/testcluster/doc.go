// Package testcluster runs a real, local Kubernetes control plane for tests,
// benchmarks and the demo: etcd and kube-apiserver (through controller-runtime's
// envtest), kube-controller-manager, and by default a loopback kubelet (see
// package kubelet) that plays one Node.
//
// Binaries come from KUBEBUILDER_ASSETS when it is set (the Makefile sets it
// from hack/kube-assets.sh), otherwise from running hack/kube-assets.sh
// itself, which builds them once per machine from the Go module proxy.
//
// What runs, and why:
//   - kube-controller-manager runs the controllers that tgc's scenarios need:
//     endpointslice, deployment, replicaset, garbagecollector (owned objects
//     go away) and namespace (deleting a test namespace deletes its content).
//     Options.ExtraControllers adds more. It runs with --leader-elect=false,
//     --secure-port=0 and --use-service-account-credentials=false: every
//     controller uses the system:masters kubeconfig, so neither the
//     serviceaccount nor the serviceaccount-token controller is needed.
//   - The ServiceAccount admission plugin is disabled (envtest's default), so
//     pods can be created in a namespace that has no "default" service account
//     and no token is mounted.
//   - There is no scheduler: the loopback kubelet binds unscheduled pods to its
//     node through pods/binding.
//
// No process outlives the test binary, even when a test fails or panics or
// the binary is killed: every server process is started from one goroutine
// locked to its OS thread, with a parent-death signal (SIGKILL). For
// kube-controller-manager that is SysProcAttr.Pdeathsig; envtest starts etcd
// and kube-apiserver itself and offers no hook for process attributes, so
// they are started through a wrapper script that execs them under
// `setpriv --pdeathsig KILL`. Pdeathsig fires when the thread that forked
// the child exits, which is why that thread is locked and kept alive until
// Stop.
package testcluster
