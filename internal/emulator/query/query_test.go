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

func TestFlatListsAreEC2sListsWithoutMember(t *testing.T) {
	v, err := url.ParseQuery("VpcId.2=vpc-b&VpcId.1=vpc-a&Filter.1.Name=vpc-id&Filter.1.Value.2=y&Filter.1.Value.1=x&Filter.2.Name=state")
	if err != nil {
		t.Fatal(err)
	}
	p := NewParams(v)
	if got := p.FlatList("VpcId"); len(got) != 2 || got[0] != "vpc-a" || got[1] != "vpc-b" {
		t.Fatalf("FlatList = %v", got)
	}
	fs := p.FlatStructs("Filter")
	if len(fs) != 2 || fs[0].String("Name") != "vpc-id" || len(fs[1].FlatList("Value")) != 0 {
		t.Fatalf("FlatStructs = %+v", fs)
	}
	if vals := fs[0].FlatList("Value"); len(vals) != 2 || vals[0] != "x" || vals[1] != "y" {
		t.Fatalf("filter values = %v", vals)
	}
	if len(p.List("VpcId")) != 0 {
		t.Fatal("List read a flat list as member-style")
	}
}

func TestEncodeEC2ResultPutsTheRequestIDBesideTheFields(t *testing.T) {
	type result struct {
		Items []string `xml:"vpcSet>item"`
	}
	body, err := EncodeEC2Result("DescribeVpcs", result{Items: []string{"a"}}, "req-1")
	if err != nil {
		t.Fatal(err)
	}
	const want = `<DescribeVpcsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>req-1</requestId><vpcSet><item>a</item></vpcSet></DescribeVpcsResponse>`
	if got := string(body[len(xml.Header):]); got != want {
		t.Fatalf("EncodeEC2Result =\n%s\nwant\n%s", got, want)
	}
}
