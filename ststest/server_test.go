package ststest_test

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/aws-sdk-go-v2/service/sts/types"
	"github.com/awssts/awssts/ststest"
)

var (
	asiaKeyID = regexp.MustCompile(`^ASIA[A-Z0-9]{16}$`)
	roleID    = regexp.MustCompile(`^AROA[A-Z0-9]+:`)
)

func TestAssumeRoleIssuesCredentials(t *testing.T) {
	for _, tc := range []struct {
		name     string
		role     string
		duration int32 // 0 = omitted
		want     time.Duration
	}{
		{"default duration", testRole, 0, time.Hour},
		{"minimum", testRole, 900, 15 * time.Minute},
		{"role maximum", longRole, 43200, 12 * time.Hour},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := newServer(t)
			before := time.Now().Truncate(time.Second)
			out, err := assumeRole(t.Context(), newClient(srv, userCreds()), tc.role, "build-42", tc.duration)
			after := time.Now()
			if err != nil {
				t.Fatalf("AssumeRole: %v", err)
			}
			c := out.Credentials
			if !asiaKeyID.MatchString(*c.AccessKeyId) {
				t.Errorf("AccessKeyId = %q, want ASIA and 16 uppercase letters or digits", *c.AccessKeyId)
			}
			if len(*c.SecretAccessKey) != 40 || *c.SessionToken == "" {
				t.Errorf("secret has %d characters, token %d; want 40 and some", len(*c.SecretAccessKey), len(*c.SessionToken))
			}
			exp := *c.Expiration
			if exp.Nanosecond() != 0 {
				t.Errorf("Expiration %v is not in whole seconds", exp)
			}
			if issued := exp.Add(-tc.want); issued.Before(before) || issued.After(after) {
				t.Errorf("Expiration %v minus %v is not between %v and %v", exp, tc.want, before, after)
			}
			name := strings.TrimPrefix(tc.role, "arn:aws:iam::111122223333:role/")
			wantARN := "arn:aws:sts::111122223333:assumed-role/" + name + "/build-42"
			if got := aws.ToString(out.AssumedRoleUser.Arn); got != wantARN {
				t.Errorf("AssumedRoleUser.Arn = %q, want %q", got, wantARN)
			}
			if id := aws.ToString(out.AssumedRoleUser.AssumedRoleId); !roleID.MatchString(id) || !strings.HasSuffix(id, ":build-42") {
				t.Errorf("AssumedRoleId = %q, want AROA…:build-42", id)
			}
			//lint:ignore SA1019 STS still sends PackedPolicySize, only when there are session policies or tags.
			if out.PackedPolicySize != nil {
				t.Error("PackedPolicySize is set without session policies or tags")
			}
			if got := aws.ToInt32(out.SessionTokenSize); int(got) != len(*c.SessionToken) || aws.ToInt32(out.SessionTokenUtilization) <= 0 {
				t.Errorf("SessionTokenSize = %d for a token of %d, SessionTokenUtilization %d%%", got, len(*c.SessionToken), aws.ToInt32(out.SessionTokenUtilization))
			}
		})
	}
}

func TestEachIssueIsNew(t *testing.T) {
	srv := newServer(t)
	a, b := issue(t, srv, 0), issue(t, srv, 0)
	if a.AccessKeyID == b.AccessKeyID || a.SecretAccessKey == b.SecretAccessKey || a.SessionToken == b.SessionToken {
		t.Error("two AssumeRole calls returned a common key ID, secret or token")
	}
}

func TestAssumeRoleWithPathAndSessionPolicy(t *testing.T) {
	srv := newServer(t)
	srv.AddRole("arn:aws:iam::444455556666:role/team/ci/runner", 0)
	out, err := newClient(srv, userCreds()).AssumeRole(t.Context(), &sts.AssumeRoleInput{
		RoleArn:         aws.String("arn:aws:iam::444455556666:role/team/ci/runner"),
		RoleSessionName: aws.String("a.b@c=d,e+f_g-h"),
		Policy:          aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`),
		Tags:            []types.Tag{{Key: aws.String("team"), Value: aws.String("ci")}},
		SourceIdentity:  aws.String("alice"),
		ExternalId:      aws.String("ext-1"),
	})
	if err != nil {
		t.Fatalf("AssumeRole: %v", err)
	}
	if want := "arn:aws:sts::444455556666:assumed-role/runner/a.b@c=d,e+f_g-h"; aws.ToString(out.AssumedRoleUser.Arn) != want {
		t.Errorf("Arn = %q, want %q", aws.ToString(out.AssumedRoleUser.Arn), want)
	}
	//lint:ignore SA1019 STS still sends PackedPolicySize when there are session policies or tags.
	if size := out.PackedPolicySize; size == nil || *size < 1 {
		t.Error("PackedPolicySize is missing with a session policy and tags")
	}
	if aws.ToString(out.SourceIdentity) != "alice" {
		t.Errorf("SourceIdentity = %q, want alice", aws.ToString(out.SourceIdentity))
	}
	c := srv.Calls()[0]
	if c.ExternalID != "ext-1" || c.SourceIdentity != "alice" || c.RoleSessionName != "a.b@c=d,e+f_g-h" {
		t.Errorf("recorded call = %+v", c)
	}
}

func TestMinimumSessionTokenSize(t *testing.T) {
	srv := newServer(t)
	c := newClient(srv, userCreds())
	in := &sts.AssumeRoleInput{RoleArn: aws.String(testRole), RoleSessionName: aws.String("big"), MinimumSessionTokenSize: aws.Int32(3000)}
	out, err := c.AssumeRole(t.Context(), in)
	if err != nil {
		t.Fatalf("AssumeRole: %v", err)
	}
	if n := len(*out.Credentials.SessionToken); n < 3000 || aws.ToInt32(out.SessionTokenSize) != int32(n) {
		t.Errorf("token of %d bytes, SessionTokenSize %d; want at least 3000", n, aws.ToInt32(out.SessionTokenSize))
	}
	in.MinimumSessionTokenSize = aws.Int32(4097)
	_, err = c.AssumeRole(t.Context(), in)
	checkAPIError(t, err, 400, "ValidationError")
}

func TestGetCallerIdentityOfUser(t *testing.T) {
	srv := newServer(t)
	out, err := newClient(srv, userCreds()).GetCallerIdentity(t.Context(), nil)
	if err != nil {
		t.Fatalf("GetCallerIdentity: %v", err)
	}
	if aws.ToString(out.Arn) != ststest.UserARN || aws.ToString(out.Account) != ststest.Account || aws.ToString(out.UserId) != ststest.UserID {
		t.Errorf("identity = %s %s %s, want %s %s %s", aws.ToString(out.Arn), aws.ToString(out.Account), aws.ToString(out.UserId),
			ststest.UserARN, ststest.Account, ststest.UserID)
	}
}

func TestIssuedCredentialsWork(t *testing.T) {
	srv := newServer(t)
	out, err := assumeRole(t.Context(), newClient(srv, userCreds()), testRole, "first", 0)
	if err != nil {
		t.Fatalf("AssumeRole: %v", err)
	}
	id, err := newClient(srv, sdkCreds(out)).GetCallerIdentity(t.Context(), nil)
	if err != nil {
		t.Fatalf("GetCallerIdentity with issued credentials: %v", err)
	}
	if aws.ToString(id.Arn) != aws.ToString(out.AssumedRoleUser.Arn) {
		t.Errorf("caller = %q, want the assumed role %q", aws.ToString(id.Arn), aws.ToString(out.AssumedRoleUser.Arn))
	}
	if aws.ToString(id.UserId) != aws.ToString(out.AssumedRoleUser.AssumedRoleId) || aws.ToString(id.Account) != "111122223333" {
		t.Errorf("UserId, Account = %q, %q", aws.ToString(id.UserId), aws.ToString(id.Account))
	}
}

func TestRoleChaining(t *testing.T) {
	srv := newServer(t)
	first := issue(t, srv, 0)
	for _, duration := range []int32{0, 3600} {
		out, err := assumeRole(t.Context(), newClient(srv, first), longRole, "second", duration)
		if err != nil {
			t.Fatalf("chained AssumeRole, DurationSeconds %d: %v", duration, err)
		}
		id, err := newClient(srv, sdkCreds(out)).GetCallerIdentity(t.Context(), nil)
		if err != nil {
			t.Fatalf("GetCallerIdentity with chained credentials: %v", err)
		}
		if want := "arn:aws:sts::111122223333:assumed-role/long/second"; aws.ToString(id.Arn) != want {
			t.Errorf("caller = %q, want %q", aws.ToString(id.Arn), want)
		}
	}
}

func TestCallsRecordNoSecrets(t *testing.T) {
	srv := newServer(t)
	creds := issue(t, srv, 1800)
	if _, err := newClient(srv, creds).GetCallerIdentity(t.Context(), nil); err != nil {
		t.Fatalf("GetCallerIdentity: %v", err)
	}
	calls := srv.Calls()
	if len(calls) != 2 {
		t.Fatalf("Calls() has %d calls, want 2: %+v", len(calls), calls)
	}
	a, g := calls[0], calls[1]
	if a.Action != "AssumeRole" || a.AccessKeyID != testKeyID || a.RoleARN != testRole || a.RoleSessionName != "issued" ||
		a.DurationSeconds != 1800 || a.ErrorCode != "" || a.Fault != 0 {
		t.Errorf("AssumeRole call = %+v", a)
	}
	if g.Action != "GetCallerIdentity" || g.AccessKeyID != creds.AccessKeyID || g.Time.Before(a.Time) {
		t.Errorf("GetCallerIdentity call = %+v", g)
	}
	dump := fmt.Sprintf("%+v %#v", calls, calls)
	for _, secret := range []string{testSecret, creds.SecretAccessKey, creds.SessionToken} {
		if strings.Contains(dump, secret) {
			t.Errorf("Calls() holds a secret or token: %s", dump)
		}
	}
}
