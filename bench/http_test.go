package bench

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/awssts/awssts/ststest"
)

// BenchmarkHTTP is row 6: both contenders through one SDK STS client to ststest on loopback.
// "first" is a new provider's first Retrieve, one signed AssumeRole over HTTP; "cached" the next.
func BenchmarkHTTP(b *testing.B) {
	const akid, secret = "AKIABENCHEXAMPLE0001", "bench-long-term-secret"
	srv := ststest.NewServer()
	defer srv.Close()
	srv.AddUser(akid, secret)
	srv.AddRole(roleARN, time.Hour)
	client := sts.NewFromConfig(aws.Config{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider(akid, secret, ""),
		BaseEndpoint: aws.String(srv.URL),
	})
	ctx := context.Background()
	for _, c := range []contender{onDemand, sdk} {
		b.Run("first/"+c.name, func(b *testing.B) {
			for b.Loop() {
				p := c.open(b, client)
				if _, err := p.Retrieve(ctx); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	for _, c := range []contender{onDemand, sdk} {
		b.Run("cached/"+c.name, func(b *testing.B) {
			p := c.open(b, client)
			defer shut(p)
			if _, err := p.Retrieve(ctx); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				_, _ = p.Retrieve(ctx)
			}
		})
	}
}
