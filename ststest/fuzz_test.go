package ststest_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/awssts/awssts/ststest"
)

// Any request body and Authorization header, signed or not, gets a well-formed XML answer
// with an STS status: the parser never panics or hangs, whatever the client sends.
func FuzzRequest(f *testing.F) {
	f.Add("Action=AssumeRole&Version=2011-06-15&RoleArn="+testRole+"&RoleSessionName=s&DurationSeconds=900", "", true)
	f.Add("Action=GetCallerIdentity&Version=2011-06-15", "", true)
	f.Add("Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws&DurationSeconds=-1&RoleSessionName=%00", "", true)
	f.Add("%zz", "AWS4-HMAC-SHA256 Credential=AKIA/2026/us-east-1/sts/aws4_request, SignedHeaders=host, Signature=00", false)
	f.Add("Action=AssumeRole", "AWS4-HMAC-SHA256 Credential=", false)
	token := ststest.NewWebIdentityToken(testIssuer, testSubject, testAudience, time.Now().Add(time.Hour))
	webIdentity := "Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn=" + testRole + "&RoleSessionName=web&WebIdentityToken="
	f.Add(webIdentity+token+"&ProviderId=example.com&PolicyArns.member.1.arn=arn%3Aaws%3Aiam%3A%3Aaws%3Apolicy%2FReadOnly", "", false)
	f.Add(webIdentity+"ok.e30.x&DurationSeconds=900", "", false)
	f.Add(webIdentity+"no.%7B%7D.x&DurationSeconds=43201", "", true)
	f.Add("Action=GetSessionToken&Version=2011-06-15&DurationSeconds=129600&SerialNumber="+testMFASerial+"&TokenCode="+testMFACode, "", true)
	f.Add("Action=GetSessionToken&Version=2011-06-15&DurationSeconds=x&TokenCode=12a", "", true)
	srv := ststest.NewInMemoryServer()
	defer srv.Close()
	srv.AddUser(testKeyID, testSecret)
	srv.AddRole(testRole, 0)
	srv.AddMFADevice(testMFASerial, testMFACode)
	srv.AddWebIdentityToken(token)
	srv.SetWebIdentityTokenCheck(func(token string) error {
		if strings.HasPrefix(token, "ok") {
			return nil
		}
		return errors.New(`rejected <"&">`)
	})
	client := srv.Client()
	f.Fuzz(func(t *testing.T, body, authorization string, sign bool) {
		req, err := http.NewRequest(http.MethodPost, srv.URL, strings.NewReader(body))
		if err != nil {
			t.Skip()
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
		if sign {
			sum := sha256.Sum256([]byte(body))
			err = v4.NewSigner().SignHTTP(t.Context(), userCreds(), req, hex.EncodeToString(sum[:]), "sts", "us-east-1", time.Now())
		} else if strings.ContainsFunc(authorization, func(r rune) bool { return r < 0x20 && r != '\t' || r == 0x7f }) {
			t.Skip("net/http will not send control characters in a header")
		} else if authorization != "" {
			req.Header.Set("Authorization", authorization)
		}
		if err != nil {
			t.Fatal(err)
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("no answer: %v", err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != 200 && resp.StatusCode != 400 && resp.StatusCode != 403 && resp.StatusCode != 413 {
			t.Errorf("status %d for %q", resp.StatusCode, body)
		}
		if err := wellFormed(b); err != nil {
			t.Errorf("answer is not well-formed XML (%v): %s", err, b)
		}
	})
}

func wellFormed(b []byte) error {
	d := xml.NewDecoder(bytes.NewReader(b))
	for {
		_, err := d.Token()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
	}
}
