package ststest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/arn"
)

// The X.509 signing algorithms that CreateSession accepts.
const (
	algX509RSA   = "AWS4-X509-RSA-SHA256"
	algX509ECDSA = "AWS4-X509-ECDSA-SHA256"
)

// verifyX509 checks a CreateSession request's signature, written independently of any
// client: SigV4's canonical request rebuilt from what arrived, its string to sign verified
// with the public key of the certificate in X-Amz-X509 (PKCS#1 v1.5 or ASN.1 ECDSA over
// SHA-256), that certificate's serial against the Credential, and its chain through
// X-Amz-X509-Chain to the trust anchor's CA at the server's time. It returns the certificate.
func (s *Server) verifyX509(r *http.Request, body []byte, anchorARN string, ca *x509.Certificate) (*x509.Certificate, *apiError) {
	header := r.Header.Get("Authorization")
	if header == "" {
		return nil, &apiError{http.StatusForbidden, "MissingAuthenticationTokenException", "Missing Authentication Token"}
	}
	alg, rest, _ := strings.Cut(header, " ")
	if alg != algX509RSA && alg != algX509ECDSA {
		return nil, errIncompleteSignature("Unsupported signing algorithm " + alg + ": use " + algX509RSA + " or " + algX509ECDSA)
	}
	fields := map[string]string{}
	for part := range strings.SplitSeq(rest, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		fields[k] = v
	}
	scope := strings.Split(fields["Credential"], "/")
	signed := strings.Split(fields["SignedHeaders"], ";")
	sig, sigErr := hex.DecodeString(fields["Signature"])
	date := r.Header.Get("X-Amz-Date")
	signedAt, dateErr := time.Parse(amzDateFormat, date)
	if len(scope) != 5 || scope[4] != "aws4_request" || fields["SignedHeaders"] == "" || sigErr != nil || len(sig) == 0 || dateErr != nil {
		return nil, errIncompleteSignature("Authorization header requires 'Credential', 'SignedHeaders' and 'Signature', and a valid 'X-Amz-Date' header.")
	}
	for _, need := range []string{"host", "x-amz-date", "x-amz-x509", "content-type", "x-amz-x509-chain"} {
		if (need != "content-type" || r.Header.Get("Content-Type") != "") && (need != "x-amz-x509-chain" || r.Header.Get("X-Amz-X509-Chain") != "") &&
			!slices.Contains(signed, need) {
			return nil, errIncompleteSignature("SignedHeaders must include " + need)
		}
	}
	anchor, _ := arn.Parse(anchorARN)
	switch {
	case scope[3] != "rolesanywhere":
		return nil, errInvalidSignature("Credential should be scoped to correct service: 'rolesanywhere'.")
	case scope[1] != date[:8]:
		return nil, errInvalidSignature("Credential should be scoped to the date of X-Amz-Date, " + date[:8] + ".")
	case ca != nil && scope[2] != anchor.Region:
		return nil, errInvalidSignature("Credential should be scoped to a valid region, '" + anchor.Region + "'.")
	}
	if apiErr := checkSigningTime(signedAt, s.now()); apiErr != nil {
		return nil, errInvalidSignature(apiErr.message)
	}

	leaf, chain, apiErr := requestCertificates(r)
	if apiErr != nil {
		return nil, apiErr
	}
	if leaf.SerialNumber.String() != scope[0] {
		return nil, errInvalidSignature("The Credential names serial number " + scope[0] + ", the certificate has " + leaf.SerialNumber.String() + ".")
	}
	canonical := canonicalX509Request(r, signed, body)
	digest := sha256.Sum256([]byte(alg + "\n" + date + "\n" + strings.Join(scope[1:], "/") + "\n" + hexSHA256([]byte(canonical))))
	valid := false
	switch pub := leaf.PublicKey.(type) {
	case *rsa.PublicKey:
		valid = alg == algX509RSA && rsa.VerifyPKCS1v15(pub, crypto.SHA256, digest[:], sig) == nil
	case *ecdsa.PublicKey:
		valid = alg == algX509ECDSA && ecdsa.VerifyASN1(pub, digest[:], sig)
	}
	if !valid {
		return nil, errInvalidSignature("The request signature we calculated does not match the signature you provided. Check your certificate, private key and signing method.")
	}

	if ca == nil {
		return nil, &apiError{http.StatusNotFound, "ResourceNotFoundException", "Trust anchor " + anchorARN + " not found"}
	}
	// The service takes end-entity certificates only: CA:false, with the Digital Signature key usage.
	if leaf.IsCA || leaf.KeyUsage&x509.KeyUsageDigitalSignature == 0 {
		return nil, errAccessDenied("Untrusted Signing Certificate")
	}
	roots, intermediates := x509.NewCertPool(), x509.NewCertPool()
	roots.AddCert(ca)
	for _, c := range chain {
		intermediates.AddCert(c)
	}
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: roots, Intermediates: intermediates, CurrentTime: s.now(),
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}); err != nil {
		return nil, errAccessDenied("Untrusted Signing Certificate")
	}
	return leaf, nil
}

// requestCertificates parses X-Amz-X509 (base64 DER) and X-Amz-X509-Chain (the same,
// comma-separated).
func requestCertificates(r *http.Request) (*x509.Certificate, []*x509.Certificate, *apiError) {
	parse := func(header, b64 string) (*x509.Certificate, *apiError) {
		der, err := base64.StdEncoding.DecodeString(strings.TrimSpace(b64))
		if err == nil {
			var c *x509.Certificate
			if c, err = x509.ParseCertificate(der); err == nil {
				return c, nil
			}
		}
		return nil, &apiError{http.StatusBadRequest, "ValidationException", header + " is not a base64 DER X.509 certificate: " + err.Error()}
	}
	leaf, apiErr := parse("X-Amz-X509", r.Header.Get("X-Amz-X509"))
	if apiErr != nil {
		return nil, nil, apiErr
	}
	var chain []*x509.Certificate
	if v := r.Header.Get("X-Amz-X509-Chain"); v != "" {
		for part := range strings.SplitSeq(v, ",") {
			c, apiErr := parse("X-Amz-X509-Chain", part)
			if apiErr != nil {
				return nil, nil, apiErr
			}
			chain = append(chain, c)
		}
	}
	return leaf, chain, nil
}

// canonicalX509Request is SigV4's canonical request of r as it arrived.
func canonicalX509Request(r *http.Request, signed []string, body []byte) string {
	q := r.URL.Query()
	var pairs []string
	for k, vs := range q {
		for _, v := range vs {
			pairs = append(pairs, strings.ReplaceAll(url.QueryEscape(k), "+", "%20")+"="+strings.ReplaceAll(url.QueryEscape(v), "+", "%20"))
		}
	}
	slices.Sort(pairs)
	path := r.URL.EscapedPath()
	if path == "" {
		path = "/"
	}
	lines := []string{r.Method, path, strings.Join(pairs, "&")}
	for _, name := range signed {
		var v string
		switch name {
		case "host":
			v = r.Host
		case "content-length":
			v = strconv.FormatInt(r.ContentLength, 10)
		default:
			v = strings.Join(r.Header.Values(name), ",")
		}
		lines = append(lines, name+":"+strings.Join(strings.Fields(v), " "))
	}
	return strings.Join(lines, "\n") + "\n\n" + strings.Join(signed, ";") + "\n" + hexSHA256(body)
}

func hexSHA256(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// createSessionAnswer is the 201 document of CreateSession.
func createSessionAnswer(c credentialsXML, user assumedRoleUser, roleARN string, leaf *x509.Certificate, anchor arn.ARN) any {
	type credentials struct {
		AccessKeyID     string `json:"accessKeyId"`
		Expiration      string `json:"expiration"`
		SecretAccessKey string `json:"secretAccessKey"`
		SessionToken    string `json:"sessionToken"`
	}
	type roleUser struct {
		Arn           string `json:"arn"`
		AssumedRoleID string `json:"assumedRoleId"`
	}
	type credentialResponse struct {
		AssumedRoleUser  roleUser    `json:"assumedRoleUser"`
		Credentials      credentials `json:"credentials"`
		PackedPolicySize int         `json:"packedPolicySize"`
		RoleArn          string      `json:"roleArn"`
		SourceIdentity   string      `json:"sourceIdentity"`
	}
	return struct {
		CredentialSet []credentialResponse `json:"credentialSet"`
		SubjectArn    string               `json:"subjectArn"`
	}{
		CredentialSet: []credentialResponse{{
			AssumedRoleUser:  roleUser{Arn: user.Arn, AssumedRoleID: user.AssumedRoleID},
			Credentials:      credentials{c.AccessKeyID, c.Expiration, c.SecretAccessKey, c.SessionToken},
			PackedPolicySize: 0,
			RoleArn:          roleARN,
			SourceIdentity:   "CN=" + leaf.Subject.CommonName,
		}},
		SubjectArn: fmt.Sprintf("arn:%s:rolesanywhere:%s:%s:subject/%s", anchor.Partition, anchor.Region, anchor.AccountID, requestID()),
	}
}

// answerJSON records the outcome of call id, then writes out with 201 or the error in the
// REST-JSON shape: the code in X-Amzn-Errortype and in the body's __type.
func (s *Server) answerJSON(w http.ResponseWriter, id int, out any, apiErr *apiError) {
	if apiErr != nil {
		s.mu.Lock()
		s.calls[id].ErrorCode = apiErr.code
		s.mu.Unlock()
		writeJSONError(w, apiErr)
		return
	}
	b, err := json.Marshal(out)
	if err != nil {
		panic(fmt.Sprintf("ststest: marshal %T: %v", out, err)) // static types; cannot happen
	}
	writeBody(w, http.StatusCreated, string(b))
}

func writeJSONError(w http.ResponseWriter, e *apiError) {
	b, _ := json.Marshal(struct {
		Type    string `json:"__type"`
		Message string `json:"message"`
	}{e.code, e.message})
	w.Header().Set("X-Amzn-Errortype", e.code)
	writeBody(w, e.status, string(b))
}

func writeBody(w http.ResponseWriter, status int, body string) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	h.Set("X-Amzn-Requestid", requestID())
	w.WriteHeader(status)
	_, _ = w.Write([]byte(body))
}

func rolesAnywhereFault(k FaultKind) *apiError {
	switch k {
	case Throttling:
		return &apiError{http.StatusTooManyRequests, "ThrottlingException", "Rate exceeded"}
	case InternalFailure:
		return &apiError{http.StatusInternalServerError, "InternalServerException", "An internal error occurred."}
	}
	return &apiError{http.StatusServiceUnavailable, "ServiceUnavailableException", "The service is temporarily unavailable."}
}

func errAccessDenied(msg string) *apiError {
	return &apiError{http.StatusForbidden, "AccessDeniedException", msg}
}

func errInvalidSignature(msg string) *apiError {
	return &apiError{http.StatusForbidden, "InvalidSignatureException", msg}
}

func errIncompleteSignature(msg string) *apiError {
	return &apiError{http.StatusBadRequest, "IncompleteSignatureException", msg}
}
