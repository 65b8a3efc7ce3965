// Package targetgroups is tgc's view of the target groups it manages,
// shared by the binding controller, which plans and writes against it, and
// the readiness gate controller, which reads target health from it. Both
// receive one *View in their constructors, so neither imports the other.
//
// The view holds, per target group, its targets and their health as AWS last
// reported them, kept current by tgc's own successful writes; and, for the
// whole account, the catalog of target groups from one paged sweep. It calls
// AWS only to prime a group, for the drift check, and to follow targets that
// change state on their own.
package targetgroups
