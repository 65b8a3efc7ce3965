package v1alpha1

// MigratedFromAnnotation on a binding names the AWS Load Balancer
// Controller binding it was migrated from ("TargetGroupBinding.elbv2.k8s.aws/<name>",
// same namespace), as kubectl tgc migrate writes it. Pods created while
// that binding existed carry its readiness gate
// (target-health.elbv2.k8s.aws/<name>), which nothing else sets any more.
const MigratedFromAnnotation = "elbv2.tgc.dev/migrated-from"
