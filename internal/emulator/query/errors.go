package query

import (
	"encoding/xml"
	"net/http"
)

// Error is an AWS Query error. Type is "Sender" for client errors and
// "Receiver" for server-side ones, as in AWS's ErrorResponse documents.
type Error struct {
	Status  int
	Type    string
	Code    string
	Message string
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// SenderError is a client error answered with HTTP 400, which is what ELBv2
// uses for every modelled error, Throttling included (see the SDK's
// response snapshots: every *Exception.error.snap is a 400).
func SenderError(code, message string) *Error {
	return &Error{Status: http.StatusBadRequest, Type: "Sender", Code: code, Message: message}
}

type errorResponse struct {
	XMLName   xml.Name    `xml:"ErrorResponse"`
	Xmlns     string      `xml:"xmlns,attr"`
	Error     errorDetail `xml:"Error"`
	RequestID string      `xml:"RequestId"`
}

type errorDetail struct {
	Type    string `xml:"Type"`
	Code    string `xml:"Code"`
	Message string `xml:"Message"`
}

// WriteError answers with the AWS error document.
func WriteError(w http.ResponseWriter, e *Error, requestID string) {
	doc := errorResponse{
		Xmlns:     Namespace,
		Error:     errorDetail{Type: e.Type, Code: e.Code, Message: e.Message},
		RequestID: requestID,
	}
	body, err := xml.Marshal(doc)
	if err != nil {
		http.Error(w, "encoding error response: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/xml")
	w.Header().Set("X-Amzn-Requestid", requestID)
	w.WriteHeader(e.Status)
	_, _ = w.Write([]byte(xml.Header))
	_, _ = w.Write(body)
}
