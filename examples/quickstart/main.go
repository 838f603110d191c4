// Command quickstart assumes an IAM role with awssts against a local STS, so it runs on a
// fresh clone with no AWS account and no network: go run ./examples/quickstart
//
// It starts the embedded ststest server, builds a Provider with awssts.NewFromConfig, shares
// it among 1000 goroutines, and prints what it got without printing any secret.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/awssts/awssts"
	"github.com/awssts/awssts/ststest"
)

// The long-term keys and the role of the demo, as AWS documents its example keys.
const (
	accessKeyID     = "AKIAIOSFODNN7EXAMPLE"
	secretAccessKey = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	roleARN         = "arn:aws:iam::123456789012:role/quickstart"
	goroutines      = 1000
)

func main() {
	if err := run(os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "quickstart:", err)
		os.Exit(1)
	}
}

func run(w io.Writer) error {
	ctx := context.Background()
	srv := ststest.NewServer()
	defer srv.Close()
	srv.AddUser(accessKeyID, secretAccessKey)
	srv.AddRole(roleARN, time.Hour)
	fmt.Fprintf(w, "local STS:       %s (ststest; no AWS account, no network)\n", srv.URL)

	cfg, err := loadConfig(ctx, srv.URL, credentials.NewStaticCredentialsProvider(accessKeyID, secretAccessKey, ""))
	if err != nil {
		return err
	}
	p, err := awssts.NewFromConfig(cfg, roleARN)
	if err != nil {
		return err
	}
	defer p.Close()

	// The first Retrieve is made by 1000 goroutines at once: they share one AssumeRole call.
	keys, err := retrieveConcurrently(ctx, p, goroutines)
	if err != nil {
		return err
	}
	creds, err := p.Retrieve(ctx)
	if err != nil {
		return err
	}
	calls := assumeRoleCalls(srv)
	if len(calls) == 0 {
		return fmt.Errorf("the server recorded no AssumeRole call")
	}

	fmt.Fprintf(w, "role:            %s\n", roleARN)
	fmt.Fprintf(w, "access key ID:   %s\n", creds.AccessKeyID)
	fmt.Fprintf(w, "secret key:      (%d characters, not shown)\n", len(creds.SecretAccessKey))
	fmt.Fprintf(w, "session token:   (%d characters, not shown)\n", len(creds.SessionToken))
	fmt.Fprintf(w, "session name:    %s\n", calls[0].RoleSessionName)

	stats := p.Stats()
	fmt.Fprintf(w, "expires:         %s (the Provider renews them from %s)\n",
		stats.Expiration.UTC().Format(time.RFC3339), creds.Expires.UTC().Format(time.RFC3339))

	identity, err := callerIdentity(ctx, srv.URL, p)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "caller identity: %s\n", identity)

	fmt.Fprintf(w, "%d goroutines: %d distinct access key ID(s); STS AssumeRole calls recorded by the server: %d\n",
		goroutines, keys, len(assumeRoleCalls(srv)))
	return nil
}

// retrieveConcurrently calls p.Retrieve from n goroutines at once and returns how many
// distinct access key IDs they got.
func retrieveConcurrently(ctx context.Context, p aws.CredentialsProvider, n int) (int, error) {
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		keys  = make(map[string]bool)
		first error
	)
	start := make(chan struct{})
	for range n {
		wg.Go(func() {
			<-start
			creds, err := p.Retrieve(ctx)
			mu.Lock()
			defer mu.Unlock()
			if err != nil && first == nil {
				first = err
			}
			keys[creds.AccessKeyID] = true
		})
	}
	close(start)
	wg.Wait()
	return len(keys), first
}

// callerIdentity asks STS who signs with p, through a client that uses p as an application's
// clients would.
func callerIdentity(ctx context.Context, endpoint string, p *awssts.Provider) (string, error) {
	cfg, err := loadConfig(ctx, endpoint, p)
	if err != nil {
		return "", err
	}
	out, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, nil)
	if err != nil {
		return "", err
	}
	return aws.ToString(out.Arn), nil
}

func assumeRoleCalls(srv *ststest.Server) []ststest.Call {
	var calls []ststest.Call
	for _, c := range srv.Calls() {
		if c.Action == "AssumeRole" {
			calls = append(calls, c)
		}
	}
	return calls
}
