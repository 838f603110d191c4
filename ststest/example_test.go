package ststest_test

import (
	"context"
	"fmt"
	"log"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/awssts/awssts"
	"github.com/awssts/awssts/ststest"
)

// A test of code that assumes a role, with a local STS instead of an AWS account.
func Example() {
	srv := ststest.NewServer()
	defer srv.Close()
	srv.AddUser("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
	srv.AddRole("arn:aws:iam::123456789012:role/demo", time.Hour)

	cfg := aws.Config{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", ""),
		BaseEndpoint: aws.String(srv.URL),
	}
	p, err := awssts.NewFromConfig(cfg, "arn:aws:iam::123456789012:role/demo")
	if err != nil {
		log.Fatal(err)
	}
	defer p.Close()

	creds, err := p.Retrieve(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("temporary key:", strings.HasPrefix(creds.AccessKeyID, "ASIA"))
	fmt.Println("account:", creds.AccountID)
	fmt.Println("AssumeRole calls:", len(srv.Calls()))
	// Output:
	// temporary key: true
	// account: 123456789012
	// AssumeRole calls: 1
}

// Faults apply to the next calls; the SDK's default retryer rides out a 503.
func ExampleServer_Fail() {
	srv := ststest.NewServer()
	defer srv.Close()
	srv.AddUser("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
	srv.AddRole("arn:aws:iam::123456789012:role/demo", time.Hour)
	srv.Fail(ststest.ServiceUnavailable, 1)

	cfg := aws.Config{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", ""),
		BaseEndpoint: aws.String(srv.URL),
	}
	p, err := awssts.NewFromConfig(cfg, "arn:aws:iam::123456789012:role/demo")
	if err != nil {
		log.Fatal(err)
	}
	defer p.Close()
	if _, err := p.Retrieve(context.Background()); err != nil {
		log.Fatal(err)
	}
	for _, c := range srv.Calls() {
		fmt.Printf("%s fault=%v error=%q\n", c.Action, c.Fault, c.ErrorCode)
	}
	// Output:
	// AssumeRole fault=ServiceUnavailable error="ServiceUnavailable"
	// AssumeRole fault=none error=""
}
