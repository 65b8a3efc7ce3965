// Package kubelet is a loopback kubelet: it plays a Kubernetes node for
// tests, benchmarks and the demo, without containers.
//
// It registers a Node (Ready=True), binds pods that no scheduler takes
// (spec.nodeName empty and spec.schedulerName empty or "default-scheduler")
// through the pods/binding subresource, and "runs" every pod bound to its node:
//
//   - Each pod gets a unique IP from Config.PodCIDR (default 10.244.0.0/16).
//     An IP is not handed out again while a pod holding it still exists, and
//     never while another loopback kubelet on the machine (another test
//     package's cluster, in another process) serves on its loopback address:
//     each address in use is claimed with a flock in Config.ClaimDir, which
//     the kernel releases if the process dies.
//   - With Config.IPFamilies [IPv4 IPv6], [IPv6 IPv4] or [IPv6], pods are
//     dual stack or IPv6-only: the IPv6 address comes from
//     Config.IPv6PodCIDR (default fd00:10:244::/112) with the host bits of
//     the pod's IPv4 slot (10.244.3.7 and fd00:10:244::307 are one pod),
//     so both serve on the same loopback address, and status.podIPs lists
//     them in the families' order.
//   - For every TCP container port, a real HTTP server listens on the pod's
//     mapped loopback address: pod IP 10.244.a.b serves on 127.244.a.b
//     (Config.LoopbackCIDR). Tests only ever dial loopback addresses, so
//     anything that dials a pod maps it with LoopbackAddr first. The API
//     server rejects loopback addresses in EndpointSlices, which is why pods
//     keep ordinary pod IPs in Kubernetes.
//   - Every path answers 200 with "pod=<namespace>/<name> ip=<podIP>".
//   - The pod's status is written the way the real kubelet writes it: phase
//     Running, podIP/podIPs, hostIP, startTime, containerStatuses and the
//     conditions PodScheduled, PodReadyToStartContainers, Initialized,
//     ContainersReady and Ready. Ready is True only when ContainersReady is
//     True and every spec.readinessGates condition is True, and it is
//     recomputed whenever another actor changes a gate condition. Status is
//     written with an update carrying the observed resourceVersion, so a
//     condition written by someone else is never lost: on conflict the pod is
//     read again and the status recomputed.
//   - readinessProbe.httpGet is honoured by probing the pod's own loopback
//     address. To keep tests fast, periodSeconds and initialDelaySeconds are
//     capped at Config.MaxProbePeriod (default 1s) and timeoutSeconds at the
//     resulting period; success/failure thresholds are kept. A container
//     without a readiness probe is ready as soon as its servers listen.
//
// Graceful deletion follows the kubelet: when a pod gets a deletionTimestamp,
// the preStop hook runs while the app keeps serving (supported hooks:
// lifecycle.preStop.sleep.seconds, and exec of "sleep N" or
// ["/bin/sh", "-c", "sleep N"]); then the app "receives SIGTERM" and keeps
// serving for its shutdown-delay, as an app that drains would; then its
// servers stop. All of this ends no later than deletionGracePeriodSeconds
// after the kubelet saw the deletion. The probe keeps running meanwhile, so a
// terminating pod still reports Ready (EndpointSlices then show it serving and
// terminating). Finally the pod's status is marked terminated (phase
// Succeeded) and the pod is deleted with grace period 0 and a UID
// precondition.
//
// Per-pod behaviour is set with annotations (read again on every update, so a
// test can change them on a live pod):
//
//	kubelet.tgc.dev/start-delay: "2s"       the app listens only after this
//	                                         delay, so it neither answers nor
//	                                         passes readiness before it
//	kubelet.tgc.dev/fail-health: "true"      the health path answers 503
//	kubelet.tgc.dev/response-delay: "50ms"   added to every response
//	kubelet.tgc.dev/shutdown-delay: "3s"     how long the app keeps serving
//	                                         after preStop ends (default 0)
//
// The health path is the container's readinessProbe.httpGet.path, and
// /healthz always.
//
// Each node has an address of its own, claimed on the machine from
// Config.NodeCIDR (default 127.0.10.0/24), reported as its InternalIP and
// its pods' hostIP, and plays an EC2 instance (spec.providerID
// aws:///<zone>/i-<the address in hex>), which it announces to
// Config.Instances (the ELBv2 emulator) so that instance targets reach it.
// There a minimal kube-proxy (proxy.go) serves every TCP NodePort and
// forwards each connection to one endpoint of the Service: the ready ones,
// only those on the node with externalTrafficPolicy Local, and while none
// is ready the terminating ones that still serve. With Local it answers the
// Service's healthCheckNodePort: 200 while the node runs a ready endpoint,
// 503 otherwise.
//
// A cluster of several nodes runs one kubelet per node with
// Config.LeaveBinding and a Scheduler, which binds each pod to a Ready,
// uncordoned node whose taints it tolerates, spreading replicas.
//
// Only what Deployments and ReplicaSets create is handled: restartPolicy,
// init containers, liveness and startup probes, volumes and resources are
// ignored. Pods have no network namespace: ports of different pods never
// collide because each pod has its own loopback address.
package kubelet
