package ststest

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// session is a set of temporary credentials the server issued, kept so that they can sign
// later requests.
type session struct {
	secret     string
	token      string
	expiration time.Time
	arn        string // arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION
	userID     string // AROA…:SESSION
	account    string
}

// The AssumeRole limits of the STS API reference.
const (
	minDurationSeconds  = 900
	maxDurationSeconds  = 43200
	defaultDuration     = time.Hour
	roleChainingLimit   = time.Hour
	minSessionNameLen   = 2
	maxSessionNameLen   = 64
	sessionNamePattern  = `[\w+=,.@-]*`
	expirationFormat    = "2006-01-02T15:04:05Z"
	packedPolicyMaxSize = 2048
	sessionTokenLen     = 400
	maxSessionTokenSize = 4096 // the largest MinimumSessionTokenSize STS accepts
)

var sessionNameRE = regexp.MustCompile(`^` + sessionNamePattern + `$`)

func (s *Server) assumeRole(p principal, params url.Values, expired bool) (response, *apiError) {
	roleARN, sessionName := params.Get("RoleArn"), params.Get("RoleSessionName")
	if apiErr := validateAssumeRole(params); apiErr != nil {
		return nil, apiErr
	}
	duration := defaultDuration
	if d, ok := durationSeconds(params); ok {
		duration = time.Duration(d) * time.Second
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.roles[roleARN]
	if !ok {
		return nil, &apiError{http.StatusForbidden, "AccessDenied",
			fmt.Sprintf("User: %s is not authorized to perform: sts:AssumeRole on resource: %s", p.arn, roleARN)}
	}
	if duration > r.maxSession {
		return nil, errValidation("The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")
	}
	if p.chained && duration > roleChainingLimit {
		return nil, errValidation("The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.")
	}

	now := time.Now().UTC().Truncate(time.Second)
	expiration := now.Add(duration)
	if expired {
		expiration = now.Add(-time.Second)
	}
	akid := "ASIA" + randomID(16)
	sess := session{
		secret:     randomString(40),
		token:      randomString(tokenSize(params)),
		expiration: expiration,
		arn:        fmt.Sprintf("arn:%s:sts::%s:assumed-role/%s/%s", partition(roleARN), r.account, r.name, sessionName),
		userID:     r.id + ":" + sessionName,
		account:    r.account,
	}
	s.sessions[akid] = sess

	return &assumeRoleResponse{Result: assumeRoleResult{
		SourceIdentity:  params.Get("SourceIdentity"),
		AssumedRoleUser: assumedRoleUser{AssumedRoleID: sess.userID, Arn: sess.arn},
		Credentials: credentialsXML{
			AccessKeyID:     akid,
			SecretAccessKey: sess.secret,
			SessionToken:    sess.token,
			Expiration:      expiration.Format(expirationFormat),
		},
		PackedPolicySize:        packedPolicySize(params),
		SessionTokenSize:        len(sess.token),
		SessionTokenUtilization: len(sess.token) * 100 / maxSessionTokenSize,
	}}, nil
}

func getCallerIdentity(p principal) response {
	return &getCallerIdentityResponse{Result: getCallerIdentityResult{Arn: p.arn, UserID: p.userID, Account: p.account}}
}

// validateAssumeRole checks the parameter constraints of the STS model, and reports every
// violation in one message as STS does.
func validateAssumeRole(params url.Values) *apiError {
	var bad []string
	violation := func(value any, member, constraint string) {
		v := "null"
		if value != nil {
			v = fmt.Sprintf("'%v'", value)
		}
		bad = append(bad, fmt.Sprintf("Value %s at '%s' failed to satisfy constraint: Member must %s", v, member, constraint))
	}

	if !params.Has("RoleArn") {
		violation(nil, "roleArn", "not be null")
	} else if n := len(params.Get("RoleArn")); n < 20 || n > 2048 {
		violation(params.Get("RoleArn"), "roleArn", fmt.Sprintf("have length %s", lengthBound(n, 20, 2048)))
	}

	name := params.Get("RoleSessionName")
	switch {
	case !params.Has("RoleSessionName"):
		violation(nil, "roleSessionName", "not be null")
	case len(name) < minSessionNameLen:
		violation(name, "roleSessionName", "have length greater than or equal to 2")
	case len(name) > maxSessionNameLen:
		violation(name, "roleSessionName", "have length less than or equal to 64")
	}
	if params.Has("RoleSessionName") && !sessionNameRE.MatchString(name) {
		violation(name, "roleSessionName", "satisfy regular expression pattern: "+sessionNamePattern)
	}

	if params.Has("DurationSeconds") {
		raw := params.Get("DurationSeconds")
		d, ok := durationSeconds(params)
		switch {
		case !ok:
			violation(raw, "durationSeconds", "be a number")
		case d < minDurationSeconds:
			violation(d, "durationSeconds", "have value greater than or equal to 900")
		case d > maxDurationSeconds:
			violation(d, "durationSeconds", "have value less than or equal to 43200")
		}
	}

	if params.Has("MinimumSessionTokenSize") {
		raw := params.Get("MinimumSessionTokenSize")
		n, err := strconv.Atoi(raw)
		switch {
		case err != nil:
			violation(raw, "minimumSessionTokenSize", "be a number")
		case n < 0:
			violation(n, "minimumSessionTokenSize", "have value greater than or equal to 0")
		case n > maxSessionTokenSize:
			violation(n, "minimumSessionTokenSize", "have value less than or equal to 4096")
		}
	}

	switch len(bad) {
	case 0:
		return nil
	case 1:
		return errValidation("1 validation error detected: " + bad[0])
	}
	return errValidation(fmt.Sprintf("%d validation errors detected: %s", len(bad), strings.Join(bad, "; ")))
}

func lengthBound(n, lo, hi int) string {
	if n < lo {
		return fmt.Sprintf("greater than or equal to %d", lo)
	}
	return fmt.Sprintf("less than or equal to %d", hi)
}

// durationSeconds returns the DurationSeconds parameter, if it is there and an integer.
func durationSeconds(params url.Values) (int32, bool) {
	if !params.Has("DurationSeconds") {
		return 0, false
	}
	d, err := strconv.ParseInt(params.Get("DurationSeconds"), 10, 32)
	return int32(d), err == nil
}

// tokenSize is the length of a new session token: the usual one, padded up to the
// MinimumSessionTokenSize asked for.
func tokenSize(params url.Values) int {
	n, _ := strconv.Atoi(params.Get("MinimumSessionTokenSize"))
	return max(sessionTokenLen, n)
}

// packedPolicySize estimates the percentage of the packed-policy limit that session policies
// and tags use; STS reports it only when there are some.
func packedPolicySize(params url.Values) int {
	n := 0
	for k, vs := range params {
		if k == "Policy" || strings.HasPrefix(k, "PolicyArns.") || strings.HasPrefix(k, "Tags.") {
			for _, v := range vs {
				n += len(v)
			}
		}
	}
	if n == 0 {
		return 0
	}
	return max(1, n*100/packedPolicyMaxSize)
}

func partition(roleARN string) string {
	p, _, _ := strings.Cut(strings.TrimPrefix(roleARN, "arn:"), ":")
	return p
}

// randomID returns n (at most 26) uppercase letters and digits from crypto/rand, in the base32
// alphabet of AWS key and role IDs.
func randomID(n int) string {
	return rand.Text()[:n]
}

// randomString returns n characters of standard base64 from crypto/rand, the alphabet of
// secret access keys and session tokens.
func randomString(n int) string {
	b := make([]byte, (n*3+3)/4)
	_, _ = rand.Read(b)
	return base64.StdEncoding.EncodeToString(b)[:n]
}
