package integration

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// ec2-metadata-mock, AWS's own IMDS emulator, is the imds peer. Each emulator this package
// starts requires IMDSv2 tokens, as EC2 instances launched today do, and serves the credentials
// of one instance role from a config file that it watches, so that writing the file rotates them.
const (
	imdsModule = "github.com/aws/amazon-ec2-metadata-mock/cmd/ec2-metadata-mock@v1.13.0"
	imdsRole   = "awssts-instance-role"
	imdsCreds  = "/latest/meta-data/iam/security-credentials/"
)

// imdsDocument is what IMDS serves at imdsCreds + the role name.
type imdsDocument struct {
	Code            string
	LastUpdated     string
	Type            string
	AccessKeyID     string `json:"AccessKeyId"`
	SecretAccessKey string
	Token           string
	Expiration      string
}

// newIMDSDocument is a successful answer with accessKeyID, a random secret and token, and
// the expiry in whole seconds, as IMDS writes it.
func newIMDSDocument(accessKeyID string, expires time.Time) imdsDocument {
	return imdsDocument{
		Code: "Success", LastUpdated: time.Now().UTC().Format(time.RFC3339), Type: "AWS-HMAC",
		AccessKeyID: accessKeyID, SecretAccessKey: randomHex(20), Token: randomHex(32),
		Expiration: expires.UTC().Format(time.RFC3339),
	}
}

// writeIMDSConfig writes the emulator's config file (its -c flag): IMDSv2 only, and doc as the
// credentials of imdsRole. The file is replaced in one rename, so the watching emulator never
// reads half of it.
func writeIMDSConfig(path string, doc imdsDocument) error {
	b, err := json.Marshal(map[string]any{
		"imdsv2": true,
		"metadata": map[string]any{"values": map[string]any{
			"iam-security-credentials-role": imdsRole,
			"iam-security-credentials":      doc,
		}},
	})
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// startSharedIMDS is the imds peer's start: its credentials expire in 2100, far past any
// test; the SDK's ec2rolecreds provider caps every expiry at an hour from its call anyway.
func startSharedIMDS(dir string) (*process, map[string]string, error) {
	doc := newIMDSDocument("ASIAIMDSSHARED00000", time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC))
	proc, url, err := startIMDS(dir, doc)
	if err != nil {
		return nil, nil, err
	}
	return proc, map[string]string{"AWSSTS_IMDS_ENDPOINT": url}, nil
}

// startIMDS runs ec2-metadata-mock on a free loopback port, serving doc from a config file in
// dir that it watches.
func startIMDS(dir string, doc imdsDocument) (*process, string, error) {
	bin, err := findGoBinary("ec2-metadata-mock")
	if err != nil {
		return nil, "", err
	}
	config := filepath.Join(dir, "aemm-config.json")
	if err := writeIMDSConfig(config, doc); err != nil {
		return nil, "", err
	}
	port, err := freePort()
	if err != nil {
		return nil, "", err
	}
	url := "http://127.0.0.1:" + port
	// HOME is dir, so that the emulator reads and writes no file of the developer's.
	proc, err := launch(dir, []string{"HOME=" + dir}, bin, "-c", config, "-w", "-n", "127.0.0.1", "-p", port)
	if err != nil {
		return nil, "", err
	}
	if err := proc.waitReadyFor(url, func(ctx context.Context) (*http.Request, error) {
		return imdsTokenRequest(ctx, url)
	}); err != nil {
		proc.stop()
		return nil, "", err
	}
	return proc, url, nil
}

// imdsEmulator is an emulator that one test starts for itself, so that it may rotate the
// credentials or stop the emulator without disturbing other tests.
type imdsEmulator struct {
	proc   *process
	url    string
	config string
}

// privateIMDS starts an emulator serving doc, stopped when the test ends. Without the binary
// the test is skipped with the install command, or fails under CI.
func privateIMDS(t *testing.T, doc imdsDocument) *imdsEmulator {
	t.Helper()
	dir, err := peerDir("ec2-metadata-mock-private")
	if err != nil {
		t.Fatal(err)
	}
	proc, url, err := startIMDS(dir, doc)
	if nf := (*notFoundError)(nil); errors.As(err, &nf) {
		skipOrFail(t, fmt.Sprintf("%s. Install it with: go install %s", nf, imdsModule))
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(proc.stop)
	return &imdsEmulator{proc: proc, url: url, config: filepath.Join(dir, "aemm-config.json")}
}

// serve rotates the emulator's credentials to doc, and returns once it serves them.
func (e *imdsEmulator) serve(ctx context.Context, t *testing.T, doc imdsDocument) {
	t.Helper()
	if err := e.rotate(ctx, doc); err != nil {
		t.Fatal(err)
	}
}

// rotate is serve for a goroutine that has no *testing.T.
func (e *imdsEmulator) rotate(ctx context.Context, doc imdsDocument) error {
	if err := writeIMDSConfig(e.config, doc); err != nil {
		return err
	}
	var last string
	err := waitFor(ctx, func() bool {
		got, err := fetchIMDS(ctx, e.url)
		last = got.AccessKeyID
		return err == nil && got.AccessKeyID == doc.AccessKeyID
	})
	if err != nil {
		return fmt.Errorf("the emulator did not take its new config: %v (it serves %q)", err, last)
	}
	return nil
}

// imdsEnv points the SDK's default chain at the emulator at url; isolate disabled IMDS.
func imdsEnv(url string) map[string]string {
	return map[string]string{"AWS_EC2_METADATA_DISABLED": "false", "AWS_EC2_METADATA_SERVICE_ENDPOINT": url}
}

// fetchIMDS reads the instance role's credentials the way the SDKs do, with an IMDSv2 token,
// but with none of the SDK's code, so that tests can compare the SDK's answer with it.
func fetchIMDS(ctx context.Context, url string) (imdsDocument, error) {
	req, err := imdsTokenRequest(ctx, url)
	if err != nil {
		return imdsDocument{}, err
	}
	token, err := imdsDo(req)
	if err != nil {
		return imdsDocument{}, err
	}
	get := func(path string) ([]byte, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url+path, nil)
		if err != nil {
			return nil, err
		}
		req.Header.Set("X-aws-ec2-metadata-token", string(token))
		return imdsDo(req)
	}
	roles, err := get(imdsCreds)
	if err != nil {
		return imdsDocument{}, err
	}
	role, _, _ := strings.Cut(strings.TrimSpace(string(roles)), "\n")
	body, err := get(imdsCreds + role)
	if err != nil {
		return imdsDocument{}, err
	}
	var doc imdsDocument
	if err := json.Unmarshal(body, &doc); err != nil {
		return imdsDocument{}, fmt.Errorf("IMDS credentials of %s: %w", role, err)
	}
	return doc, nil
}

func imdsTokenRequest(ctx context.Context, url string) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, url+"/latest/api/token", nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("X-aws-ec2-metadata-token-ttl-seconds", "60")
	return req, nil
}

func imdsDo(req *http.Request) ([]byte, error) {
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s %s: %s", req.Method, req.URL.Path, resp.Status)
	}
	return body, nil
}
