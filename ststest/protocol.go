package ststest

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// The XML of the STS query protocol, version 2011-06-15, as STS sends it and as the SDK's
// awsQuery deserializer reads it.

const xmlns = "https://sts.amazonaws.com/doc/2011-06-15/"

// response is an <ActionResponse> document; setRequestID fills its ResponseMetadata.
type response interface {
	setRequestID(id string)
}

type responseMetadata struct {
	RequestID string `xml:"RequestId"`
}

func (m *responseMetadata) setRequestID(id string) { m.RequestID = id }

type assumeRoleResponse struct {
	XMLName          xml.Name         `xml:"https://sts.amazonaws.com/doc/2011-06-15/ AssumeRoleResponse"`
	Result           assumeRoleResult `xml:"AssumeRoleResult"`
	ResponseMetadata responseMetadata
}

func (r *assumeRoleResponse) setRequestID(id string) { r.ResponseMetadata.setRequestID(id) }

type assumeRoleResult struct {
	SourceIdentity          string `xml:",omitempty"`
	AssumedRoleUser         assumedRoleUser
	Credentials             credentialsXML
	PackedPolicySize        int `xml:",omitempty"`
	SessionTokenSize        int
	SessionTokenUtilization int
}

type assumedRoleUser struct {
	AssumedRoleID string `xml:"AssumedRoleId"`
	Arn           string
}

type credentialsXML struct {
	AccessKeyID     string `xml:"AccessKeyId"`
	SecretAccessKey string
	SessionToken    string
	Expiration      string
}

type getCallerIdentityResponse struct {
	XMLName          xml.Name                `xml:"https://sts.amazonaws.com/doc/2011-06-15/ GetCallerIdentityResponse"`
	Result           getCallerIdentityResult `xml:"GetCallerIdentityResult"`
	ResponseMetadata responseMetadata
}

func (r *getCallerIdentityResponse) setRequestID(id string) { r.ResponseMetadata.setRequestID(id) }

type getCallerIdentityResult struct {
	Arn     string
	UserID  string `xml:"UserId"`
	Account string
}

type assumeRoleWithWebIdentityResponse struct {
	XMLName          xml.Name                        `xml:"https://sts.amazonaws.com/doc/2011-06-15/ AssumeRoleWithWebIdentityResponse"`
	Result           assumeRoleWithWebIdentityResult `xml:"AssumeRoleWithWebIdentityResult"`
	ResponseMetadata responseMetadata
}

func (r *assumeRoleWithWebIdentityResponse) setRequestID(id string) {
	r.ResponseMetadata.setRequestID(id)
}

type assumeRoleWithWebIdentityResult struct {
	SubjectFromWebIdentityToken string `xml:",omitempty"`
	Audience                    string `xml:",omitempty"`
	AssumedRoleUser             assumedRoleUser
	Credentials                 credentialsXML
	Provider                    string `xml:",omitempty"`
	PackedPolicySize            int    `xml:",omitempty"`
}

type getSessionTokenResponse struct {
	XMLName          xml.Name              `xml:"https://sts.amazonaws.com/doc/2011-06-15/ GetSessionTokenResponse"`
	Result           getSessionTokenResult `xml:"GetSessionTokenResult"`
	ResponseMetadata responseMetadata
}

func (r *getSessionTokenResponse) setRequestID(id string) { r.ResponseMetadata.setRequestID(id) }

type getSessionTokenResult struct {
	Credentials credentialsXML
}

// apiError is an STS error: its HTTP status, its code and its message.
type apiError struct {
	status  int
	code    string
	message string
}

type errorResponse struct {
	XMLName   xml.Name `xml:"https://sts.amazonaws.com/doc/2011-06-15/ ErrorResponse"`
	Error     errorXML
	RequestID string `xml:"RequestId"`
}

type errorXML struct {
	Type    string // Sender for 4xx, Receiver for 5xx
	Code    string
	Message string
}

func writeResponse(w http.ResponseWriter, out response) {
	id := requestID()
	out.setRequestID(id)
	writeXML(w, http.StatusOK, id, out)
}

func writeError(w http.ResponseWriter, e *apiError) {
	id := requestID()
	typ := "Sender"
	if e.status >= 500 {
		typ = "Receiver"
	}
	writeXML(w, e.status, id, errorResponse{Error: errorXML{Type: typ, Code: e.code, Message: e.message}, RequestID: id})
}

func writeXML(w http.ResponseWriter, status int, id string, v any) {
	body, err := xml.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("ststest: marshal %T: %v", v, err)) // static types; cannot happen
	}
	h := w.Header()
	h.Set("Content-Type", "text/xml")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	h.Set("X-Amzn-Requestid", id)
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// writeMalformed answers 200 with a document cut off inside its result element.
func writeMalformed(w http.ResponseWriter, action string) {
	if action == "" || strings.ContainsAny(action, "<>&\"' ") {
		action = "AssumeRole"
	}
	body := "<" + action + `Response xmlns="` + xmlns + `"><` + action + "Result><Credentials><AccessKeyId>ASIA"
	h := w.Header()
	h.Set("Content-Type", "text/xml")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	h.Set("X-Amzn-Requestid", requestID())
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write([]byte(body))
}

// requestID returns a random UUID (version 4), the form of STS request IDs.
func requestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

func errMalformedQuery(msg string) *apiError {
	return &apiError{status: http.StatusBadRequest, code: "MalformedQueryString", message: msg}
}

func errInvalidAction(action, version string) *apiError {
	return &apiError{status: http.StatusBadRequest, code: "InvalidAction",
		message: fmt.Sprintf("Could not find operation %s for version %s", action, version)}
}

func errValidation(msg string) *apiError {
	return &apiError{status: http.StatusBadRequest, code: "ValidationError", message: msg}
}
