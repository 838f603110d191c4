package ststest

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// principal is who signed a request: the IAM user of AddUser, or temporary credentials the
// server issued (a role session, or the user's own from GetSessionToken).
type principal struct {
	arn       string
	userID    string
	account   string
	chained   bool // an assumed role, so a further AssumeRole is role chaining
	temporary bool // temporary credentials the server issued
	mfa       bool // authenticated with MFA
}

// sigv4Auth is the parsed Authorization header of a SigV4 request.
type sigv4Auth struct {
	accessKeyID   string
	region        string
	service       string
	signedHeaders []string
	signature     string
}

const amzDateFormat = "20060102T150405Z"

// authenticate checks a request's SigV4 signature by signing the same request again with the
// SDK's own signer and the secret on file, so the server and the SDK cannot drift apart.
func (s *Server) authenticate(r *http.Request, body []byte) (principal, *apiError) {
	header := r.Header.Get("Authorization")
	if header == "" {
		return principal{}, &apiError{http.StatusForbidden, "MissingAuthenticationToken", "Request is missing Authentication Token"}
	}
	auth := parseAuthorization(header)
	if auth.accessKeyID == "" || auth.signature == "" || len(auth.signedHeaders) == 0 {
		return principal{}, &apiError{http.StatusBadRequest, "IncompleteSignature",
			"Authorization header requires 'Credential', 'Signature' and 'SignedHeaders' parameters."}
	}
	signingTime, err := time.Parse(amzDateFormat, r.Header.Get("X-Amz-Date"))
	if err != nil {
		return principal{}, &apiError{http.StatusBadRequest, "IncompleteSignature",
			"Authorization header requires existence of a valid 'X-Amz-Date' header."}
	}
	if auth.service != "sts" {
		return principal{}, errSignature("Credential should be scoped to correct service: 'sts'.")
	}
	if apiErr := checkSigningTime(signingTime, s.now()); apiErr != nil {
		return principal{}, apiErr
	}

	creds, p, apiErr := s.lookupKey(auth.accessKeyID, r.Header.Get("X-Amz-Security-Token"))
	if apiErr != nil {
		return principal{}, apiErr
	}

	resigned, err := http.NewRequestWithContext(r.Context(), r.Method, "http://"+r.Host+r.URL.RequestURI(), nil)
	if err != nil {
		return principal{}, errSignature("The request could not be signed again: " + err.Error())
	}
	resigned.Host = r.Host
	for _, name := range auth.signedHeaders {
		switch name {
		case "host":
		case "content-length":
			resigned.ContentLength = r.ContentLength
		default:
			resigned.Header[http.CanonicalHeaderKey(name)] = r.Header.Values(name)
		}
	}
	sum := sha256.Sum256(body)
	// A signer of its own: a shared one keeps derived keys by key ID, not by secret, so a
	// replaced secret would go on working for the day.
	if err := v4.NewSigner().SignHTTP(r.Context(), creds, resigned, hex.EncodeToString(sum[:]), auth.service, auth.region, signingTime); err != nil {
		return principal{}, errSignature("The request could not be signed again: " + err.Error())
	}
	want := parseAuthorization(resigned.Header.Get("Authorization")).signature
	if subtle.ConstantTimeCompare([]byte(want), []byte(auth.signature)) != 1 {
		return principal{}, errSignature("The request signature we calculated does not match the signature you provided. " +
			"Check your AWS Secret Access Key and signing method. Consult the service documentation for details.")
	}
	return p, nil
}

// lookupKey finds the secret of an access key and checks the session token that must, or must
// not, come with it.
func (s *Server) lookupKey(accessKeyID, token string) (aws.Credentials, principal, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if secret, ok := s.users[accessKeyID]; ok {
		if token != "" {
			return aws.Credentials{}, principal{}, errInvalidToken()
		}
		return aws.Credentials{AccessKeyID: accessKeyID, SecretAccessKey: secret},
			principal{arn: UserARN, userID: UserID, account: Account}, nil
	}
	sess, ok := s.sessions[accessKeyID]
	if !ok || subtle.ConstantTimeCompare([]byte(token), []byte(sess.token)) != 1 {
		return aws.Credentials{}, principal{}, errInvalidToken()
	}
	if !s.now().Before(sess.expiration) {
		return aws.Credentials{}, principal{}, &apiError{http.StatusForbidden, "ExpiredToken", "The security token included in the request is expired"}
	}
	return aws.Credentials{AccessKeyID: accessKeyID, SecretAccessKey: sess.secret, SessionToken: sess.token},
		principal{arn: sess.arn, userID: sess.userID, account: sess.account, chained: sess.role, temporary: true, mfa: sess.mfa}, nil
}

// parseAuthorization splits "AWS4-HMAC-SHA256 Credential=AKID/DATE/REGION/SERVICE/aws4_request,
// SignedHeaders=a;b, Signature=hex"; fields it cannot find stay empty.
func parseAuthorization(header string) sigv4Auth {
	var a sigv4Auth
	rest, ok := strings.CutPrefix(header, "AWS4-HMAC-SHA256 ")
	if !ok {
		return a
	}
	for part := range strings.SplitSeq(rest, ",") {
		key, value, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch key {
		case "Credential":
			scope := strings.Split(value, "/")
			if len(scope) == 5 && scope[4] == "aws4_request" {
				a.accessKeyID, a.region, a.service = scope[0], scope[2], scope[3]
			}
		case "SignedHeaders":
			if value != "" {
				a.signedHeaders = strings.Split(value, ";")
			}
		case "Signature":
			a.signature = value
		}
	}
	return a
}

func errInvalidToken() *apiError {
	return &apiError{http.StatusForbidden, "InvalidClientTokenId", "The security token included in the request is invalid."}
}

func errSignature(msg string) *apiError {
	return &apiError{http.StatusForbidden, "SignatureDoesNotMatch", msg}
}
