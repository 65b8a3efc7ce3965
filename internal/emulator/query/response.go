package query

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"net/http"
)

// Namespace is the XML namespace of ELBv2 API version 2015-12-01.
const Namespace = "http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/"

// Version is the only API version ELBv2 serves.
const Version = "2015-12-01"

// EncodeResult renders <ActionResponse xmlns=…><ActionResult>result</ActionResult>
// <ResponseMetadata><RequestId>…</RequestId></ResponseMetadata></ActionResponse>.
// result is a struct whose fields carry encoding/xml tags; nil yields an empty
// result element, as AWS sends for DeleteTargetGroup and friends.
func EncodeResult(action string, result any, requestID string) ([]byte, error) {
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
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}
