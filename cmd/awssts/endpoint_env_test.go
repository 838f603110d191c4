package main

import (
	"strings"
	"testing"

	"github.com/awssts/awssts/internal/credcache"
)

// The shell that evaluates serve's output loses every variable an SDK reads source keys
// from, legacy names included, and the Java SDK v1 reads the empty credentials file too.
func TestServeOutput_UnsetsLegacyKeys_PointsJavaAtEmptyCredentials(t *testing.T) {
	isolate(t)
	for _, k := range []string{"AWS_ACCESS_KEY", "AWS_SECRET_KEY", "AMAZON_ACCESS_KEY_ID", "AMAZON_SECRET_ACCESS_KEY", "AMAZON_SESSION_TOKEN"} {
		t.Setenv(k, "x")
	}
	files, err := newEndpointFiles(credcache.Source{})
	if err != nil {
		t.Fatal(err)
	}
	defer files.Remove()
	var out strings.Builder
	if err := printVars(&out, "env", files.vars()); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"unset AWS_ACCESS_KEY\n", "unset AWS_SECRET_KEY\n", "unset AMAZON_ACCESS_KEY_ID\n",
		"unset AMAZON_SECRET_ACCESS_KEY\n", "unset AMAZON_SESSION_TOKEN\n", "export AWS_CREDENTIAL_PROFILES_FILE="} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("serve's output lacks %q:\n%s", want, out.String())
		}
	}
}
