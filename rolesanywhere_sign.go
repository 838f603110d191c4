package awssts

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// The signing algorithms of Roles Anywhere: SigV4's canonical request, signed with the
// certificate's key instead of an HMAC.
const (
	x509RSA   = "AWS4-X509-RSA-SHA256"
	x509ECDSA = "AWS4-X509-ECDSA-SHA256"
)

const (
	amzDateFormat      = "20060102T150405Z"
	rolesAnywhereScope = "rolesanywhere"
	maxAnswerBytes     = 1 << 20
)

// createSessionOutput is the 201 answer of CreateSession; fields the engine does not use
// are left out.
type createSessionOutput struct {
	CredentialSet []struct {
		Credentials *struct {
			AccessKeyID     string `json:"accessKeyId"`
			SecretAccessKey string `json:"secretAccessKey"`
			SessionToken    string `json:"sessionToken"`
			Expiration      string `json:"expiration"`
		} `json:"credentials"`
		AssumedRoleUser *struct {
			Arn string `json:"arn"`
		} `json:"assumedRoleUser"`
		RoleArn string `json:"roleArn"`
	} `json:"credentialSet"`
}

// credentials are the first of the answer's credential set, with the expiry on the
// service's clock.
func (o *createSessionOutput) credentials() (aws.Credentials, error) {
	if len(o.CredentialSet) == 0 || o.CredentialSet[0].Credentials == nil {
		return aws.Credentials{}, errors.New("the answer has no credentials")
	}
	if c := o.CredentialSet[0].Credentials; c.SessionToken == "" {
		return aws.Credentials{}, errors.New("the answer's credentials have no session token")
	}
	set := o.CredentialSet[0]
	c := set.Credentials
	exp, err := time.Parse(time.RFC3339, c.Expiration)
	if err != nil {
		return aws.Credentials{}, fmt.Errorf("the answer's expiration %q is not an RFC 3339 time", c.Expiration)
	}
	creds := aws.Credentials{AccessKeyID: c.AccessKeyID, SecretAccessKey: c.SecretAccessKey, SessionToken: c.SessionToken,
		Source: ProviderName, CanExpire: true, Expires: exp}
	who := set.RoleArn
	if set.AssumedRoleUser != nil && set.AssumedRoleUser.Arn != "" {
		who = set.AssumedRoleUser.Arn
	}
	if a, err := arn.Parse(who); err == nil {
		creds.AccountID = a.AccountID
	}
	return creds, nil
}

// createSession sends one CreateSession through a smithy middleware stack with the SDK's
// retry, clock-skew and error middleware; only the serializer, the X.509 signer and the
// deserializer are ours.
func (s *rolesAnywhere) createSession(ctx context.Context, sessionName string) (*createSessionOutput, middleware.Metadata, error) {
	body, err := json.Marshal(struct {
		DurationSeconds int64  `json:"durationSeconds"`
		RoleSessionName string `json:"roleSessionName"`
	}{int64(s.o.Duration / time.Second), sessionName})
	if err != nil {
		return nil, middleware.Metadata{}, err
	}
	stack := middleware.NewStack("CreateSession", smithyhttp.NewStackRequest)
	steps := []error{
		stack.Serialize.Add(middleware.SerializeMiddlewareFunc("OperationSerializer", s.serialize(body)), middleware.After),
		awsmiddleware.AddClientRequestIDMiddleware(stack),
		stack.Finalize.Add(middleware.FinalizeMiddlewareFunc("Signing", s.sign(body)), middleware.After),
		retry.AddRetryMiddlewares(stack, retry.AddRetryMiddlewaresOptions{Retryer: s.retryer}),
		stack.Deserialize.Add(middleware.DeserializeMiddlewareFunc("OperationDeserializer", deserializeCreateSession), middleware.After),
		awsmiddleware.AddRequestIDRetrieverMiddleware(stack),
		awshttp.AddResponseErrorMiddleware(stack),
		awsmiddleware.AddRecordResponseTiming(stack),
	}
	if err := errors.Join(steps...); err != nil {
		return nil, middleware.Metadata{}, err
	}
	h := middleware.DecorateHandler(smithyhttp.NewClientHandlerWithOptions(s.client), stack)
	out, md, err := h.Handle(ctx, nil)
	if err != nil {
		return nil, md, err
	}
	return out.(*createSessionOutput), md, nil
}

// serialize builds POST /sessions with the ARNs in the query and body as JSON.
func (s *rolesAnywhere) serialize(body []byte) func(context.Context, middleware.SerializeInput, middleware.SerializeHandler) (middleware.SerializeOutput, middleware.Metadata, error) {
	return func(ctx context.Context, in middleware.SerializeInput, next middleware.SerializeHandler) (middleware.SerializeOutput, middleware.Metadata, error) {
		req := in.Request.(*smithyhttp.Request)
		u, err := url.Parse(strings.TrimSuffix(s.endpoint, "/") + "/sessions")
		if err != nil {
			return middleware.SerializeOutput{}, middleware.Metadata{}, err
		}
		u.RawQuery = canonicalQuery(url.Values{"profileArn": {s.profileARN}, "roleArn": {s.roleARN}, "trustAnchorArn": {s.trustAnchorARN}})
		req.Method, req.URL = http.MethodPost, u
		req.Header.Set("Content-Type", "application/json")
		req.ContentLength = int64(len(body))
		if in.Request, err = req.SetStream(bytes.NewReader(body)); err != nil {
			return middleware.SerializeOutput{}, middleware.Metadata{}, err
		}
		return next.HandleSerialize(ctx, in)
	}
}

// sign signs each attempt at the time it is sent, on the service's clock as the answers so
// far tell it, and keeps the skew that the answer shows for the next one.
func (s *rolesAnywhere) sign(body []byte) func(context.Context, middleware.FinalizeInput, middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
	sum := sha256.Sum256(body)
	payload := hex.EncodeToString(sum[:])
	return func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
		req := in.Request.(*smithyhttp.Request)
		at := time.Now().Add(time.Duration(s.skew.Load()))
		if err := signX509(req.Request, payload, s.key, s.alg, s.cert, s.chain, s.region, at); err != nil {
			return middleware.FinalizeOutput{}, middleware.Metadata{}, fmt.Errorf("sign CreateSession with the certificate's key: %w", err)
		}
		out, md, err := next.HandleFinalize(ctx, in)
		if skew, ok := awsmiddleware.GetAttemptSkew(md); ok {
			s.skew.Store(int64(skew))
		}
		return out, md, err
	}
}

// signX509 sets the X.509 headers and the Authorization header of req: the SigV4 canonical
// request over content-type, host, x-amz-date, x-amz-x509 and x-amz-x509-chain, its string to
// sign hashed with SHA-256 and signed by key (PKCS#1 v1.5 or ASN.1 ECDSA), hex-encoded.
func signX509(req *http.Request, payloadHash string, key crypto.Signer, alg string, cert *x509.Certificate, chain []*x509.Certificate, region string, at time.Time) error {
	date := at.UTC().Format(amzDateFormat)
	req.Header.Set("X-Amz-Date", date)
	req.Header.Set("X-Amz-X509", base64.StdEncoding.EncodeToString(cert.Raw))
	signed := []string{"content-type", "host", "x-amz-date", "x-amz-x509"}
	if len(chain) > 0 {
		certs := make([]string, len(chain))
		for i, c := range chain {
			certs[i] = base64.StdEncoding.EncodeToString(c.Raw)
		}
		req.Header.Set("X-Amz-X509-Chain", strings.Join(certs, ","))
		signed = append(signed, "x-amz-x509-chain")
	}
	host := req.Host
	if host == "" {
		host = req.URL.Host
	}
	scope := date[:8] + "/" + region + "/" + rolesAnywhereScope + "/aws4_request"
	digest := sha256.Sum256([]byte(stringToSignX509(alg, date, scope,
		canonicalRequest(req.Method, req.URL.EscapedPath(), req.URL.RawQuery, signed, func(name string) string {
			if name == "host" {
				return host
			}
			return strings.Join(req.Header.Values(name), ",")
		}, payloadHash))))
	sig, err := key.Sign(rand.Reader, digest[:], crypto.SHA256)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", fmt.Sprintf("%s Credential=%s/%s, SignedHeaders=%s, Signature=%s",
		alg, cert.SerialNumber, scope, strings.Join(signed, ";"), hex.EncodeToString(sig)))
	return nil
}

// deserializeCreateSession reads a 2xx answer as createSessionOutput, and any other as a
// smithy.GenericAPIError with the code of X-Amzn-Errortype or the body's __type.
func deserializeCreateSession(ctx context.Context, in middleware.DeserializeInput, next middleware.DeserializeHandler) (middleware.DeserializeOutput, middleware.Metadata, error) {
	out, md, err := next.HandleDeserialize(ctx, in)
	if err != nil {
		return out, md, err
	}
	resp, ok := out.RawResponse.(*smithyhttp.Response)
	if !ok {
		return out, md, fmt.Errorf("unexpected transport response %T", out.RawResponse)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswerBytes))
	if err != nil {
		return out, md, &smithy.DeserializationError{Err: fmt.Errorf("read the answer: %w", err)}
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return out, md, answerError(resp, body)
	}
	var result createSessionOutput
	if err := json.Unmarshal(body, &result); err != nil {
		return out, md, &smithy.DeserializationError{Err: fmt.Errorf("the answer is not CreateSession's JSON: %w", err), Snapshot: body[:min(len(body), 64)]}
	}
	out.Result = &result
	return out, md, nil
}

// answerError is the API error of a REST-JSON error answer.
func answerError(resp *smithyhttp.Response, body []byte) error {
	var doc struct {
		Type       string `json:"__type"`
		Message    string `json:"message"`
		MessageCap string `json:"Message"`
	}
	_ = json.Unmarshal(body, &doc)
	code := resp.Header.Get("X-Amzn-Errortype")
	if code == "" {
		code = doc.Type
	}
	if i := strings.LastIndexByte(code, '#'); i >= 0 {
		code = code[i+1:]
	}
	code, _, _ = strings.Cut(code, ":")
	if code == "" {
		code = http.StatusText(resp.StatusCode)
	}
	msg := doc.Message
	if msg == "" {
		msg = doc.MessageCap
	}
	fault := smithy.FaultClient
	if resp.StatusCode >= 500 {
		fault = smithy.FaultServer
	}
	return &smithy.GenericAPIError{Code: code, Message: msg, Fault: fault}
}

// canonicalRequest is SigV4's canonical request: method, the escaped path, the canonical
// query, the headers named in signed (lower case, sorted) with header giving each value, the
// signed header names and the payload's hex SHA-256.
func canonicalRequest(method, path, query string, signed []string, header func(name string) string, payloadHash string) string {
	if path == "" {
		path = "/"
	}
	var b strings.Builder
	b.WriteString(method + "\n" + path + "\n" + query + "\n")
	for _, name := range signed {
		b.WriteString(name + ":" + strings.Join(strings.Fields(header(name)), " ") + "\n")
	}
	b.WriteString("\n" + strings.Join(signed, ";") + "\n" + payloadHash)
	return b.String()
}

// stringToSignX509 is the string whose SHA-256 a Roles Anywhere request's key signs.
func stringToSignX509(alg, date, scope, canonicalRequest string) string {
	sum := sha256.Sum256([]byte(canonicalRequest))
	return alg + "\n" + date + "\n" + scope + "\n" + hex.EncodeToString(sum[:])
}

// canonicalQuery encodes v sorted by key, with %20 for spaces, as SigV4 wants it.
func canonicalQuery(v url.Values) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(v)) {
		for _, val := range slices.Sorted(slices.Values(v[k])) {
			parts = append(parts, strings.ReplaceAll(url.QueryEscape(k)+"="+url.QueryEscape(val), "+", "%20"))
		}
	}
	return strings.Join(parts, "&")
}
