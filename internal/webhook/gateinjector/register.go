package gateinjector

import (
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/webhook"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"
)

// Path is where the webhook server serves the handler; the
// MutatingWebhookConfiguration in config/webhook points at it.
const Path = "/mutate-v1-pod-readiness-gate"

// +kubebuilder:rbac:groups="",resources=namespaces;services,verbs=get;list;watch
// +kubebuilder:rbac:groups=elbv2.tgc.dev,resources=targetgroupbindings,verbs=get;list;watch

// Register serves the injection handler on srv at Path; it sizes pods'
// drains as d says.
func Register(srv webhook.Server, reader client.Reader, d Drain) {
	srv.Register(Path, &admission.Webhook{Handler: NewHandler(reader).WithDrain(d)})
}
