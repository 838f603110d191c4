package ststest_test

import (
	"context"
	"fmt"
	"log"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sts"
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

// GetSessionToken with an MFA code, then a role that requires MFA, renewed by a Provider whose
// source is the session credentials: one code serves every renewal.
func ExampleServer_RequireMFA() {
	srv := ststest.NewServer()
	defer srv.Close()
	srv.AddUser("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
	srv.AddRole("arn:aws:iam::123456789012:role/admin", 2*time.Hour)
	srv.AddMFADevice("arn:aws:iam::123456789012:mfa/alice", "123456")
	srv.RequireMFA("arn:aws:iam::123456789012:role/admin")

	user := sts.New(sts.Options{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", ""),
		BaseEndpoint: aws.String(srv.URL),
	})
	out, err := user.GetSessionToken(context.Background(), &sts.GetSessionTokenInput{
		SerialNumber: aws.String("arn:aws:iam::123456789012:mfa/alice"),
		TokenCode:    aws.String("123456"),
	})
	if err != nil {
		log.Fatal(err)
	}
	session := out.Credentials
	cfg := aws.Config{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider(*session.AccessKeyId, *session.SecretAccessKey, *session.SessionToken),
		BaseEndpoint: aws.String(srv.URL),
	}
	p, err := awssts.NewFromConfig(cfg, "arn:aws:iam::123456789012:role/admin", func(o *awssts.Options) { o.Duration = 2 * time.Hour })
	if err != nil {
		log.Fatal(err)
	}
	defer p.Close()
	if _, err := p.Retrieve(context.Background()); err != nil {
		log.Fatal(err)
	}
	for _, c := range srv.Calls() {
		fmt.Printf("%s error=%q\n", c.Action, c.ErrorCode)
	}
	// Output:
	// GetSessionToken error=""
	// AssumeRole error=""
}

// AssumeRoleWithWebIdentity needs no credentials: the SDK sends it unsigned.
func ExampleServer_AddWebIdentityToken() {
	srv := ststest.NewServer()
	defer srv.Close()
	srv.AddRole("arn:aws:iam::123456789012:role/deploy", time.Hour)
	token := ststest.NewWebIdentityToken("https://token.actions.githubusercontent.com",
		"repo:octo/app:ref:refs/heads/main", "sts.amazonaws.com", time.Now().Add(time.Hour))
	srv.AddWebIdentityToken(token)

	client := sts.New(sts.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL)})
	out, err := client.AssumeRoleWithWebIdentity(context.Background(), &sts.AssumeRoleWithWebIdentityInput{
		RoleArn:          aws.String("arn:aws:iam::123456789012:role/deploy"),
		RoleSessionName:  aws.String("gha-42"),
		WebIdentityToken: aws.String(token),
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(*out.AssumedRoleUser.Arn)
	fmt.Println(*out.SubjectFromWebIdentityToken)
	// Output:
	// arn:aws:sts::123456789012:assumed-role/deploy/gha-42
	// repo:octo/app:ref:refs/heads/main
}
