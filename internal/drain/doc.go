// Package drain sizes a pod's shutdown from its target groups'
// deregistration delays: a preStop sleep on the serving container, so that
// it keeps serving until the load balancer has stopped sending it new
// requests and its in-flight ones have ended, and a grace period long
// enough for the sleep and the app's own shutdown. It is pure: the pod
// webhook applies its plans, the binding controller uses its reading of a
// pod's preStop to warn.
package drain
