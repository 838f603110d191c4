package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/awssts/awssts/ststest"

	"github.com/awssts/awssts/internal/credcache"
)

// helperProcess lets the test binary stand in for exec's child: AWSSTS_TEST_CHILD says what
// it does. It reports whether it ran (it exits when it does).
func helperProcess() bool {
	switch os.Getenv("AWSSTS_TEST_CHILD") {
	case "":
		return false
	case "env":
		env := map[string]string{}
		for _, kv := range os.Environ() {
			k, v, _ := strings.Cut(kv, "=")
			env[k] = v
		}
		json.NewEncoder(os.Stdout).Encode(env)
	case "exit":
		code, _ := strconv.Atoi(os.Getenv("AWSSTS_TEST_EXIT"))
		os.Exit(code)
	case "trap":
		sig, _ := strconv.Atoi(os.Getenv("AWSSTS_TEST_SIGNAL"))
		sigs := make(chan os.Signal, 1)
		signal.Notify(sigs, syscall.Signal(sig))
		fmt.Println("ready")
		<-sigs
		os.Exit(42)
	case "die":
		fmt.Println("ready")
		time.Sleep(time.Minute) // killed by the forwarded SIGTERM long before this
	case "stdin": // echoes its stdin; with AWSSTS_TEST_WAIT, then waits for SIGTERM
		sigs := make(chan os.Signal, 1)
		signal.Notify(sigs, syscall.SIGTERM)
		b, err := io.ReadAll(os.Stdin)
		fmt.Printf("stdin %q %v\nready\n", b, err)
		if os.Getenv("AWSSTS_TEST_WAIT") != "" {
			<-sigs
		}
	case "lock": // holds the lock of one cache entry until it is killed
		c := credcache.New(func(string, ...any) {})
		if _, err := c.Lock(context.Background(), os.Getenv("AWSSTS_TEST_LOCK_KEY")); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(3)
		}
		fmt.Println("ready")
		time.Sleep(time.Hour)
	case "sdk":
		cfg, err := config.LoadDefaultConfig(context.Background())
		if err == nil {
			var out *sts.GetCallerIdentityOutput
			if out, err = sts.NewFromConfig(cfg).GetCallerIdentity(context.Background(), nil); err == nil {
				fmt.Println(*out.Arn)
				os.Exit(0)
			}
		}
		fmt.Fprintln(os.Stderr, err)
		os.Exit(3)
	}
	os.Exit(0)
	return true
}

// localSTS starts ststest with the source user of isolate and the test role, and points the
// SDK at it.
func localSTS(t *testing.T) *ststest.Server {
	t.Helper()
	isolate(t)
	srv := ststest.NewServer()
	t.Cleanup(srv.Close)
	srv.AddUser(os.Getenv("AWS_ACCESS_KEY_ID"), os.Getenv("AWS_SECRET_ACCESS_KEY"))
	srv.AddRole(roleARN, 12*time.Hour)
	t.Setenv("AWS_ENDPOINT_URL_STS", srv.URL)
	return srv
}

func child(t *testing.T, mode string) []string {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("AWSSTS_TEST_CHILD", mode)
	return []string{self, "-test.run=^$"}
}

func TestExport_Process_LocalSTS(t *testing.T) {
	localSTS(t)
	start := time.Now()
	code, stdout, stderr := runCLI(t, "", "export", "--role-arn", roleARN, "--duration", "7200")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var p credentialProcess
	if err := json.Unmarshal([]byte(stdout), &p); err != nil {
		t.Fatal(err)
	}
	exp, err := time.Parse(time.RFC3339, p.Expiration)
	if p.Version != 1 || !strings.HasPrefix(p.AccessKeyID, "ASIA") || p.SecretAccessKey == "" || p.SessionToken == "" || p.AccountID != ststest.Account || err != nil {
		t.Errorf("process JSON %s", stdout)
	}
	if d := exp.Sub(start); d < 2*time.Hour-5*time.Second || d > 2*time.Hour+5*time.Second {
		t.Errorf("Expiration %v is %v after the call, want the real STS expiry 2h after it", exp, d)
	}
}

// Without --serve awssts replaces itself with the child (execve), so these run the built
// command rather than run().
func TestExec_ChildGetsRoleCredentialsNotSource(t *testing.T) {
	localSTS(t)
	t.Setenv("AWSSTS_UNRELATED", "kept")
	t.Setenv("AWS_DEFAULT_REGION", "eu-north-1")
	t.Setenv("AWS_WEB_IDENTITY_TOKEN_FILE", "/var/run/secrets/token")
	code, stdout, stderr := runBinary(t, append([]string{"exec", "--role-arn", roleARN, "--region", "eu-west-1", "--"}, child(t, "env")...)...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var env map[string]string
	if err := json.Unmarshal([]byte(stdout), &env); err != nil {
		t.Fatalf("child output %q: %v", stdout, err)
	}
	if !strings.HasPrefix(env["AWS_ACCESS_KEY_ID"], "ASIA") || env["AWS_SECRET_ACCESS_KEY"] == os.Getenv("AWS_SECRET_ACCESS_KEY") || env["AWS_SESSION_TOKEN"] == "" {
		t.Errorf("child credentials %q / token set %v: want the role's", env["AWS_ACCESS_KEY_ID"], env["AWS_SESSION_TOKEN"] != "")
	}
	if env["AWS_REGION"] != "eu-west-1" || env["AWS_DEFAULT_REGION"] != "eu-west-1" || env["AWSSTS_UNRELATED"] != "kept" || env["AWS_CREDENTIAL_EXPIRATION"] == "" {
		t.Errorf("child env: region %q/%q, unrelated %q, expiration %q", env["AWS_REGION"], env["AWS_DEFAULT_REGION"], env["AWSSTS_UNRELATED"], env["AWS_CREDENTIAL_EXPIRATION"])
	}
	for _, k := range []string{"AWS_PROFILE", "AWS_WEB_IDENTITY_TOKEN_FILE"} {
		if _, ok := env[k]; ok {
			t.Errorf("%s passed on to the child", k)
		}
	}
	if strings.Contains(stderr, "must-not-leak") {
		t.Errorf("stderr leaks the source secret")
	}
}

func TestExec_ExitCodePassesThrough(t *testing.T) {
	localSTS(t)
	t.Setenv("AWSSTS_TEST_EXIT", "7")
	if code, _, stderr := runBinary(t, append([]string{"exec", "--role-arn", roleARN, "--"}, child(t, "exit")...)...); code != 7 || stderr != "" {
		t.Errorf("exit %d, stderr %q; want the child's 7 and nothing said", code, stderr)
	}
	if code, _, stderr := runBinary(t, "exec", "--role-arn", roleARN, "--", "/nonexistent/cmd"); code != 127 || !strings.Contains(stderr, "/nonexistent/cmd") {
		t.Errorf("missing command: exit %d, stderr %q; want 127 and the name", code, stderr)
	}
	if code, _, _ := runCLI(t, "", append([]string{"exec", "--serve", "--role-arn", roleARN, "--"}, child(t, "exit")...)...); code != 7 {
		t.Errorf("--serve: exit %d, want the child's 7", code)
	}
}

func waitReady(t *testing.T, out io.Reader) {
	t.Helper()
	line := make([]byte, len("ready\n"))
	if _, err := io.ReadFull(out, line); err != nil || string(line) != "ready\n" {
		t.Fatalf("child said %q, %v", line, err)
	}
}

// With --serve the child has no keys, only the endpoint, and the Go SDK's default chain in
// the child resolves the assumed role through it.
func TestExecServe_GoSDKChildResolvesTheRole(t *testing.T) {
	srv := localSTS(t)
	code, stdout, stderr := runCLI(t, "", append([]string{"exec", "--serve", "--role-arn", roleARN, "--"}, child(t, "sdk")...)...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.HasPrefix(stdout, "arn:aws:sts::"+ststest.Account+":assumed-role/demo/asia-") {
		t.Errorf("child's caller identity %q, want the assumed role", stdout)
	}
	var assumes int
	for _, c := range srv.Calls() {
		if c.Action == "AssumeRole" {
			assumes++
		}
	}
	if assumes != 1 {
		t.Errorf("%d AssumeRole calls, want 1", assumes)
	}
}

// --serve gives the child a loopback URL and a token of at least 128 bits, and no keys.
func TestExecServe_ChildEnv_LoopbackAndStrongToken(t *testing.T) {
	localSTS(t)
	code, stdout, stderr := runCLI(t, "", append([]string{"exec", "--serve", "--role-arn", roleARN, "--"}, child(t, "env")...)...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var env map[string]string
	if err := json.Unmarshal([]byte(stdout), &env); err != nil {
		t.Fatal(err)
	}
	if uri := env["AWS_CONTAINER_CREDENTIALS_FULL_URI"]; !strings.HasPrefix(uri, "http://127.0.0.1:") {
		t.Errorf("endpoint %q, want 127.0.0.1 only", uri)
	}
	if tok := env["AWS_CONTAINER_AUTHORIZATION_TOKEN"]; len(tok) < 32 {
		t.Errorf("token of %d hex digits, want at least 32 (128 bits)", len(tok))
	}
	// AWS_PROFILE is kept: it names a profile of the config copy, which holds no credentials
	// (TestUser_ExecServe_KeepsTheAWSProfileSettings).
	for _, k := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"} {
		if _, ok := env[k]; ok {
			t.Errorf("%s passed to the --serve child", k)
		}
	}
}
