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
	ReasonDeleting            = "Deleting"
	// ReasonTargetGroupConflict: another binding already syncs this target
	// group and the two do not both set multiClusterTargetGroup.
	ReasonTargetGroupConflict = "TargetGroupConflict"
)

// Finalizer makes tgc deregister a binding's targets before it goes away.
const Finalizer = "elbv2.tgc.dev/targets"
