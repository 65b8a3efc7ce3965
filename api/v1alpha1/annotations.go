package v1alpha1

// The Service annotation shortcut: a Service carrying
// AnnotationTargetGroupARN gets a TargetGroupBinding named
// ServiceBindingName(service) in its namespace. Both the controller that
// makes the binding and the webhook that checks the Service use them.
const (
	// AnnotationTargetGroupARN binds the Service to this target group.
	AnnotationTargetGroupARN = "tgc.dev/target-group-arn"
	// AnnotationTargetGroupPort picks the Service port (number or name);
	// without it the Service's first port is used.
	AnnotationTargetGroupPort = "tgc.dev/target-group-port"
)

// ServiceBindingName is the name of the binding made for an annotated
// Service.
func ServiceBindingName(service string) string { return service + "-tgc" }
