// Package credserver is the awssts command's container-credentials endpoint: it serves a
// Provider's credentials to the AWS SDKs and the AWS CLI of this machine's user, in the
// protocol they read from AWS_CONTAINER_CREDENTIALS_FULL_URI and
// AWS_CONTAINER_AUTHORIZATION_TOKEN.
//
// Its contract:
//
//   - It listens on a loopback address only, checked on the address it bound, after Listen,
//     whatever the name given resolved to.
//   - GET /credentials with the token (256 random bits, compared in constant time) gets
//     {AccessKeyId, SecretAccessKey, Token, Expiration, AccountId}, Expiration being the
//     real STS expiry. No token is 401, a wrong one 403, any other path 404; no answer but
//     the credentials one carries a secret.
//   - GET /healthz needs no token and makes no call: 200 while the Provider holds usable
//     credentials (Stats().Usable: GET /credentials would get them, so not after a refusal
//     stopped serving them, and more than a minute before their real expiry), else 503.
//     The body is the remaining whole seconds and nothing else.
//   - It holds at most Options.MaxConns connections: a new one evicts the oldest that is idle
//     or has sent nothing yet, so idle or silent clients cannot lock out the token holder,
//     and idle keep-alive connections are closed after Options.IdleTimeout.
package credserver
