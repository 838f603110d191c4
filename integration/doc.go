// Package integration tests awssts against STS servers this project did not write: moto_server
// and MinIO. It holds only tests; see peers_test.go for how the servers are found or started.
//
// .ci/run starts both servers (.ci/peers.sh) and passes their endpoints in AWSSTS_MOTO_ENDPOINT,
// AWSSTS_MINIO_ENDPOINT, AWSSTS_MINIO_ROOT_USER and AWSSTS_MINIO_ROOT_PASSWORD. Without them the
// tests start the servers themselves, or skip (fail when CI is set) if a binary is missing.
package integration
