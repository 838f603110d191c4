package ststest

import (
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
)

// Parameter constraints of the STS model.
const (
	sessionNamePattern  = `[\w+=,.@-]*`
	serialNumberPattern = `[\w+=/:,.@-]*`
	tokenCodePattern    = `[\d]*`
	maxSessionTokenSize = 4096 // the largest MinimumSessionTokenSize STS accepts
)

var (
	sessionNameRE  = regexp.MustCompile(`^` + sessionNamePattern + `$`)
	serialNumberRE = regexp.MustCompile(`^` + serialNumberPattern + `$`)
	tokenCodeRE    = regexp.MustCompile(`^` + tokenCodePattern + `$`)
)

// violations collects the parameter constraint violations of one request, which STS reports
// all in one ValidationError.
type violations []string

// add records that the member's value fails constraint. A nil value is reported as null;
// sensitive members are reported without their value, as AWS does.
func (v *violations) add(value any, member, constraint string, sensitive bool) {
	at := fmt.Sprintf("at '%s'", member)
	switch {
	case sensitive:
	case value == nil:
		at = "null " + at
	default:
		at = fmt.Sprintf("'%v' %s", value, at)
	}
	*v = append(*v, fmt.Sprintf("Value %s failed to satisfy constraint: Member must %s", at, constraint))
}

// text checks a string parameter: present if required, lo..hi bytes long, and matching re
// (with its pattern as STS spells it) when re is not nil. A WebIdentityToken is a bearer
// credential: messages never repeat it.
func (v *violations) text(params url.Values, key string, required bool, lo, hi int, re *regexp.Regexp, pattern string) {
	member, sensitive := memberName(key), key == "WebIdentityToken"
	if !params.Has(key) {
		if required {
			v.add(nil, member, "not be null", false)
		}
		return
	}
	s := params.Get(key)
	if n := len(s); n < lo || n > hi {
		v.add(s, member, "have length "+lengthBound(n, lo, hi), sensitive)
	}
	if re != nil && !re.MatchString(s) {
		v.add(s, member, "satisfy regular expression pattern: "+pattern, sensitive)
	}
}

// number checks an optional integer parameter for the range lo..hi.
func (v *violations) number(params url.Values, key string, lo, hi int) {
	if !params.Has(key) {
		return
	}
	member, raw := memberName(key), params.Get(key)
	n, err := strconv.ParseInt(raw, 10, 32)
	switch {
	case err != nil:
		v.add(raw, member, "be a number", false)
	case n < int64(lo):
		v.add(n, member, fmt.Sprintf("have value greater than or equal to %d", lo), false)
	case n > int64(hi):
		v.add(n, member, fmt.Sprintf("have value less than or equal to %d", hi), false)
	}
}

// roleParams checks the parameters that AssumeRole and AssumeRoleWithWebIdentity share.
func (v *violations) roleParams(params url.Values) {
	v.text(params, "RoleArn", true, 20, 2048, nil, "")
	v.text(params, "RoleSessionName", true, 2, 64, sessionNameRE, sessionNamePattern)
	v.number(params, "DurationSeconds", minDurationSeconds, maxDurationSeconds)
}

// mfaParams checks the MFA device and code that AssumeRole and GetSessionToken take.
func (v *violations) mfaParams(params url.Values) {
	v.text(params, "SerialNumber", false, 9, 256, serialNumberRE, serialNumberPattern)
	v.text(params, "TokenCode", false, 6, 6, tokenCodeRE, tokenCodePattern)
}

func (v violations) err() *apiError {
	switch len(v) {
	case 0:
		return nil
	case 1:
		return errValidation("1 validation error detected: " + v[0])
	}
	return errValidation(fmt.Sprintf("%d validation errors detected: %s", len(v), strings.Join(v, "; ")))
}

// memberName is the name STS gives a parameter in validation messages: roleArn for RoleArn.
func memberName(key string) string {
	return strings.ToLower(key[:1]) + key[1:]
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
