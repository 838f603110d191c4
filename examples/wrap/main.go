// Command wrap puts the AWS SDK's default credential chain behind awssts.Wrap. It runs on a
// fresh clone with no AWS account and no network: go run ./examples/wrap
//
// It starts a container credentials endpoint in process and points the default chain at it,
// as ECS and EKS do for a container, then follows the recipe
//
//	cfg, _ := config.LoadDefaultConfig(ctx)
//	p, _ := awssts.Wrap(cfg.Credentials, func(o *awssts.WrapOptions) { o.Prefetch = true })
//	cfg.Credentials = p
//
// and prints what it got, without printing any secret.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/awssts/awssts"
)

func main() {
	if err := run(os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "wrap:", err)
		os.Exit(1)
	}
}

func run(w io.Writer) error {
	ctx := context.Background()
	e := startEndpoint()
	defer e.Close()
	if err := containerEnvironment(e); err != nil {
		return err
	}
	fmt.Fprintf(w, "container endpoint: %s (in process; no AWS account, no network)\n", e.URL())

	cfg, err := config.LoadDefaultConfig(ctx, config.WithRegion("us-east-1"))
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "default chain:      %T\n", cfg.Credentials)
	p, err := awssts.Wrap(cfg.Credentials, func(o *awssts.WrapOptions) { o.Prefetch = true })
	if err != nil {
		return err
	}
	defer p.Close()
	cfg.Credentials = p // clients built from cfg use p directly
	fmt.Fprintf(w, "wrapped:            %v\n", p)

	for range 100 {
		if _, err := cfg.Credentials.Retrieve(ctx); err != nil {
			return err
		}
	}
	creds, err := cfg.Credentials.Retrieve(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "access key ID:      %s (from %s)\n", creds.AccessKeyID, creds.Source)
	fmt.Fprintf(w, "secret key:         (%d characters, not shown)\n", len(creds.SecretAccessKey))
	fmt.Fprintf(w, "session token:      (%d characters, not shown)\n", len(creds.SessionToken))
	fmt.Fprintf(w, "101 Retrieve calls: %d request(s) to the endpoint\n", e.Requests())

	// A renewal goes through the SDK's cache in front of the endpoint to the endpoint itself.
	p.Invalidate()
	renewed, err := cfg.Credentials.Retrieve(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "after Invalidate:   %s; %d request(s) to the endpoint\n", renewed.AccessKeyID, e.Requests())

	st := p.Stats()
	fmt.Fprintf(w, "stats:              %d refreshes, %d failures; next prefetch in %v\n",
		st.Refreshes, st.Failures, time.Until(st.NextPrefetch).Round(time.Minute))
	return nil
}

// containerEnvironment sets what ECS or EKS Pod Identity gives a container: the endpoint's
// URL and token. It also hides this machine's own AWS setup, which the default chain would
// otherwise prefer: keys in the environment, profiles, web identity.
func containerEnvironment(e *endpoint) error {
	for k, v := range map[string]string{
		"AWS_CONTAINER_CREDENTIALS_FULL_URI":     e.URL(),
		"AWS_CONTAINER_AUTHORIZATION_TOKEN":      e.token,
		"AWS_CONFIG_FILE":                        os.DevNull,
		"AWS_SHARED_CREDENTIALS_FILE":            os.DevNull,
		"AWS_PROFILE":                            "",
		"AWS_ACCESS_KEY_ID":                      "",
		"AWS_SECRET_ACCESS_KEY":                  "",
		"AWS_SESSION_TOKEN":                      "",
		"AWS_WEB_IDENTITY_TOKEN_FILE":            "",
		"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "",
		"AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE": "",
	} {
		if err := os.Setenv(k, v); err != nil {
			return err
		}
	}
	return nil
}
