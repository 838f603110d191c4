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

var sample = aws.Credentials{
	AccessKeyID: "ASIAEXAMPLE000000001", SecretAccessKey: "wJalr/XUtnFEMI+K7MDENG=bPxRfiCY", SessionToken: "IQoJb3JpZ2luX2VjE/+token==",
	CanExpire: true, Expires: time.Date(2026, 11, 28, 13, 0, 0, 0, time.UTC), AccountID: "123456789012",
}

// The shell formats print what 'aws configure export-credentials' prints for the same values.
func TestFormats_MatchAWSCLIv2(t *testing.T) {
	want := map[string]string{
		"env": "export AWS_ACCESS_KEY_ID=ASIAEXAMPLE000000001\nexport AWS_SECRET_ACCESS_KEY=wJalr/XUtnFEMI+K7MDENG=bPxRfiCY\n" +
			"export AWS_SESSION_TOKEN=IQoJb3JpZ2luX2VjE/+token==\nexport AWS_CREDENTIAL_EXPIRATION=2026-11-28T13:00:00Z\n",
		"env-no-export": "AWS_ACCESS_KEY_ID=ASIAEXAMPLE000000001\nAWS_SECRET_ACCESS_KEY=wJalr/XUtnFEMI+K7MDENG=bPxRfiCY\n" +
			"AWS_SESSION_TOKEN=IQoJb3JpZ2luX2VjE/+token==\nAWS_CREDENTIAL_EXPIRATION=2026-11-28T13:00:00Z\n",
		"fish": `set -gx AWS_ACCESS_KEY_ID "ASIAEXAMPLE000000001"` + "\n" + `set -gx AWS_SECRET_ACCESS_KEY "wJalr/XUtnFEMI+K7MDENG=bPxRfiCY"` + "\n" +
			`set -gx AWS_SESSION_TOKEN "IQoJb3JpZ2luX2VjE/+token=="` + "\n" + `set -gx AWS_CREDENTIAL_EXPIRATION "2026-11-28T13:00:00Z"` + "\n",
		"powershell": `$Env:AWS_ACCESS_KEY_ID="ASIAEXAMPLE000000001"` + "\n" + `$Env:AWS_SECRET_ACCESS_KEY="wJalr/XUtnFEMI+K7MDENG=bPxRfiCY"` + "\n" +
			`$Env:AWS_SESSION_TOKEN="IQoJb3JpZ2luX2VjE/+token=="` + "\n" + `$Env:AWS_CREDENTIAL_EXPIRATION="2026-11-28T13:00:00Z"` + "\n",
		"windows-cmd": "set AWS_ACCESS_KEY_ID=ASIAEXAMPLE000000001\nset AWS_SECRET_ACCESS_KEY=wJalr/XUtnFEMI+K7MDENG=bPxRfiCY\n" +
			"set AWS_SESSION_TOKEN=IQoJb3JpZ2luX2VjE/+token==\nset AWS_CREDENTIAL_EXPIRATION=2026-11-28T13:00:00Z\n",
	}
	for name, w := range want {
		var b bytes.Buffer
		if err := formats[name](&b, sample); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if b.String() != w {
			t.Errorf("--format %s:\n%s\nwant:\n%s", name, b.String(), w)
		}
	}
}

func TestFormatProcess_CredentialProcessJSON(t *testing.T) {
	var b bytes.Buffer
	if err := writeProcess(&b, sample); err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(b.Bytes(), &got); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, b.String())
	}
	want := map[string]any{"Version": 1.0, "AccessKeyId": sample.AccessKeyID, "SecretAccessKey": sample.SecretAccessKey,
		"SessionToken": sample.SessionToken, "Expiration": "2026-11-28T13:00:00Z", "AccountId": "123456789012"}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %v, want %v", k, got[k], v)
		}
	}
	if len(got) != len(want) {
		t.Errorf("fields %v, want exactly %v", got, want)
	}
}

// Values STS never issues still come back byte for byte from a POSIX shell.
func TestFormatEnv_QuotesOddValuesForTheShell(t *testing.T) {
	odd := sample
	odd.SecretAccessKey = `it's $HOME "quoted" \ back` + "`tick`\nnewline"
	var b bytes.Buffer
	if err := formats["env"](&b, odd); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("sh", "-c", b.String()+`printf %s "$AWS_SECRET_ACCESS_KEY"`).Output()
	if err != nil {
		t.Fatalf("sh: %v\n%s", err, b.String())
	}
	if string(out) != odd.SecretAccessKey {
		t.Errorf("round trip through sh = %q, want %q", out, odd.SecretAccessKey)
	}
	if err := formats["windows-cmd"](&b, odd); err == nil || !strings.Contains(err.Error(), "AWS_SECRET_ACCESS_KEY") {
		t.Errorf("windows-cmd with an unsafe value = %v, want an error naming the variable", err)
	}
}
