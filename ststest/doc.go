// Package ststest runs a local AWS Security Token Service on 127.0.0.1 for tests and demos.
// The unmodified aws-sdk-go-v2 STS client talks to it as it would to STS, with no AWS account.
//
// The server speaks the STS query protocol (version 2011-06-15) for AssumeRole,
// AssumeRoleWithWebIdentity, GetSessionToken and GetCallerIdentity. It verifies the SigV4
// signature of every request by re-signing it with the SDK's own signer (only
// AssumeRoleWithWebIdentity may come unsigned, as the SDK sends it), answers in the XML shapes
// real STS uses, and returns real STS error codes with their HTTP statuses:
//
//	InvalidClientTokenId   403  unknown access key, or a wrong or missing session token
//	SignatureDoesNotMatch  403  the signature does not match the secret, or its X-Amz-Date
//	                            is more than 5 minutes from the server's clock
//	ExpiredToken           403  credentials it issued have expired (a smithy.GenericAPIError
//	                            in the SDK, as from STS)
//	AccessDenied           403  the role was never added with AddRole, it requires MFA that
//	                            the caller lacks, a wrong MFA code, or GetSessionToken with
//	                            temporary credentials
//	InvalidIdentityToken   400  a web identity token that was not accepted
//	ExpiredTokenException  400  a web identity token whose exp claim has passed
//	ValidationError        400  DurationSeconds outside 900..43200 (900..129600 for
//	                            GetSessionToken), above the role's MaxSessionDuration, above
//	                            1 h for role chaining, a RoleSessionName that is not 2..64
//	                            of [\w+=,.@-], or an MFA TokenCode that is not 6 digits
//
// Malformed requests get MissingAuthenticationToken, IncompleteSignature, InvalidAction or
// MalformedQueryString, also as STS names them.
//
// Credentials it issues look like STS's (an ASIA… key ID, a secret, a session token and an
// Expiration in whole seconds) and work against the same server, so role chaining and
// GetCallerIdentity behave as they do on AWS. Credentials from GetSessionToken act as the
// IAM user: AssumeRole with them is not role chaining, and GetSessionToken with them is
// refused.
//
// AddMFADevice sets the code an MFA device shows, and RequireMFA makes a role demand MFA,
// given with AssumeRole or carried by credentials that GetSessionToken issued with MFA.
// AddWebIdentityToken and SetWebIdentityTokenCheck decide which web identity tokens
// AssumeRoleWithWebIdentity accepts; NewWebIdentityToken makes one shaped like an OIDC ID
// token.
//
// Fail and Delay inject faults into the next calls, FailAction and DelayAction into the next
// calls of one action, and Calls reports every call received, so that tests can assert on
// retries and on how many times STS was asked. SetRateLimit puts a token bucket in front of
// every call, and over it answers 400 Throttling "Rate exceeded", as STS does when an account
// exceeds its request quota. SetRegionDisabled answers RegionDisabledException, as STS in a
// region the account has not activated.
//
// SetClockSkew moves the server's clock away from this machine's: the Date header of every
// answer, every Expiration and every expiry check follow it, and so does the 5-minute window
// of signing times, from which the SDK recovers by itself (see SetClockSkew).
//
// The same server answers IAM Roles Anywhere's CreateSession (POST /sessions, REST-JSON): a
// request must be signed with AWS4-X509-RSA-SHA256 or AWS4-X509-ECDSA-SHA256 by the key of the
// certificate in X-Amz-X509, which must chain (through X-Amz-X509-Chain) to the CA that
// AddTrustAnchor gave its trust anchor and be valid on the server's clock; the profile, added
// with AddRolesAnywhereProfile, must list the role. Refusals carry the code in X-Amzn-Errortype
// and __type: AccessDeniedException (403: "Untrusted Signing Certificate", a role the profile
// does not list, a roleSessionName the profile does not accept), InvalidSignatureException (403:
// a signature that does not verify, or made more than 5 minutes from the server's clock),
// IncompleteSignatureException (400), MissingAuthenticationTokenException (403),
// ResourceNotFoundException (404: an unknown trust anchor or profile) and ValidationException
// (400: durationSeconds outside 900..43200, a bad roleSessionName). Its credentials work against
// the STS actions like any role session's. IssueCertificate makes test certificates; faults
// apply to it as the action "CreateSession", answered as ThrottlingException (429),
// InternalServerException (500) and ServiceUnavailableException (503).
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
