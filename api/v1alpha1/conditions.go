package v1alpha1

// ConditionReady is true when the target group holds exactly the binding's
// desired targets.
const ConditionReady = "Ready"

// Reasons of the Ready condition. Each names what is wrong so that the user
// knows what to fix; the condition message says how.
const (
	ReasonSynced              = "Synced"
	ReasonInvalidARN          = "InvalidARN"
	ReasonTargetGroupNotFound = "TargetGroupNotFound"
	ReasonTargetTypeMismatch  = "TargetTypeMismatch"
	ReasonServiceNotFound     = "ServiceNotFound"
	ReasonPortNotFound        = "PortNotFound"
	ReasonIPFamilyMismatch    = "IPFamilyMismatch"
	ReasonNoEndpoints         = "NoEndpoints"
	ReasonTargetRejected      = "TargetRejected"
	ReasonTooManyTargets      = "TooManyTargets"
	ReasonAccessDenied        = "AccessDenied"
	ReasonThrottled           = "Throttled"
	ReasonAWSError            = "AWSError"
	// ReasonSyncPending: the first sync's writes wait for client-side
	// rate-limit tokens; they go out when the tokens are due.
	ReasonSyncPending = "SyncPending"
	// ReasonTargetGroupConflict: another binding already syncs this target
	// group and the two do not both set multiClusterTargetGroup.
	ReasonTargetGroupConflict = "TargetGroupConflict"
	// ReasonNotAllowed: TargetGroupPolicies exist and none lets the
	// binding's namespace bind its target group.
	ReasonNotAllowed = "NotAllowed"
)

// Finalizer makes tgc deregister a binding's targets before it goes away.
const Finalizer = "elbv2.tgc.dev/targets"

// ReadinessGateConditionPrefix starts the pod condition type of every
// readiness gate tgc owns; the rest is the TargetGroupBinding's name. The
// shape follows the AWS Load Balancer Controller's
// target-health.elbv2.k8s.aws/<tgb-name>, so users moving over recognise it.
const ReadinessGateConditionPrefix = "target-health.elbv2.tgc.dev/"

// ReadinessGateInjectLabel is the label a namespace carries, with value
// ReadinessGateInjectEnabled, to have tgc's webhook add readiness gates to
// its new pods.
const (
	ReadinessGateInjectLabel   = "elbv2.tgc.dev/pod-readiness-gate-inject"
	ReadinessGateInjectEnabled = "enabled"
)
