package emulator

import (
	"slices"

	"github.com/tgc-dev/targetgroupcontroller/internal/emulator/query"
)

// Tag limits from the AddTags and DescribeTags references.
const (
	maxTagsPerResource = 50
	maxTagARNs         = 20
)

// parseTags reads Key.member.N.Key/Value.
func parseTags(p query.Params, key string) ([]xmlTag, *query.Error) {
	var out []xmlTag
	seen := map[string]bool{}
	for _, m := range p.Structs(key) {
		k := m.String("Key")
		if k == "" || len(k) > 128 {
			return nil, errValidation("A tag key must have between 1 and 128 characters")
		}
		if seen[k] {
			return nil, query.SenderError("DuplicateTagKeys", "Tag key '"+k+"' is specified more than once")
		}
		seen[k] = true
		out = append(out, xmlTag{Key: k, Value: m.String("Value")})
	}
	if len(out) > maxTagsPerResource {
		return nil, query.SenderError("TooManyTags", "A resource can have at most 50 tags")
	}
	return out, nil
}

// lookupResource checks that arn names an existing target group, load
// balancer or listener. Callers hold e.mu.
func (e *Emulator) lookupResource(arn string) *query.Error {
	switch {
	case targetGroupARNPattern.MatchString(arn):
		_, qe := e.lookupGroup(arn)
		return qe
	case loadBalancerARNPattern.MatchString(arn):
		_, qe := e.lookupLoadBalancer(arn)
		return qe
	case listenerARNPattern.MatchString(arn):
		_, qe := e.lookupListener(arn)
		return qe
	default:
		return errValidation("'%s' is not a valid resource ARN", arn)
	}
}

func resourceARNs(p query.Params) ([]string, *query.Error) {
	arns := p.List("ResourceArns")
	if len(arns) == 0 {
		return nil, errValidation("At least one resource ARN must be specified")
	}
	if len(arns) > maxTagARNs {
		return nil, errValidation("At most %d resource ARNs can be specified; got %d", maxTagARNs, len(arns))
	}
	return arns, nil
}

func (e *Emulator) addTags(p query.Params) (any, *query.Error) {
	arns, qe := resourceARNs(p)
	if qe != nil {
		return nil, qe
	}
	tags, qe := parseTags(p, "Tags")
	if qe != nil {
		return nil, qe
	}
	if len(tags) == 0 {
		return nil, errValidation("At least one tag must be specified")
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	merged := make(map[string][]xmlTag, len(arns))
	for _, arn := range arns {
		if qe := e.lookupResource(arn); qe != nil {
			return nil, qe
		}
		cur := slices.Clone(e.tags[arn])
		for _, t := range tags {
			if i := slices.IndexFunc(cur, func(c xmlTag) bool { return c.Key == t.Key }); i >= 0 {
				cur[i].Value = t.Value
			} else {
				cur = append(cur, t)
			}
		}
		if len(cur) > maxTagsPerResource {
			return nil, query.SenderError("TooManyTags", "Resource '"+arn+"' would have more than 50 tags")
		}
		merged[arn] = cur
	}
	for arn, cur := range merged {
		e.tags[arn] = cur
	}
	return nil, nil
}

func (e *Emulator) removeTags(p query.Params) (any, *query.Error) {
	arns, qe := resourceARNs(p)
	if qe != nil {
		return nil, qe
	}
	keys := p.List("TagKeys")
	if len(keys) == 0 {
		return nil, errValidation("At least one tag key must be specified")
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, arn := range arns {
		if qe := e.lookupResource(arn); qe != nil {
			return nil, qe
		}
	}
	for _, arn := range arns {
		e.tags[arn] = slices.DeleteFunc(e.tags[arn], func(t xmlTag) bool { return slices.Contains(keys, t.Key) })
	}
	return nil, nil
}

func (e *Emulator) describeTags(p query.Params) (any, *query.Error) {
	arns, qe := resourceARNs(p)
	if qe != nil {
		return nil, qe
	}
	e.mu.RLock()
	defer e.mu.RUnlock()
	var out xmlTagDescriptions
	for _, arn := range arns {
		if qe := e.lookupResource(arn); qe != nil {
			return nil, qe
		}
		out.TagDescriptions = append(out.TagDescriptions, xmlTagDescription{ResourceArn: arn, Tags: slices.Clone(e.tags[arn])})
	}
	return out, nil
}
