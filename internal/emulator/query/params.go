// Package query speaks the AWS Query wire protocol that Elastic Load
// Balancing v2 uses: form-encoded requests with an Action and a Version, and
// XML responses wrapped in <ActionResponse><ActionResult>. It knows nothing
// about load balancers.
package query

import (
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"
)

// Params is a read-only view of the request parameters, optionally scoped to
// a prefix such as "Targets.member.3." so that nested structures read like
// top-level ones.
type Params struct {
	values url.Values
	prefix string
}

// NewParams wraps parsed form values.
func NewParams(v url.Values) Params { return Params{values: v} }

// String returns the parameter, or "" when it is absent.
func (p Params) String(key string) string { return p.values.Get(p.prefix + key) }

// Has reports whether the parameter was sent at all, which matters for
// optional fields whose zero value is meaningful (Port, HealthCheckEnabled).
func (p Params) Has(key string) bool {
	_, ok := p.values[p.prefix+key]
	return ok
}

// Int parses an integer parameter. ok is false when it is absent.
func (p Params) Int(key string) (v int64, ok bool, err error) {
	if !p.Has(key) {
		return 0, false, nil
	}
	raw := p.String(key)
	v, err = strconv.ParseInt(raw, 10, 64)
	if err != nil {
		return 0, true, fmt.Errorf("parameter %s%s: %q is not an integer", p.prefix, key, raw)
	}
	return v, true, nil
}

// Bool parses a boolean parameter. ok is false when it is absent.
func (p Params) Bool(key string) (v bool, ok bool, err error) {
	if !p.Has(key) {
		return false, false, nil
	}
	raw := p.String(key)
	v, err = strconv.ParseBool(raw)
	if err != nil {
		return false, true, fmt.Errorf("parameter %s%s: %q is not a boolean", p.prefix, key, raw)
	}
	return v, true, nil
}

// List returns a list of scalars sent as Key.member.1, Key.member.2, ...
// in index order.
func (p Params) List(key string) []string {
	var out []string
	for _, idx := range p.memberIndexes(key) {
		out = append(out, p.values.Get(p.prefix+key+".member."+strconv.Itoa(idx)))
	}
	return out
}

// Structs returns one scoped Params per member of a list of structures sent
// as Key.member.N.Field, in index order.
func (p Params) Structs(key string) []Params {
	var out []Params
	for _, idx := range p.memberIndexes(key) {
		out = append(out, Params{values: p.values, prefix: p.prefix + key + ".member." + strconv.Itoa(idx) + "."})
	}
	return out
}

// memberIndexes finds the distinct N of Key.member.N[.…]. The Query protocol
// numbers members from 1; gaps are tolerated and order follows N.
func (p Params) memberIndexes(key string) []int {
	lead := p.prefix + key + ".member."
	seen := map[int]struct{}{}
	for k := range p.values {
		rest, found := strings.CutPrefix(k, lead)
		if !found {
			continue
		}
		num, _, _ := strings.Cut(rest, ".")
		n, err := strconv.Atoi(num)
		if err != nil || n < 1 {
			continue
		}
		seen[n] = struct{}{}
	}
	idx := make([]int, 0, len(seen))
	for n := range seen {
		idx = append(idx, n)
	}
	sort.Ints(idx)
	return idx
}
