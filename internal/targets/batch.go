package targets

// MaxTargetsPerCall is the most targets tgc sends in one RegisterTargets or
// DeregisterTargets call. Smaller calls keep one rejected target
// from failing a huge request, and the AWS Load Balancer Controller uses the
// same chunk size against real ELBv2.
const MaxTargetsPerCall = 200

// Batches splits ts into consecutive chunks of at most size targets, keeping
// their order. A size below 1 means MaxTargetsPerCall. The chunks share
// memory with ts.
func Batches(ts []Target, size int) [][]Target {
	if size < 1 {
		size = MaxTargetsPerCall
	}
	var out [][]Target
	for len(ts) > 0 {
		n := min(size, len(ts))
		out = append(out, ts[:n:n])
		ts = ts[n:]
	}
	return out
}
