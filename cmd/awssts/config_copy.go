package main

import (
	"bytes"
	"regexp"
	"slices"
	"strings"
)

// copiedSettings are the profile settings the endpoint's config copy keeps: regions, output,
// retries, endpoints, TLS and request settings. None of them can name or produce credentials;
// any setting not listed here (keys, role_arn, source_profile, credential_source,
// credential_process, sso_*, web_identity_token_file, login_session, and any that SDKs add
// later) is left out.
var copiedSettings = []string{
	"region", "output", "ca_bundle",
	"retry_mode", "max_attempts", "defaults_mode", "parameter_validation", "tcp_keepalive",
	"endpoint_url", "ignore_configured_endpoint_urls", "services", "use_dualstack_endpoint", "use_fips_endpoint",
	"sts_regional_endpoints", "endpoint_discovery_enabled", "account_id_endpoint_mode",
	"s3_use_arn_region", "s3_disable_multiregion_access_points", "s3_disable_express_session_auth",
	"request_min_compression_size_bytes", "disable_request_compression", "request_checksum_calculation",
	"response_checksum_validation", "disable_host_prefix_injection", "auth_scheme_preference", "sigv4a_signing_region_set",
	"sdk_ua_app_id", "csm_enabled", "csm_host", "csm_port", "csm_client_id",
	"cli_pager", "cli_timestamp_format", "cli_binary_format", "cli_auto_prompt", "cli_follow_urlparam", "cli_history",
}

// serviceID is a key of a services section (sts, s3, elastic_beanstalk, ...).
var serviceID = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]*$`)

// credentialSettings are profile settings that give credentials; a services section, which
// a parser that knows no nesting may read as a profile, never gets a key of these names.
var credentialSettings = []string{"credential_process", "credential_source", "role_arn", "source_profile",
	"web_identity_token_file", "sso_session", "sso_start_url", "sso_account_id", "sso_role_name", "login_session"}

// s3Settings are the keys kept inside a profile's nested s3 setting.
var s3Settings = []string{"addressing_style", "use_accelerate_endpoint", "use_dualstack_endpoint", "payload_signing_enabled",
	"us_east_1_regional_endpoint", "max_concurrent_requests", "max_queue_size", "multipart_threshold", "multipart_chunksize",
	"max_bandwidth", "preferred_transfer_client", "target_bandwidth", "io_chunksize"}

// safeName is what a profile, services section or service name is copied as; anything else
// (quotes, blanks, brackets, comment characters) is left out rather than parsed differently
// by another SDK.
var safeName = regexp.MustCompile(`^[A-Za-z0-9_.@+=,/-]+$`)

// configCopy writes, from the sections of the shared config files and the profile names of
// the shared credentials files, a config in which no profile holds credentials: each profile
// with only the copiedSettings it had, and each services section with only endpoint_url. It
// writes out only what it parsed and understood, never the user's lines, so no parser can
// read in the copy a setting that it read in the original.
func configCopy(configs [][]byte, credentials [][]byte) []byte {
	type profile struct {
		header string
		keys   []string
		values map[string]string
	}
	var order []*profile
	byHeader := map[string]*profile{}
	add := func(header string) *profile {
		p := byHeader[header]
		if p == nil {
			p = &profile{header: header, values: map[string]string{}}
			byHeader[header] = p
			order = append(order, p)
		}
		return p
	}
	for _, b := range configs {
		for _, s := range parseINI(b) {
			header, nested := copiedHeader(s.name)
			if header == "" {
				continue
			}
			p := add(header)
			for _, k := range s.keys {
				v, ok := copiedValue(nested, k, s.values[k])
				if !ok {
					continue
				}
				if _, seen := p.values[k]; !seen {
					p.keys = append(p.keys, k)
				}
				p.values[k] = v
			}
		}
	}
	for _, b := range credentials {
		for _, s := range parseINI(b) {
			switch {
			case s.name == "default":
				add("default")
			case safeName.MatchString(s.name):
				add("profile " + s.name)
			}
		}
	}
	var out bytes.Buffer
	for _, p := range order {
		out.WriteString("[" + p.header + "]\n")
		for _, k := range p.keys {
			if v := p.values[k]; strings.HasPrefix(v, "\n") {
				out.WriteString(k + " =" + v + "\n")
			} else {
				out.WriteString(k + " = " + v + "\n")
			}
		}
		out.WriteString("\n")
	}
	return out.Bytes()
}

// copiedHeader is the header a section is copied under, "" for none: [default] and
// [profile NAME] (botocore also reads [profile default] as the default profile), and
// [services NAME], whose values nest.
func copiedHeader(name string) (header string, nested bool) {
	kind, rest, _ := strings.Cut(name, " ")
	rest = strings.TrimFunc(rest, pySpace)
	switch {
	case name == "default", kind == "profile" && rest == "default":
		return "default", false
	case kind == "profile" && safeName.MatchString(rest):
		return "profile " + rest, false
	case kind == "services" && safeName.MatchString(rest):
		return "services " + rest, true
	}
	return "", false
}

// copiedValue is the value of key k as copied, with ok false when it is left out. In a
// services section each key is a service whose nested value keeps endpoint_url only; in a
// profile, k must be one of copiedSettings with a value of one line, or s3 with a nested
// value that keeps s3Settings only.
func copiedValue(services bool, k, v string) (string, bool) {
	switch {
	case services && serviceID.MatchString(k) && !strings.HasPrefix(k, "aws_") && !slices.Contains(credentialSettings, k):
		return nestedValue(v, []string{"endpoint_url"})
	case services:
		return "", false
	case k == "s3":
		return nestedValue(v, s3Settings)
	case slices.Contains(copiedSettings, k) && plainValue(v):
		return v, true
	}
	return "", false
}

// nestedValue keeps, of a nested value ("\n" then "key = value" lines, as botocore parses
// it), the keys allowed, each rewritten as "\n    key = value".
func nestedValue(v string, allowed []string) (string, bool) {
	if !strings.HasPrefix(v, "\n") {
		return "", false
	}
	var kept strings.Builder
	for _, line := range strings.Split(v[1:], "\n") {
		k, sub, ok := strings.Cut(line, "=")
		k, sub = strings.TrimFunc(k, pySpace), strings.TrimFunc(sub, pySpace)
		if ok && slices.Contains(allowed, k) && plainValue(sub) {
			kept.WriteString("\n    " + k + " = " + sub)
		}
	}
	return kept.String(), kept.Len() > 0
}

// plainValue is a value of one line of printable characters.
func plainValue(v string) bool {
	return !strings.ContainsFunc(v, func(r rune) bool { return r < ' ' || r == 0x7f || pySpace(r) && r != ' ' })
}
