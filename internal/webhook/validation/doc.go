// Package validation holds the validating admission webhooks: one on
// TargetGroupBindings and one on Services that carry tgc's annotations. Both
// check the binding as it would be against the same rules the binding
// controller applies at every sync (internal/claims, internal/tenancy), so
// that a user hears of a mistake at kubectl apply rather than in a status.
// The controller stays the guard that always holds: a webhook that is down,
// bypassed or unable to decide (tags, a group known only by name) lets the
// object through and the sync refuses it.
package validation
