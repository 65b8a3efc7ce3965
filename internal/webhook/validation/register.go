package validation

import (
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/webhook"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"
)

// Paths the ValidatingWebhookConfiguration in config/webhook points at.
const (
	BindingPath = "/validate-elbv2-tgc-dev-v1alpha1-targetgroupbinding"
	ServicePath = "/validate-v1-service-tgc-annotations"
)

// Register serves both handlers on srv.
func Register(srv webhook.Server, reader client.Reader, home Home) {
	srv.Register(BindingPath, &admission.Webhook{Handler: NewBindingHandler(reader, home)})
	srv.Register(ServicePath, &admission.Webhook{Handler: NewServiceHandler(reader, home)})
}
