package main

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/awssts/awssts/ststest"
)

// A bad --failover-region exits 2 with one line that names the flag, before any STS call.
func TestFailoverRegion_BadInput_Exit2(t *testing.T) {
	cases := []struct {
		name, endpoint string
		regions        []string
		want           string
	}{
		{"syntax", "", []string{"us west 2"}, `--failover-region "us west 2"`},
		{"not a region", "", []string{"westeurope"}, `--failover-region "westeurope"`},
		{"duplicate", "", []string{"us-west-2", "eu-west-1", "us-west-2"}, `--failover-region "us-west-2": is listed twice`},
		{"the region itself", "", []string{"us-east-1"}, `--failover-region "us-east-1": is the region`},
		{"another partition", "", []string{"cn-north-1"}, "--failover-region"},
		{"one endpoint", "http://127.0.0.1:1", []string{"us-west-2"}, "--failover-region: AWS_ENDPOINT_URL_STS"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			isolate(t)
			t.Setenv("AWS_ENDPOINT_URL_STS", tc.endpoint)
			args := []string{"export", "--role-arn", roleARN}
			for _, r := range tc.regions {
				args = append(args, "--failover-region", r)
			}
			code, stdout, stderr := runCLI(t, "", args...)
			if code != exitUsage || !strings.Contains(stderr, tc.want) || strings.Count(stderr, "\n") != 1 || stdout != "" {
				t.Errorf("exit %d, stdout %q, stderr %q; want 2 and one line with %q", code, stdout, stderr, tc.want)
			}
		})
	}
}

// regionServer is an ststest server with the source user of isolate and the test role.
func regionServer(t *testing.T) *ststest.Server {
	t.Helper()
	srv := ststest.NewServer()
	t.Cleanup(srv.Close)
	srv.AddUser(os.Getenv("AWS_ACCESS_KEY_ID"), os.Getenv("AWS_SECRET_ACCESS_KEY"))
	srv.AddRole(roleARN, 12*time.Hour)
	return srv
}

// With the primary region's STS down, export gets the role's credentials from the failover
// region, and caches them under a key that holds the failover list: the same flags hit, a
// command without them does not share the entry.
func TestFailoverRegion_ExportAnswersFromTheNextRegion(t *testing.T) {
	isolate(t)
	t.Setenv("AWS_ENDPOINT_URL_STS", "")
	primary, west, europe := regionServer(t), regionServer(t), regionServer(t)
	for _, kv := range regionalSTS(t, map[string]*ststest.Server{"us-east-1": primary, "us-west-2": west, "eu-west-1": europe}) {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	primary.Fail(ststest.InternalFailure, 1000)
	west.Fail(ststest.ServiceUnavailable, 1000)

	failover := []string{"export", "--role-arn", roleARN, "--failover-region", "us-west-2", "--failover-region", "eu-west-1"}
	code, first, stderr := runBinary(t, failover...)
	if code != 0 {
		t.Fatalf("export with the primary and us-west-2 down: exit %d: %s", code, stderr)
	}
	if assumeRoles(primary) == 0 || assumeRoles(west) == 0 || assumeRoles(europe) != 1 {
		t.Errorf("AssumeRole calls: us-east-1 %d, us-west-2 %d, eu-west-1 %d; want the primary, then us-west-2, then one in eu-west-1",
			assumeRoles(primary), assumeRoles(west), assumeRoles(europe))
	}
	code, second, stderr := runBinary(t, failover...)
	if code != 0 || accessKey(t, second) != accessKey(t, first) || assumeRoles(europe) != 1 {
		t.Errorf("second export: exit %d, %d calls in eu-west-1, stderr %q; want the cached keys and no call", code, assumeRoles(europe), stderr)
	}
	reordered := []string{"export", "--role-arn", roleARN, "--failover-region", "eu-west-1", "--failover-region", "us-west-2"}
	if code, _, stderr := runBinary(t, reordered...); code != 0 || assumeRoles(europe) != 2 {
		t.Errorf("the regions in another order: exit %d, %d calls in eu-west-1, stderr %q; want an entry of its own", code, assumeRoles(europe), stderr)
	}
	if code, _, _ := runBinary(t, "export", "--role-arn", roleARN); code != exitFailure {
		t.Errorf("export without --failover-region: exit %d, want 1: it must not take the failover entry", code)
	}
}
