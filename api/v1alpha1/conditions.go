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
	// ReasonNoNodePort: targetType instance, and the Service port has no
	// nodePort to register the nodes on (the Service is of type
	// ClusterIP, or allocates no node ports).
	ReasonNoNodePort = "NoNodePort"
	// ReasonInvalidNodeSelector: spec.nodeSelector is no valid label
	// selector.
	ReasonInvalidNodeSelector = "InvalidNodeSelector"
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
	// ReasonDeregistrationHeld: a sync would have removed more healthy
	// targets than the deregistration brake allows without evidence that
	// their pods are going (terminating, not ready, deleted) or that the
	// binding or its Service was edited; tgc keeps them registered until
	// the evidence arrives or a user confirms with
	// ConfirmDeregistrationAnnotation.
	ReasonDeregistrationHeld = "DeregistrationHeld"
	// ReasonPaused: spec.paused is true; tgc makes no AWS writes for the
	// binding, and the message says what it would do.
	ReasonPaused = "Paused"
	// ReasonAssumeRoleFailed: STS refused to let tgc assume the binding's
	// spec.iamRoleArnToAssume (wrong or missing external ID, or a trust
	// policy that does not name tgc's role).
	ReasonAssumeRoleFailed = "AssumeRoleFailed"
	// ReasonRoleNotAllowed: TargetGroupPolicies exist and none that allows
	// the binding's group lets its namespace assume spec.iamRoleArnToAssume.
	ReasonRoleNotAllowed = "RoleNotAllowed"
)

// ConditionForeignWriter is True when something other than tgc changed the
// binding's targets (added or removed by hand, by Terraform or by another
// controller) more than once within an hour: tgc undoes each change, so two
// writers fighting over one group would otherwise go unnoticed. It turns
// False an hour after the last such change.
const ConditionForeignWriter = "ForeignWriter"

// Reasons of the ForeignWriter condition.
const (
	ReasonRepeatedForeignWrites = "RepeatedForeignWrites"
	ReasonNoRecentForeignWrites = "NoRecentForeignWrites"
)

// ConfirmDeregistrationAnnotation on a binding releases a held
// deregistration. Its value must be the number of held targets the Ready
// condition's message names, so that a confirmation given for one hold
// does not release a later, different one; tgc removes the annotation once
// it has acted on it, or when no hold is left to confirm.
const ConfirmDeregistrationAnnotation = "elbv2.tgc.dev/confirm-deregistration"

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
