package query

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// Namespace is the XML namespace of ELBv2 API version 2015-12-01.
const Namespace = "http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/"

// Version is the only API version ELBv2 serves.
const Version = "2015-12-01"

// Appender is implemented by results that render their own XML, for hot
// paths where encoding/xml's reflection costs too much (DescribeTargetHealth
// of 1,000 targets). AppendXML appends the children of the Result element;
// SizeHint estimates their length so the buffer is allocated once.
type Appender interface {
	AppendXML(dst []byte) []byte
	SizeHint() int
}

// AppendEscaped appends s with XML special characters escaped.
func AppendEscaped(dst []byte, s string) []byte {
	if !strings.ContainsAny(s, "<>&\"'") {
		return append(dst, s...)
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '<':
			dst = append(dst, "&lt;"...)
		case '>':
			dst = append(dst, "&gt;"...)
		case '&':
			dst = append(dst, "&amp;"...)
		case '"':
			dst = append(dst, "&#34;"...)
		case '\'':
			dst = append(dst, "&#39;"...)
		default:
			dst = append(dst, c)
		}
	}
	return dst
}

// AppendElement appends <name>escaped value</name>.
func AppendElement(dst []byte, name, value string) []byte {
	dst = append(dst, '<')
	dst = append(dst, name...)
	dst = append(dst, '>')
	dst = AppendEscaped(dst, value)
	dst = append(dst, "</"...)
	dst = append(dst, name...)
	return append(dst, '>')
}

// EncodeResult renders <ActionResponse xmlns=…><ActionResult>result</ActionResult>
// <ResponseMetadata><RequestId>…</RequestId></ResponseMetadata></ActionResponse>.
// result is a struct whose fields carry encoding/xml tags; nil yields an empty
// result element, as AWS sends for DeleteTargetGroup and friends.
func EncodeResult(action string, result any, requestID string) ([]byte, error) {
	if a, ok := result.(Appender); ok {
		out := make([]byte, 0, 512+a.SizeHint())
		out = append(out, xml.Header...)
		out = append(out, "<"+action+"Response xmlns=\""+Namespace+"\"><"+action+"Result>"...)
		out = a.AppendXML(out)
		out = append(out, "</"+action+"Result><ResponseMetadata>"...)
		out = AppendElement(out, "RequestId", requestID)
		out = append(out, "</ResponseMetadata></"+action+"Response>"...)
		return out, nil
	}
	var buf bytes.Buffer
	buf.WriteString(xml.Header)
	enc := xml.NewEncoder(&buf)
	root := xml.StartElement{
		Name: xml.Name{Local: action + "Response"},
		Attr: []xml.Attr{{Name: xml.Name{Local: "xmlns"}, Value: Namespace}},
	}
	if err := enc.EncodeToken(root); err != nil {
		return nil, fmt.Errorf("encoding %s response: %w", action, err)
	}
	resultStart := xml.StartElement{Name: xml.Name{Local: action + "Result"}}
	if result == nil {
		if err := enc.EncodeToken(resultStart); err != nil {
			return nil, fmt.Errorf("encoding %s result: %w", action, err)
		}
		if err := enc.EncodeToken(resultStart.End()); err != nil {
			return nil, fmt.Errorf("encoding %s result: %w", action, err)
		}
	} else if err := enc.EncodeElement(result, resultStart); err != nil {
		return nil, fmt.Errorf("encoding %s result: %w", action, err)
	}
	meta := struct {
		RequestID string `xml:"RequestId"`
	}{requestID}
	if err := enc.EncodeElement(meta, xml.StartElement{Name: xml.Name{Local: "ResponseMetadata"}}); err != nil {
		return nil, fmt.Errorf("encoding %s metadata: %w", action, err)
	}
	if err := enc.EncodeToken(root.End()); err != nil {
		return nil, fmt.Errorf("encoding %s response: %w", action, err)
	}
	if err := enc.Flush(); err != nil {
		return nil, fmt.Errorf("encoding %s response: %w", action, err)
	}
	return buf.Bytes(), nil
}

// WriteResult sends an encoded result with status 200.
func WriteResult(w http.ResponseWriter, body []byte, requestID string) {
	w.Header().Set("Content-Type", "text/xml")
	w.Header().Set("X-Amzn-Requestid", requestID)
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}
