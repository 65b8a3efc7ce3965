// Package serviceannotation turns the one-line Service annotation shortcut
// (the seed's way of binding) into a TargetGroupBinding owned by the Service,
// and keeps the two in step. The binding controller does the rest.
package serviceannotation

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/tools/events"
	"k8s.io/klog/v2"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/tgc-dev/targetgroupcontroller/api/v1alpha1"
)

// The annotations of the shortcut (see v1alpha1.AnnotationTargetGroupARN).
const (
	AnnotationTargetGroupARN  = v1alpha1.AnnotationTargetGroupARN
	AnnotationTargetGroupPort = v1alpha1.AnnotationTargetGroupPort
)

// BindingName is the name of the binding made for a Service.
func BindingName(service string) string { return v1alpha1.ServiceBindingName(service) }

// +kubebuilder:rbac:groups=elbv2.tgc.dev,resources=targetgroupbindings,verbs=create;update;delete
// +kubebuilder:rbac:groups="",resources=services/finalizers,verbs=update

// Controller keeps one TargetGroupBinding per annotated Service.
type Controller struct {
	kube   client.Client
	events events.EventRecorder
}

// New returns the controller.
func New(kube client.Client, rec events.EventRecorder) *Controller {
	return &Controller{kube: kube, events: rec}
}

// Register adds the controller to the manager. It watches Services that
// carry (or just lost) the annotation, and the bindings they own.
func (c *Controller) Register(mgr ctrl.Manager) error {
	return ctrl.NewControllerManagedBy(mgr).
		Named("service-annotation").
		For(&corev1.Service{}, builder.WithPredicates(annotated())).
		Owns(&v1alpha1.TargetGroupBinding{}).
		Complete(c)
}

func annotated() predicate.Predicate {
	has := func(o client.Object) bool { _, ok := o.GetAnnotations()[AnnotationTargetGroupARN]; return ok }
	return predicate.Funcs{
		CreateFunc: func(e event.CreateEvent) bool { return has(e.Object) },
		UpdateFunc: func(e event.UpdateEvent) bool { return has(e.ObjectOld) || has(e.ObjectNew) },
		// A deleted Service's binding goes through garbage collection.
		DeleteFunc:  func(event.DeleteEvent) bool { return false },
		GenericFunc: func(e event.GenericEvent) bool { return has(e.Object) },
	}
}

// Reconcile creates, updates or deletes the Service's binding.
func (c *Controller) Reconcile(ctx context.Context, req reconcile.Request) (reconcile.Result, error) {
	svc := &corev1.Service{}
	if err := c.kube.Get(ctx, req.NamespacedName, svc); err != nil {
		return reconcile.Result{}, client.IgnoreNotFound(err)
	}
	ctx = log.IntoContext(ctx, log.FromContext(ctx).WithValues("service", klog.KObj(svc)))
	key := types.NamespacedName{Namespace: svc.Namespace, Name: BindingName(svc.Name)}

	existing := &v1alpha1.TargetGroupBinding{}
	err := c.kube.Get(ctx, key, existing)
	switch {
	case apierrors.IsNotFound(err):
		existing = nil
	case err != nil:
		return reconcile.Result{}, fmt.Errorf("getting binding %s: %w", key, err)
	case !metav1.IsControlledBy(existing, svc):
		c.events.Eventf(svc, existing, corev1.EventTypeWarning, "BindingNameTaken", "Bind",
			"TargetGroupBinding %s exists and is not managed by this Service's annotations; rename it or remove the %s annotation", key.Name, AnnotationTargetGroupARN)
		return reconcile.Result{}, nil
	}

	arn, ok := svc.Annotations[AnnotationTargetGroupARN]
	if !ok || arn == "" {
		if existing == nil {
			return reconcile.Result{}, nil
		}
		log.FromContext(ctx).Info("annotation removed; deleting the Service's binding", "binding", key)
		if err := c.kube.Delete(ctx, existing); client.IgnoreNotFound(err) != nil {
			return reconcile.Result{}, fmt.Errorf("deleting binding %s: %w", key, err)
		}
		return reconcile.Result{}, nil
	}

	port, err := servicePort(svc)
	if err != nil {
		// Bad input: say so and leave any existing binding as it is; a fix
		// to the Service's annotations triggers the next reconcile.
		log.FromContext(ctx).Info("invalid tgc annotations; binding left unchanged", "reason", ReasonInvalidAnnotation, "message", err.Error())
		c.events.Eventf(svc, nil, corev1.EventTypeWarning, ReasonInvalidAnnotation, "Bind", "%v", err)
		return reconcile.Result{}, nil
	}
	want := v1alpha1.TargetGroupBindingSpec{
		TargetGroupARN: arn,
		TargetType:     v1alpha1.TargetTypeIP,
		ServiceRef:     v1alpha1.ServiceReference{Name: svc.Name, Port: port},
	}

	if existing == nil {
		tgb := &v1alpha1.TargetGroupBinding{
			ObjectMeta: metav1.ObjectMeta{Namespace: key.Namespace, Name: key.Name},
			Spec:       want,
		}
		if err := controllerutil.SetControllerReference(svc, tgb, c.kube.Scheme()); err != nil {
			return reconcile.Result{}, fmt.Errorf("owning binding %s by its Service: %w", key, err)
		}
		if err := c.kube.Create(ctx, tgb); err != nil {
			if apierrors.IsForbidden(err) {
				// The validating webhook refused it (a group already held,
				// a namespace no policy allows); its message names the fix.
				c.events.Eventf(svc, nil, corev1.EventTypeWarning, "BindingRefused", "Bind", "TargetGroupBinding %s refused: %v", key.Name, err)
			}
			return reconcile.Result{}, fmt.Errorf("creating binding %s: %w", key, err)
		}
		log.FromContext(ctx).Info("created binding from annotations", "binding", key, "targetGroupARN", arn)
		c.events.Eventf(svc, tgb, corev1.EventTypeNormal, "BindingCreated", "Bind", "created TargetGroupBinding %s for target group %s", key.Name, arn)
		return reconcile.Result{}, nil
	}

	if existing.Spec.TargetGroupARN == want.TargetGroupARN && existing.Spec.ServiceRef == want.ServiceRef {
		return reconcile.Result{}, nil
	}
	orig := existing.DeepCopy()
	existing.Spec.TargetGroupARN = want.TargetGroupARN
	existing.Spec.TargetGroupName = ""
	existing.Spec.ServiceRef = want.ServiceRef
	if err := c.kube.Patch(ctx, existing, client.MergeFrom(orig)); err != nil {
		return reconcile.Result{}, fmt.Errorf("updating binding %s: %w", key, err)
	}
	log.FromContext(ctx).Info("updated binding from annotations", "binding", key, "targetGroupARN", arn)
	return reconcile.Result{}, nil
}

// ReasonInvalidAnnotation is the Warning Event on a Service whose tgc
// annotations cannot make a binding.
const ReasonInvalidAnnotation = "InvalidAnnotation"

// servicePort is the port the annotations name, or the Service's first. A
// number must be a port, 1-65535: converting any integer to int32 would
// wrap, so that 4294967376 named port 80.
func servicePort(svc *corev1.Service) (intstr.IntOrString, error) {
	v, ok := svc.Annotations[AnnotationTargetGroupPort]
	if ok && v != "" {
		if !isNumber(v) {
			return intstr.FromString(v), nil
		}
		n, err := strconv.ParseInt(v, 10, 32)
		if err != nil || n < 1 || n > 65535 {
			return intstr.IntOrString{}, fmt.Errorf("annotation %s=%q on Service %s/%s is not a port: a number must be 1-65535, or give the Service port's name",
				AnnotationTargetGroupPort, v, svc.Namespace, svc.Name)
		}
		return intstr.FromInt32(int32(n)), nil
	}
	if len(svc.Spec.Ports) == 0 {
		return intstr.IntOrString{}, fmt.Errorf("service %s/%s has no ports; add one or set the %s annotation", svc.Namespace, svc.Name, AnnotationTargetGroupPort)
	}
	return intstr.FromInt32(svc.Spec.Ports[0].Port), nil
}

// isNumber reports whether v is written as an integer (an optional sign,
// then digits). Service port names must contain a letter, so no port name
// is one.
func isNumber(v string) bool {
	v = strings.TrimLeft(v, "+-")
	if v == "" {
		return false
	}
	for _, r := range v {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}
