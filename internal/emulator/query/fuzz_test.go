package query

import (
	"net/url"
	"testing"
)

// FuzzParams reads random form bodies the way the emulator's handlers do.
// Whatever a caller sends, reading parameters never panics, and a list has
// at most one member per distinct parameter that names one.
func FuzzParams(f *testing.F) {
	f.Add("Action=RegisterTargets&TargetGroupArn=arn&Targets.member.1.Id=10.0.0.1&Targets.member.1.Port=80", "Targets")
	f.Add("Names.member.1=a&Names.member.3=c&Names.member.x=y&Names.member.-1=z", "Names")
	f.Add("Targets.member.99999999999999999999.Id=1&PageSize=400&HealthCheckEnabled=maybe", "Targets")
	f.Add("%zz&&==", "")
	f.Fuzz(func(t *testing.T, body, key string) {
		v, err := url.ParseQuery(body)
		if err != nil {
			return // the emulator answers MalformedQueryString before reading
		}
		p := NewParams(v)
		list := p.List(key)
		structs := p.Structs(key)
		if len(list) != len(structs) || len(list) > len(v) {
			t.Fatalf("List(%q) has %d members, Structs %d, from %d parameters", key, len(list), len(structs), len(v))
		}
		for _, s := range structs {
			_ = s.String("Id")
			_, _, _ = s.Int("Port")
			_, _, _ = s.Bool("Enabled")
			_ = s.Structs("Tags")
		}
	})
}
