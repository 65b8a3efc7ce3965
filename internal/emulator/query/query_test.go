package query

import (
	"encoding/xml"
	"net/url"
	"testing"
)

func TestParamsReadListsAndStructsInIndexOrder(t *testing.T) {
	v, err := url.ParseQuery("Names.member.2=b&Names.member.1=a&Names.member.10=c" +
		"&Targets.member.2.Id=10.0.0.2&Targets.member.1.Id=10.0.0.1&Targets.member.1.Port=80")
	if err != nil {
		t.Fatal(err)
	}
	p := NewParams(v)
	if got := p.List("Names"); len(got) != 3 || got[0] != "a" || got[1] != "b" || got[2] != "c" {
		t.Fatalf("List = %v, want [a b c]", got)
	}
	ts := p.Structs("Targets")
	if len(ts) != 2 || ts[0].String("Id") != "10.0.0.1" || ts[1].String("Id") != "10.0.0.2" {
		t.Fatalf("Structs = %+v", ts)
	}
	if port, ok, err := ts[0].Int("Port"); port != 80 || !ok || err != nil {
		t.Fatalf("first target port = %d %v %v", port, ok, err)
	}
	if _, ok, _ := ts[1].Int("Port"); ok {
		t.Fatal("second target has no Port but Int reported one")
	}
}

type appended struct{ v string }

func (a appended) AppendXML(dst []byte) []byte { return AppendElement(dst, "Value", a.v) }
func (a appended) SizeHint() int               { return 16 + len(a.v) }

func TestAppenderResultsMatchEncodingXML(t *testing.T) {
	type viaTags struct {
		Value string `xml:"Value"`
	}
	const tricky = `a<b>&"c'`
	fast, err := EncodeResult("Op", appended{tricky}, "req-1")
	if err != nil {
		t.Fatal(err)
	}
	slow, err := EncodeResult("Op", viaTags{tricky}, "req-1")
	if err != nil {
		t.Fatal(err)
	}
	var a, b struct {
		Value string `xml:"OpResult>Value"`
		ReqID string `xml:"ResponseMetadata>RequestId"`
	}
	if err := xml.Unmarshal(fast, &a); err != nil {
		t.Fatalf("appended XML does not parse: %v\n%s", err, fast)
	}
	if err := xml.Unmarshal(slow, &b); err != nil {
		t.Fatal(err)
	}
	if a != b || a.Value != tricky {
		t.Fatalf("appended %+v, encoding/xml %+v", a, b)
	}
}
