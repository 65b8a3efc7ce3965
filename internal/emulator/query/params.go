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
func (p Params) List(key string) []string { return p.list(key + ".member.") }

// Structs returns one scoped Params per member of a list of structures sent
// as Key.member.N.Field, in index order.
func (p Params) Structs(key string) []Params { return p.structs(key + ".member.") }

// FlatList is List for EC2's flavour of the protocol, which sends every
// list flat, as Key.1, Key.2, ... (e.g. VpcId.1).
func (p Params) FlatList(key string) []string { return p.list(key + ".") }

// FlatStructs is Structs for EC2's flat lists, Key.N.Field (e.g.
// Filter.1.Name).
func (p Params) FlatStructs(key string) []Params { return p.structs(key + ".") }

func (p Params) list(lead string) []string {
	var out []string
	for _, idx := range p.indexes(lead) {
		out = append(out, p.values.Get(p.prefix+lead+strconv.Itoa(idx)))
	}
	return out
}

func (p Params) structs(lead string) []Params {
	var out []Params
	for _, idx := range p.indexes(lead) {
		out = append(out, Params{values: p.values, prefix: p.prefix + lead + strconv.Itoa(idx) + "."})
	}
	return out
}

// indexes finds the distinct N of <lead>N[.…], e.g. lead "Targets.member.".
// The Query protocol numbers members from 1; gaps are tolerated and order
// follows N.
func (p Params) indexes(lead string) []int {
	lead = p.prefix + lead
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
