package main

import (
	"bytes"
	"encoding/json"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// Whatever bytes a key, secret or token holds, the process JSON and the env lines either
// refuse them or give them back unchanged: through encoding/json, and through a real sh.
func FuzzExport(f *testing.F) {
	f.Add("ASIAEXAMPLE000000001", "wJalr/XUtnFEMI+K7MDENG=bPxRfiCY", "IQoJb3JpZ2luX2VjE/+token==")
	f.Add("it's", `$(touch /tmp/pwned) "x" \`, "`id`\n;rm -rf /")
	f.Add("\xff", "a\x00b", "é☃")
	f.Fuzz(func(t *testing.T, key, secret, token string) {
		c := aws.Credentials{AccessKeyID: key, SecretAccessKey: secret, SessionToken: token, CanExpire: true, Expires: time.Unix(1800000000, 0)}
		var js bytes.Buffer
		if err := writeProcess(&js, c); err == nil {
			var back credentialProcess
			if err := json.Unmarshal(js.Bytes(), &back); err != nil {
				t.Fatalf("process JSON does not parse: %v\n%s", err, js.String())
			}
			if back.AccessKeyID != key || back.SecretAccessKey != secret || back.SessionToken != token {
				t.Fatalf("process JSON round trip changed a value: %+v", back)
			}
		}
		var env bytes.Buffer
		if err := formats["env"](&env, c); err != nil || key == "" || secret == "" || token == "" {
			return
		}
		script := env.String() + `printf '%s\0%s\0%s' "$AWS_ACCESS_KEY_ID" "$AWS_SECRET_ACCESS_KEY" "$AWS_SESSION_TOKEN"`
		out, err := exec.Command("sh", "-c", script).Output()
		if err != nil {
			t.Fatalf("sh rejected the env lines: %v\n%s", err, env.String())
		}
		if got := strings.Split(string(out), "\x00"); len(got) != 3 || got[0] != key || got[1] != secret || got[2] != token {
			t.Fatalf("sh read back %q from:\n%s", got, env.String())
		}
	})
}
