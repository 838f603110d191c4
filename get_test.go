package awssts_test

import (
	"context"
	"fmt"
	"log/slog"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/awssts/awssts"
	"github.com/awssts/awssts/ststest"
)

// Get shares one Provider per distinct set of arguments and options, defaults included.
func TestGet_SharesOneProviderPerArguments(t *testing.T) {
	srv := ststest.NewServer()
	defer srv.Close()
	srv.AddUser("AKIAGETTEST000000000", "get-secret")
	roleA, roleB := "arn:aws:iam::123456789012:role/get-a", "arn:aws:iam::123456789012:role/get-b"
	srv.AddRole(roleA, 12*time.Hour)
	srv.AddRole(roleB, 0)
	t.Setenv("AWS_ENDPOINT_URL_STS", srv.URL)
	t.Setenv("AWS_CONFIG_FILE", "/dev/null")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
	ctx := context.Background()
	get := func(role string, optFns ...func(*awssts.Options)) string {
		t.Helper()
		c, err := awssts.Get(ctx, "AKIAGETTEST000000000", "get-secret", role, "us-east-1", optFns...)
		if err != nil {
			t.Fatalf("Get(%s): %v", role, err)
		}
		return c.AccessKeyID
	}
	first := get(roleA)
	if again := get(roleA, func(o *awssts.Options) { o.Duration = awssts.DefaultDuration }); again != first {
		t.Errorf("Get with the default Duration spelled out = %s, want the shared %s", again, first)
	}
	if other := get(roleB); other == first {
		t.Errorf("Get for another role returned the same key %s", other)
	}
	if other := get(roleA, func(o *awssts.Options) { o.Duration = 2 * time.Hour }); other == first {
		t.Errorf("Get with another Duration returned the same key %s", other)
	}
	var assumes int
	for _, c := range srv.Calls() {
		if c.Action == "AssumeRole" {
			assumes++
		}
	}
	if assumes != 3 {
		t.Errorf("%d AssumeRole calls for three distinct argument sets, want 3", assumes)
	}
}

func TestGet_BadArguments(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		key, secret, role, region, want string
	}{
		{"", "s", "arn:aws:iam::123456789012:role/r", "us-east-1", "accessKeyID"},
		{"AKIA", "", "arn:aws:iam::123456789012:role/r", "us-east-1", "secretAccessKey"},
		{"AKIA", "s", "arn:aws:iam::123456789012:role/r", "", "region"},
		{"AKIA", "s", "not-an-arn", "us-east-1", "roleARN"},
	} {
		_, err := awssts.Get(ctx, tc.key, tc.secret, tc.role, tc.region)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Get(%q, …, %q, %q) = %v, want an error naming %s", tc.key, tc.role, tc.region, err, tc.want)
		}
	}
}

// A per-request Logger costs no STS call, and Get keeps a bounded number of Providers, closing
// the ones it evicts.
func TestGet_Bounded_PerCallLoggersShareOneProvider(t *testing.T) {
	srv := ststest.NewServer()
	defer srv.Close()
	t.Cleanup(awssts.CloseShared)
	srv.AddUser("AKIAGETBOUND00000000", "bound-secret")
	role := "arn:aws:iam::123456789012:role/get-bound"
	srv.AddRole(role, 0)
	t.Setenv("AWS_ENDPOINT_URL_STS", srv.URL)
	t.Setenv("AWS_CONFIG_FILE", "/dev/null")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
	ctx := context.Background()
	base := slog.New(slog.DiscardHandler)
	prefetchers := func() int {
		buf := make([]byte, 1<<24)
		return strings.Count(string(buf[:runtime.Stack(buf, true)]), "awssts.prefetchLoop(")
	}
	goroutines := prefetchers()
	assumes := func() (n int) {
		for _, c := range srv.Calls() {
			if c.Action == "AssumeRole" {
				n++
			}
		}
		return n
	}

	for i := range 10000 {
		logger := base.With("request_id", i)
		_, err := awssts.Get(ctx, "AKIAGETBOUND00000000", "bound-secret", role, "us-east-1", func(o *awssts.Options) {
			o.Logger, o.Prefetch = logger, true
		})
		if err != nil {
			t.Fatalf("Get %d: %v", i, err)
		}
	}
	if n := assumes(); n != 1 {
		t.Errorf("10,000 Get calls with per-request loggers made %d AssumeRole calls, want 1", n)
	}

	for i := range 200 {
		_, err := awssts.Get(ctx, "AKIAGETBOUND00000000", "bound-secret", role, "us-east-1", func(o *awssts.Options) {
			o.RoleSessionNamePrefix, o.Prefetch = fmt.Sprintf("bound-%d-", i), true
		})
		if err != nil {
			t.Fatalf("Get with prefix %d: %v", i, err)
		}
	}
	if extra := prefetchers() - goroutines; extra > 64 {
		t.Errorf("200 distinct Providers with prefetch left %d more prefetch goroutines, want at most 64", extra)
	}
}

// Get's answer carries the real expiry STS issued, as the seed's did.
func TestGet_ExpiresIsTheRealExpiry(t *testing.T) {
	srv := ststest.NewServer()
	defer srv.Close()
	t.Cleanup(awssts.CloseShared)
	srv.AddUser("AKIAGETEXPIRY0000000", "expiry-secret")
	role := "arn:aws:iam::123456789012:role/get-expiry"
	srv.AddRole(role, 0)
	t.Setenv("AWS_ENDPOINT_URL_STS", srv.URL)
	t.Setenv("AWS_CONFIG_FILE", "/dev/null")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
	before := time.Now()
	c, err := awssts.Get(context.Background(), "AKIAGETEXPIRY0000000", "expiry-secret", role, "us-east-1")
	if err != nil {
		t.Fatal(err)
	}
	var issued time.Time
	for _, call := range srv.Calls() {
		if call.Action == "AssumeRole" {
			issued = call.Time
		}
	}
	if want := issued.Add(awssts.DefaultDuration); c.Expires.Sub(want).Abs() > 2*time.Second || c.Expires.Before(before.Add(awssts.DefaultDuration-2*time.Second)) {
		t.Errorf("Get's Expires = %v, want the real expiry about %v", c.Expires, want)
	}
}
