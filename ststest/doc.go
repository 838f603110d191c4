// Package ststest runs a local AWS Security Token Service on 127.0.0.1 for tests and demos.
// The unmodified aws-sdk-go-v2 STS client talks to it as it would to STS, with no AWS account.
//
// The server speaks the STS query protocol (version 2011-06-15) for AssumeRole and
// GetCallerIdentity. It verifies the SigV4 signature of every request by re-signing it with
// the SDK's own signer, answers in the XML shapes real STS uses, and returns real STS error
// codes with their HTTP statuses:
//
//	InvalidClientTokenId   403  unknown access key, or a wrong or missing session token
//	SignatureDoesNotMatch  403  the signature does not match the secret
//	ExpiredToken           403  credentials it issued have expired (a smithy.GenericAPIError
//	                            in the SDK, as from STS; types.ExpiredTokenException is
//	                            for web identity tokens)
//	AccessDenied           403  the role was never added with AddRole
//	ValidationError        400  DurationSeconds outside 900..43200, above the role's
//	                            MaxSessionDuration, above 1 h for role chaining, or a
//	                            RoleSessionName that is not 2..64 of [\w+=,.@-]
//
// Malformed requests get MissingAuthenticationToken, IncompleteSignature, InvalidAction or
// MalformedQueryString, also as STS names them.
//
// Credentials it issues look like STS's (an ASIA… key ID, a secret, a session token and an
// Expiration in whole seconds) and work against the same server, so role chaining and
// GetCallerIdentity behave as they do on AWS.
//
// Fail and Delay inject faults into the next calls, and Calls reports every call received,
// so that tests can assert on retries and on how many times STS was asked.
//
// NewServer listens on TCP like httptest.NewServer. NewInMemoryServer carries the same HTTP
// over net.Pipe for tests inside a testing/synctest bubble, where credentials can expire and
// backoffs elapse in no real time; reach it through its Client.
//
// Point an SDK config at the server with BaseEndpoint:
//
//	srv := ststest.NewServer()
//	defer srv.Close()
//	srv.AddUser("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
//	srv.AddRole("arn:aws:iam::123456789012:role/demo", time.Hour)
//	cfg := aws.Config{
//		Region:       "us-east-1",
//		Credentials:  credentials.NewStaticCredentialsProvider("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", ""),
//		BaseEndpoint: aws.String(srv.URL),
//	}
package ststest
