package v1alpha1

import (
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// TargetType is how targets are addressed in the group; it must be the
// target group's own type.
// +kubebuilder:validation:Enum=ip;instance
type TargetType string

const (
	// TargetTypeIP registers pod IPs, which needs pods routable inside the
	// VPC; the load balancer sends to the pods themselves.
	TargetTypeIP TargetType = "ip"
	// TargetTypeInstance registers nodes, by the EC2 instance ID of their
	// spec.providerID, on the Service's NodePort; kube-proxy on the node
	// forwards to the pods. For pods the VPC cannot route to, such as on
	// an overlay network.
	TargetTypeInstance TargetType = "instance"
)

// IPAddressType is the IP family of a target group's targets.
// +kubebuilder:validation:Enum=ipv4;ipv6
type IPAddressType string

// The ELBv2 IpAddressType values for a target group.
const (
	IPAddressTypeIPv4 IPAddressType = "ipv4"
	IPAddressTypeIPv6 IPAddressType = "ipv6"
)

// DeletionPolicy says what happens to the registered targets when the binding
// is deleted.
// +kubebuilder:validation:Enum=Delete;Retain
type DeletionPolicy string

const (
	// DeletionPolicyDelete deregisters the binding's targets before the
	// binding goes away.
	DeletionPolicyDelete DeletionPolicy = "Delete"
	// DeletionPolicyRetain leaves the targets registered, e.g. while handing
	// the target group over to another controller.
	DeletionPolicyRetain DeletionPolicy = "Retain"
)

// EmptyEndpointsPolicy says what tgc does when the Service is missing or has
// no ready endpoints at all.
// +kubebuilder:validation:Enum=Retain;Deregister
type EmptyEndpointsPolicy string

const (
	// EmptyEndpointsPolicyRetain keeps the registered targets and reports
	// Ready=False. It is the default because an empty desired set is more often
	// a mistake (a selector typo, a Service deleted and recreated, every pod
	// failing its readiness probe at once) than an intent, and the two
	// outcomes differ a lot: with targets left in place ELBv2 keeps routing
	// (it fails open when every target is unhealthy), with no targets at all
	// every request gets a 503.
	EmptyEndpointsPolicyRetain EmptyEndpointsPolicy = "Retain"
	// EmptyEndpointsPolicyDeregister deregisters everything when the
	// endpoints drop to zero, e.g. for workloads that scale to zero on
	// purpose.
	EmptyEndpointsPolicyDeregister EmptyEndpointsPolicy = "Deregister"
)

// TargetSelection says which endpoint addresses may become targets.
// +kubebuilder:validation:Enum=Pods;AnyEndpoint
type TargetSelection string

const (
	// TargetSelectionPods registers an address only when the endpoint's
	// targetRef names a Pod in the binding's namespace and the address is
	// one of that Pod's IPs (status.podIPs). Other endpoints, such as those
	// of a hand-written EndpointSlice, are skipped with a Warning Event.
	TargetSelectionPods TargetSelection = "Pods"
	// TargetSelectionAnyEndpoint registers every ready endpoint address,
	// whatever stands behind it: whoever can write the Service's
	// EndpointSlices can put any IP reachable in the VPC behind the load
	// balancer.
	TargetSelectionAnyEndpoint TargetSelection = "AnyEndpoint"
)

// ServiceReference names the Service, in the binding's namespace, whose ready
// endpoints become the targets.
type ServiceReference struct {
	// Name of the Service.
	// +kubebuilder:validation:MinLength=1
	Name string `json:"name"`
	// Port of the Service: its number (spec.ports[].port) or its name. The
	// target port is resolved per endpoint from the EndpointSlices, so named
	// container ports work.
	// +kubebuilder:validation:XIntOrString
	Port intstr.IntOrString `json:"port"`
}

// TargetGroupBindingSpec says which target group mirrors which Service port.
// The field names and meanings follow the AWS Load Balancer Controller's
// TargetGroupBinding so that manifests move over unchanged.
// +kubebuilder:validation:XValidation:rule="has(self.targetGroupARN) || has(self.targetGroupName)",message="set targetGroupARN or targetGroupName"
// +kubebuilder:validation:XValidation:rule="!has(self.nodeSelector) || (has(self.targetType) && self.targetType == 'instance')",message="nodeSelector selects the nodes of targetType instance; remove it, or set targetType: instance"
// +kubebuilder:validation:XValidation:rule=`(has(self.targetGroupARN) ? self.targetGroupARN : "") == (has(oldSelf.targetGroupARN) ? oldSelf.targetGroupARN : "") && (has(self.targetGroupName) ? self.targetGroupName : "") == (has(oldSelf.targetGroupName) ? oldSelf.targetGroupName : "")`,message="targetGroupARN and targetGroupName cannot change: a binding edited onto a live target group would take it over. Create a new binding for the other target group and delete this one"
// +kubebuilder:validation:XValidation:rule="!has(self.assumeRoleExternalId) || has(self.iamRoleArnToAssume)",message="assumeRoleExternalId is the external ID of iamRoleArnToAssume; set the role too, or remove the external ID"
type TargetGroupBindingSpec struct {
	// TargetGroupARN is the ARN of the target group. It cannot change, nor
	// can TargetGroupName: the rule is on spec, so that it also runs when a
	// field is removed or the other one set.
	// +optional
	TargetGroupARN string `json:"targetGroupARN,omitempty"`
	// TargetGroupName is resolved to an ARN when TargetGroupARN is empty.
	// +optional
	TargetGroupName string `json:"targetGroupName,omitempty"`
	// TargetType must match the target group's type: ip registers the
	// Service's ready pods, instance registers nodes on the Service's
	// NodePort (the Service needs one: type NodePort or LoadBalancer).
	// With instance and the Service's externalTrafficPolicy Local, only
	// nodes that run a ready endpoint of the Service are registered;
	// otherwise every Ready node that nodeSelector selects. A node leaves
	// the group as soon as it announces that it is going away (the label
	// node.kubernetes.io/exclude-from-external-load-balancers, the taints
	// karpenter.sh/disrupted or ToBeDeletedByClusterAutoscaler, or its
	// deletion), but not merely because it is cordoned or NotReady.
	// +kubebuilder:default=ip
	// +optional
	TargetType TargetType `json:"targetType,omitempty"`
	// NodeSelector, with targetType instance, limits the nodes registered
	// to those whose labels it selects. Empty selects every node.
	// +optional
	NodeSelector *metav1.LabelSelector `json:"nodeSelector,omitempty"`
	// ServiceRef is the Service and port to mirror.
	ServiceRef ServiceReference `json:"serviceRef"`
	// IPAddressType is the IP family of the targets; it must match the
	// target group's. Empty means the target group's own.
	// +optional
	IPAddressType IPAddressType `json:"ipAddressType,omitempty"`
	// MultiClusterTargetGroup lets several bindings (in this or other
	// clusters) share one target group: tgc then deregisters only the targets
	// it registered itself, recorded in status.ownedTargets. Without it tgc
	// owns the whole group and removes any target it did not ask for.
	// +optional
	MultiClusterTargetGroup bool `json:"multiClusterTargetGroup,omitempty"`
	// DeletionPolicy: Delete (default) deregisters the targets when the
	// binding is deleted; Retain leaves them.
	// +kubebuilder:default=Delete
	// +optional
	DeletionPolicy DeletionPolicy `json:"deletionPolicy,omitempty"`
	// EmptyEndpointsPolicy: Retain (default) keeps the registered targets
	// when the Service is missing or has no ready endpoints; Deregister
	// removes them. Either way tgc reports it with an Event and Ready=False.
	// +kubebuilder:default=Retain
	// +optional
	EmptyEndpointsPolicy EmptyEndpointsPolicy `json:"emptyEndpointsPolicy,omitempty"`
	// TargetSelection: Pods (default) registers only addresses of Pods in
	// the binding's namespace, as their EndpointSlice targetRefs name them;
	// AnyEndpoint registers every ready endpoint address, e.g. of a
	// selectorless Service whose EndpointSlices are written by hand, which
	// lets whoever writes them put any IP reachable in the VPC behind the
	// load balancer.
	// +kubebuilder:default=Pods
	// +optional
	TargetSelection TargetSelection `json:"targetSelection,omitempty"`

	// ReadinessGate is the binding's policy for its pods' readiness gate:
	// whether the webhook injects it, how long it may wait, and what
	// happens then.
	// +optional
	ReadinessGate *ReadinessGatePolicy `json:"readinessGate,omitempty"`

	// Drain has the pod webhook size the pods' preStop and grace period
	// from the target group's deregistration delay (see DrainPolicy).
	// +optional
	Drain *DrainPolicy `json:"drain,omitempty"`

	// Paused stops every AWS write for the binding, e.g. during an
	// incident or a migration, while tgc keeps reading: the Ready
	// condition (reason Paused) says how many targets it would register
	// and deregister. A pause has costs: terminating pods are not
	// deregistered, so they can drop requests, and new pods' readiness
	// gates do not turn True, so rollouts hold. Deleting a paused binding
	// leaves its targets registered. Set it back to false (kubectl tgc
	// resume) and tgc applies what changed meanwhile.
	// +optional
	Paused bool `json:"paused,omitempty"`

	// IAMRoleArnToAssume is a role, usually in another account, that tgc
	// assumes (sts:AssumeRole) for every ELBv2 call on this binding's
	// target group: for a group in a network account that is not the
	// cluster's. Empty uses the controller's own credentials. When
	// TargetGroupPolicies exist, one that selects the binding's namespace
	// must list the role in spec.roles.
	// +kubebuilder:validation:Pattern=`^arn:aws[a-z-]*:iam::[0-9]{12}:role/[\w+=,.@/-]{1,512}$`
	// +kubebuilder:validation:MaxLength=2048
	// +optional
	IAMRoleArnToAssume string `json:"iamRoleArnToAssume,omitempty"`

	// AssumeRoleExternalID is the sts:ExternalId tgc passes when it assumes
	// IAMRoleArnToAssume, for a role whose trust policy requires one.
	// Credentials are cached per role and external ID together, so a
	// binding never uses a session another binding's external ID opened.
	// +kubebuilder:validation:MinLength=2
	// +kubebuilder:validation:MaxLength=1224
	// +kubebuilder:validation:Pattern=`^[\w+=,.@:\/-]*$`
	// +optional
	AssumeRoleExternalID string `json:"assumeRoleExternalId,omitempty"`
}

// TargetCounts counts the binding's targets by ELBv2 health state. Every
// count defaults to 0, so that a status patch carrying only the counts that
// changed is still a complete object.
type TargetCounts struct {
	// Desired is the number of targets that should be registered: ready
	// endpoints (targetType ip) or nodes (targetType instance).
	// +kubebuilder:default=0
	// +optional
	Desired int32 `json:"desired"`
	// Registered is the number of the binding's targets in the group that are
	// not draining.
	// +kubebuilder:default=0
	// +optional
	Registered int32 `json:"registered"`
	// +kubebuilder:default=0
	// +optional
	Healthy int32 `json:"healthy"`
	// +kubebuilder:default=0
	// +optional
	Initial int32 `json:"initial"`
	// +kubebuilder:default=0
	// +optional
	Unhealthy int32 `json:"unhealthy"`
	// +kubebuilder:default=0
	// +optional
	Draining int32 `json:"draining"`
	// Unavailable counts targets in the unused or unavailable states, e.g.
	// a target group that no load balancer uses yet.
	// +kubebuilder:default=0
	// +optional
	Unavailable int32 `json:"unavailable"`
	// Skipped counts ready endpoints that are not targets because no Pod of
	// the binding's namespace stands behind their address (targetSelection
	// Pods); each gets a Warning Event EndpointSkipped saying why.
	// +kubebuilder:default=0
	// +optional
	Skipped int32 `json:"skipped"`
}

// TargetGroupBindingStatus is what tgc last saw and did.
type TargetGroupBindingStatus struct {
	// ObservedGeneration is the spec generation the status describes.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`
	// Conditions; Ready says whether the target group equals the desired
	// targets, and its reason says what to fix when it does not.
	// +listType=map
	// +listMapKey=type
	// +optional
	Conditions []metav1.Condition `json:"conditions,omitempty"`
	// TargetGroupARN is the resolved ARN (from the spec or from the name).
	// +optional
	TargetGroupARN string `json:"targetGroupARN,omitempty"`
	// Targets counts the binding's targets by health state.
	// +optional
	Targets TargetCounts `json:"targets,omitempty"`
	// LastSyncTime is when the target group last matched the desired targets.
	// It moves with every status change; a sync that changes nothing else
	// moves it at most once a minute (LastSyncTimeInterval), so that idle
	// health polls and drift checks cost no API write. The
	// tgc_binding_last_sync_timestamp_seconds metric follows every sync.
	// +optional
	LastSyncTime *metav1.Time `json:"lastSyncTime,omitempty"`
	// OwnedTargets, in multi-cluster mode, lists the targets ("ip:port" or
	// "ip:port/zone") this binding registered, so that only those are ever
	// deregistered. It is written before registering. Restoring this object
	// from an old backup rolls the list back: targets registered since are
	// then left in place (never another cluster's removed), and show up as
	// targets nobody owns.
	// +listType=set
	// +optional
	OwnedTargets []string `json:"ownedTargets,omitempty"`
	// DeregistrationDelaySeconds is the target group's
	// deregistration_delay.timeout_seconds as the leader last read it.
	// Every replica's pod webhook sizes drains from it, so that no
	// admission waits for AWS. Unset until first read.
	// +optional
	DeregistrationDelaySeconds *int32 `json:"deregistrationDelaySeconds,omitempty"`
	// Checkpoint is a digest of the desired targets (and their IP family)
	// the target group last held in full. At a start or a leader failover
	// tgc recomputes the desired targets from its cache and syncs the
	// bindings whose digest differs (endpoints changed while no tgc was
	// leading) before it verifies the rest. Unset until the first full
	// sync.
	// +optional
	Checkpoint string `json:"checkpoint,omitempty"`
}

// TargetGroupBinding keeps an ELBv2 target group equal to the ready
// endpoints of a Service port (type ip), or to the nodes that serve its
// NodePort (type instance).
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=tgb,categories=tgc
// +kubebuilder:printcolumn:name="Service",type=string,JSONPath=`.spec.serviceRef.name`
// +kubebuilder:printcolumn:name="Port",type=string,JSONPath=`.spec.serviceRef.port`
// +kubebuilder:printcolumn:name="TargetGroup",type=string,JSONPath=`.status.targetGroupARN`
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Endpoints",type=integer,JSONPath=`.status.targets.desired`,description="Ready endpoints (ip) or nodes (instance) that should be targets"
// +kubebuilder:printcolumn:name="Registered",type=integer,JSONPath=`.status.targets.registered`
// +kubebuilder:printcolumn:name="Healthy",type=integer,JSONPath=`.status.targets.healthy`
// +kubebuilder:printcolumn:name="Skipped",type=integer,JSONPath=`.status.targets.skipped`,priority=1,description="Ready endpoints with no Pod of the binding behind them"
// +kubebuilder:printcolumn:name="Reason",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].reason`,priority=1
// +kubebuilder:printcolumn:name="Paused",type=boolean,JSONPath=`.spec.paused`,priority=1
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type TargetGroupBinding struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   TargetGroupBindingSpec   `json:"spec,omitempty"`
	Status TargetGroupBindingStatus `json:"status,omitempty"`
}

// TargetGroupBindingList is a list of TargetGroupBindings.
//
// +kubebuilder:object:root=true
type TargetGroupBindingList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []TargetGroupBinding `json:"items"`
}

// LastSyncTimeInterval is how often status.lastSyncTime moves forward when
// nothing else in the status changes.
const LastSyncTimeInterval = time.Minute
