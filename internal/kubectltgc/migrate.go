package kubectltgc

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	"github.com/tgc-dev/targetgroupcontroller/api/v1alpha1"
)

// migrateFlags are migrate's own flags.
type migrateFlags struct {
	allNamespaces bool
	dryRun        bool
	settle        time.Duration
	timeout       time.Duration
}

func (o *options) migrateCommand() *cobra.Command {
	var f migrateFlags
	cmd := &cobra.Command{
		Use:   "migrate [-n NAMESPACE | -A] [--dry-run]",
		Short: "Move the AWS Load Balancer Controller's TargetGroupBindings over to tgc without deregistering a target",
		Long: `migrate converts each elbv2.k8s.aws/v1beta1 TargetGroupBinding into a tgc
binding of the same name, field by field, and hands the target group over in
an order where the two controllers never act on it at once:

  1. create the tgc binding paused: tgc reads the group and writes nothing;
  2. wait until tgc has observed it;
  3. remove the peer's finalizer and delete the peer's binding in one step
     that cannot interleave with the peer re-adding its finalizer (the
     delete is conditional on the finalizer-free version), so the peer never
     sees its binding being deleted and never runs its cleanup, which would
     deregister every target;
  4. wait --settle for a reconcile of the peer already under way to end;
  5. resume the tgc binding and wait until it reports Ready.

A field tgc does not support (spec.networking among them) stops the
migration of that binding, with the reason. --dry-run prints the plan and
changes nothing. See docs/migrating.md.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := o.session()
			if err != nil {
				return err
			}
			ns := s.namespace
			if f.allNamespaces {
				ns = ""
			}
			return o.migrate(cmd.Context(), s, ns, f)
		},
	}
	cmd.Flags().BoolVarP(&f.allNamespaces, "all-namespaces", "A", false, "Migrate the peer's bindings of every namespace.")
	cmd.Flags().BoolVar(&f.dryRun, "dry-run", false, "Print the plan and change nothing.")
	cmd.Flags().DurationVar(&f.settle, "settle", 2*time.Second, "How long to wait after the peer's binding is gone before tgc starts writing, for a reconcile of the peer already under way to end.")
	cmd.Flags().DurationVar(&f.timeout, "timeout", 2*time.Minute, "How long to wait for tgc to observe, and then to sync, each binding.")
	return cmd
}

// migrate plans every peer binding in ns (all when empty) and, unless
// dry-run, carries out the plan one binding at a time.
func (o *options) migrate(ctx context.Context, s *session, ns string, f migrateFlags) error {
	list := &unstructured.UnstructuredList{}
	list.SetGroupVersionKind(peerBindingGVK.GroupVersion().WithKind(peerBindingGVK.Kind + "List"))
	if err := s.kube.List(ctx, list, client.InNamespace(ns)); err != nil {
		if apimeta.IsNoMatchError(err) {
			return &exitCode{exitError, fmt.Errorf("the cluster has no %s CRD: there is nothing to migrate", peerBindingGVK.GroupKind())}
		}
		return &exitCode{exitError, fmt.Errorf("listing %s: %w", peerBindingGVK.GroupKind(), err)}
	}
	var plan []migration
	for i := range list.Items {
		m := convert(&list.Items[i])
		if list.Items[i].GetDeletionTimestamp() != nil {
			m.Binding, m.Refused = nil, append(m.Refused, "the peer's binding is being deleted: the peer is deregistering its targets")
		}
		plan = append(plan, m)
	}
	if len(plan) == 0 {
		fmt.Fprintf(o.out, "no %s bindings to migrate%s\n", peerBindingGVK.GroupKind(), inNamespace(ns))
		return nil
	}
	if f.dryRun {
		if o.output != "" {
			return printData(o.out, o.output, plan)
		}
		for _, m := range plan {
			o.printPlan(m)
		}
		return nil
	}
	var failed []error
	for _, m := range plan {
		if m.Binding == nil {
			o.printPlan(m)
			failed = append(failed, fmt.Errorf("%s/%s not migrated", m.Namespace, m.Name))
			continue
		}
		if err := o.migrateOne(ctx, s, m, f); err != nil {
			fmt.Fprintf(o.errOut, "%s/%s: %v\n", m.Namespace, m.Name, err)
			failed = append(failed, fmt.Errorf("migrating %s/%s: %w", m.Namespace, m.Name, err))
			continue
		}
		fmt.Fprintf(o.out, "targetgroupbinding %s/%s migrated: the peer's binding is gone and tgc's is Ready\n", m.Namespace, m.Name)
	}
	if err := errors.Join(failed...); err != nil {
		return &exitCode{exitError, err}
	}
	return nil
}

func inNamespace(ns string) string {
	if ns == "" {
		return " in any namespace"
	}
	return " in namespace " + ns
}

func (o *options) printPlan(m migration) {
	if m.Binding == nil {
		fmt.Fprintf(o.out, "%s/%s: not migrated:\n", m.Namespace, m.Name)
		for _, r := range m.Refused {
			fmt.Fprintf(o.out, "  - %s\n", r)
		}
		return
	}
	b := m.Binding
	target := b.Spec.TargetGroupARN
	if target == "" {
		target = "name " + b.Spec.TargetGroupName
	}
	fmt.Fprintf(o.out, "%s/%s: create tgc binding (paused) for %s, Service %s port %s, targetType %s; then remove finalizer %s from the peer's binding and delete it; then resume tgc's binding\n",
		m.Namespace, m.Name, target, b.Spec.ServiceRef.Name, b.Spec.ServiceRef.Port.String(), orDefault(string(b.Spec.TargetType), "ip"), PeerFinalizer)
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// migrateOne carries out one binding's migration in the order migrate's
// help gives. It can be run again after a failure: each step checks
// whether it was done.
func (o *options) migrateOne(ctx context.Context, s *session, m migration, f migrateFlags) error {
	key := types.NamespacedName{Namespace: m.Namespace, Name: m.Name}
	tgb := &v1alpha1.TargetGroupBinding{}
	switch err := s.kube.Get(ctx, key, tgb); {
	case apierrors.IsNotFound(err):
		tgb = m.Binding.DeepCopy()
		if err := s.kube.Create(ctx, tgb); err != nil {
			return fmt.Errorf("creating tgc's binding: %w", err)
		}
	case err != nil:
		return fmt.Errorf("reading tgc's binding: %w", err)
	case tgb.Annotations[v1alpha1.MigratedFromAnnotation] == "":
		return fmt.Errorf("a tgc binding of that name exists and was not made by migrate; rename one of them")
	}
	if !tgb.Spec.Paused && !ready(tgb) {
		return fmt.Errorf("tgc's binding exists unpaused but is not Ready; fix it before migrating (kubectl tgc status %s)", m.Name)
	}
	if tgb.Spec.Paused {
		if err := waitBinding(ctx, s.kube, key, f.timeout, "tgc to observe its paused binding", func(b *v1alpha1.TargetGroupBinding) bool {
			return b.Status.ObservedGeneration == b.Generation
		}); err != nil {
			return err
		}
	}
	if err := removePeerBinding(ctx, s.kube, key, f.timeout); err != nil {
		return err
	}
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(f.settle):
	}
	if tgb.Spec.Paused {
		patch := client.RawPatch(types.MergePatchType, []byte(`{"spec":{"paused":false}}`))
		if err := s.kube.Patch(ctx, tgb, patch); err != nil {
			return fmt.Errorf("resuming tgc's binding: %w", err)
		}
	}
	return waitBinding(ctx, s.kube, key, f.timeout, "tgc's binding to be Ready", func(b *v1alpha1.TargetGroupBinding) bool {
		return !b.Spec.Paused && b.Status.ObservedGeneration == b.Generation && ready(b)
	})
}

func ready(b *v1alpha1.TargetGroupBinding) bool {
	return apimeta.IsStatusConditionTrue(b.Status.Conditions, v1alpha1.ConditionReady)
}

// removePeerBinding removes the peer's finalizer and deletes its binding so
// that the peer never reconciles it with a deletion timestamp: the peer
// re-adds its finalizer at the top of every reconcile
// (targetGroupBindingReconciler.reconcileTargetGroupBinding), and runs its
// cleanup, which deregisters every target, only for a binding being deleted
// (reconcile -> cleanupTargetGroupBinding). The delete is conditional on the
// resourceVersion of the finalizer-free binding, so if the peer put its
// finalizer back in between, the delete fails with a conflict and nothing
// is deleted; a binding without finalizers is removed at once.
func removePeerBinding(ctx context.Context, kube client.Client, key types.NamespacedName, timeout time.Duration) error {
	// The peer re-adds its finalizer within milliseconds of its removal, and
	// it can win that race several times in a row: keep trying until
	// timeout, rather than a fixed number of times.
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	// Attempts 200 ms apart stay far below the client's limits, so that
	// within an attempt the delete follows the patch without a wait.
	err := wait.PollUntilContextCancel(ctx, 200*time.Millisecond, true, func(ctx context.Context) (bool, error) {
		u := &unstructured.Unstructured{}
		u.SetGroupVersionKind(peerBindingGVK)
		if err := kube.Get(ctx, key, u); err != nil {
			if apierrors.IsNotFound(err) {
				return true, nil
			}
			return false, fmt.Errorf("reading the peer's binding: %w", err)
		}
		if u.GetDeletionTimestamp() != nil {
			return false, fmt.Errorf("the peer's binding is being deleted by someone else; the peer is deregistering its targets")
		}
		if controllerutil.ContainsFinalizer(u, PeerFinalizer) {
			old := u.DeepCopy()
			controllerutil.RemoveFinalizer(u, PeerFinalizer)
			if err := kube.Patch(ctx, u, client.MergeFromWithOptions(old, client.MergeFromWithOptimisticLock{})); err != nil {
				if apierrors.IsConflict(err) {
					return false, nil
				}
				return false, fmt.Errorf("removing finalizer %s from the peer's binding: %w", PeerFinalizer, err)
			}
		}
		if len(u.GetFinalizers()) > 0 {
			return false, fmt.Errorf("the peer's binding has finalizers migrate does not know (%v); remove them first", u.GetFinalizers())
		}
		rv, uid := u.GetResourceVersion(), u.GetUID()
		if err := kube.Delete(ctx, u, client.Preconditions{ResourceVersion: &rv, UID: &uid}); err != nil {
			if apierrors.IsConflict(err) {
				return false, nil // the peer re-added its finalizer: again
			}
			if apierrors.IsNotFound(err) {
				return true, nil
			}
			return false, fmt.Errorf("deleting the peer's binding: %w", err)
		}
		return true, nil
	})
	if err != nil && ctx.Err() != nil {
		return fmt.Errorf("the peer kept re-adding its finalizer for %s; its binding is untouched (run migrate again, or scale the peer to zero first): %w", timeout, err)
	}
	return err
}

// waitBinding polls tgc's binding until done holds or timeout passes.
func waitBinding(ctx context.Context, kube client.Client, key types.NamespacedName, timeout time.Duration, what string, done func(*v1alpha1.TargetGroupBinding) bool) error {
	var last *v1alpha1.TargetGroupBinding
	err := wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, timeout, true, func(ctx context.Context) (bool, error) {
		b := &v1alpha1.TargetGroupBinding{}
		if err := kube.Get(ctx, key, b); err != nil {
			return false, fmt.Errorf("reading tgc's binding: %w", err)
		}
		last = b
		return done(b), nil
	})
	if err != nil {
		msg := ""
		if last != nil {
			if c := apimeta.FindStatusCondition(last.Status.Conditions, v1alpha1.ConditionReady); c != nil {
				msg = fmt.Sprintf(" (Ready=%s %s: %s)", c.Status, c.Reason, c.Message)
			}
		}
		return fmt.Errorf("waiting %s for %s%s: %w", timeout, what, msg, err)
	}
	return nil
}
