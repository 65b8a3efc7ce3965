package query

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"net/http"
)

// EC2 speaks its own flavour of the Query protocol: lists are sent flat
// (Params.FlatList), results are the children of <ActionResponse> next to
// a lower-case <requestId>, element names are lower camel case, and errors
// are <Response><Errors><Error>, which the SDK's ec2query deserializers
// read (aws/protocol/ec2query.GetErrorResponseComponents).

// EC2Namespace is the XML namespace of EC2 API version 2016-11-15.
const EC2Namespace = "http://ec2.amazonaws.com/doc/2016-11-15/"

// EC2Version is the only EC2 API version the emulator serves.
const EC2Version = "2016-11-15"

// EncodeEC2Result renders <ActionResponse xmlns=…><requestId>…</requestId>
// and then result's fields as children. result is a struct whose fields
// carry encoding/xml tags.
func EncodeEC2Result(action string, result any, requestID string) ([]byte, error) {
	// encoding/xml always wraps a struct in an element: encode it in a
	// throwaway <r> and keep what is inside.
	var inner bytes.Buffer
	if err := xml.NewEncoder(&inner).EncodeElement(result, xml.StartElement{Name: xml.Name{Local: "r"}}); err != nil {
		return nil, fmt.Errorf("encoding %s result: %w", action, err)
	}
	children := bytes.TrimSuffix(bytes.TrimPrefix(inner.Bytes(), []byte("<r>")), []byte("</r>"))
	out := make([]byte, 0, len(children)+256)
	out = append(out, xml.Header...)
	out = append(out, "<"+action+"Response xmlns=\""+EC2Namespace+"\">"...)
	out = AppendElement(out, "requestId", requestID)
	out = append(out, children...)
	return append(out, "</"+action+"Response>"...), nil
}

type ec2ErrorResponse struct {
	XMLName   xml.Name         `xml:"Response"`
	Errors    []ec2ErrorDetail `xml:"Errors>Error"`
	RequestID string           `xml:"RequestID"`
}

type ec2ErrorDetail struct {
	Code    string `xml:"Code"`
	Message string `xml:"Message"`
}

// WriteEC2Error answers with EC2's error document. EC2 errors carry no
// Type.
func WriteEC2Error(w http.ResponseWriter, e *Error, requestID string) {
	body, err := xml.Marshal(ec2ErrorResponse{Errors: []ec2ErrorDetail{{Code: e.Code, Message: e.Message}}, RequestID: requestID})
	if err != nil {
		http.Error(w, "encoding error response: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/xml;charset=UTF-8")
	w.WriteHeader(e.Status)
	_, _ = w.Write([]byte(xml.Header))
	_, _ = w.Write(body)
}
