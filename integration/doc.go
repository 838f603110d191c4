// Package integration tests awssts against software this project did not write: the STS servers
// moto_server and MinIO, AWS's IMDS emulator ec2-metadata-mock, and the AWS SDK's own credential
// providers behind awssts.Wrap (the container endpoint, credential_process, web identity and
// IMDS, found by the SDK's default chain), and AWS's Roles Anywhere client aws_signing_helper
// against ststest's CreateSession. It holds only tests; see peers_test.go for how the
// servers are found or started.
//
// .ci/run starts the servers (.ci/peers.sh) and passes their endpoints in AWSSTS_MOTO_ENDPOINT,
// AWSSTS_MINIO_ENDPOINT, AWSSTS_MINIO_ROOT_USER, AWSSTS_MINIO_ROOT_PASSWORD and
// AWSSTS_IMDS_ENDPOINT. Without them the tests start the servers themselves, or skip (fail when
// CI is set) if a binary is missing. Tests that stop or rotate an IMDS emulator start one of
// their own.
package integration
