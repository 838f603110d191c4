# shellcheck shell=bash
# The real peers for the integration suite, on loopback: the STS servers moto_server and MinIO,
# and AWS's IMDS emulator ec2-metadata-mock.
# Sourced by .ci/run:  source .ci/peers.sh; trap peers_stop EXIT; peers_install; peers_start
#
# peers_start exports AWSSTS_MOTO_ENDPOINT, AWSSTS_MINIO_ENDPOINT, AWSSTS_MINIO_ROOT_USER,
# AWSSTS_MINIO_ROOT_PASSWORD and AWSSTS_IMDS_ENDPOINT. Everything the servers write goes under one
# mktemp -d directory, which peers_stop removes after stopping them. peers_stop is safe to call
# twice.

PEERS_MINIO_MODULE="github.com/minio/minio@v0.0.0-20260212201848-7aac2a2c5b7c"
PEERS_IMDS_MODULE="github.com/aws/amazon-ec2-metadata-mock/cmd/ec2-metadata-mock@v1.13.0"
PEERS_RA_HELPER_MODULE="github.com/aws/rolesanywhere-credential-helper@v1.4.0"
PEERS_MOTO_PACKAGE="moto[server]==5.2.1"
PEERS_READY_SECONDS="${PEERS_READY_SECONDS:-60}"

# _peers_go_bin NAME prints the path of a command that go install builds: PATH first, then
# where go install puts it.
_peers_go_bin() {
	local name="$1" gobin
	if command -v "$name" 2>/dev/null; then
		return 0
	fi
	gobin="$(go env GOBIN)"
	if [ -z "$gobin" ]; then
		gobin="$(go env GOPATH)"
		gobin="${gobin%%:*}/bin"
	fi
	if [ -x "$gobin/$name" ]; then
		echo "$gobin/$name"
		return 0
	fi
	return 1
}

# peers_install installs whichever peer is missing: MinIO (about 3.5 minutes cold),
# ec2-metadata-mock (about 15 s) and AWS's Roles Anywhere client (about 20 s; go install names it
# rolesanywhere-credential-helper, AWS's releases aws_signing_helper) with go install, moto with
# pip. The Roles Anywhere client is no server: integration/ runs it against ststest.
peers_install() {
	if ! _peers_go_bin minio >/dev/null; then
		echo "peers: installing MinIO ($PEERS_MINIO_MODULE)"
		go install "$PEERS_MINIO_MODULE"
	fi
	echo "peers: minio is $(_peers_go_bin minio)"
	if ! _peers_go_bin ec2-metadata-mock >/dev/null; then
		echo "peers: installing ec2-metadata-mock ($PEERS_IMDS_MODULE)"
		go install "$PEERS_IMDS_MODULE"
	fi
	echo "peers: ec2-metadata-mock is $(_peers_go_bin ec2-metadata-mock)"
	if ! _peers_go_bin aws_signing_helper >/dev/null && ! _peers_go_bin rolesanywhere-credential-helper >/dev/null; then
		echo "peers: installing AWS's Roles Anywhere client ($PEERS_RA_HELPER_MODULE)"
		go install "$PEERS_RA_HELPER_MODULE"
	fi
	echo "peers: the Roles Anywhere client is $(_peers_go_bin aws_signing_helper || _peers_go_bin rolesanywhere-credential-helper)"
	if ! command -v moto_server >/dev/null 2>&1; then
		echo "peers: installing $PEERS_MOTO_PACKAGE"
		if command -v pip >/dev/null 2>&1; then
			pip install "$PEERS_MOTO_PACKAGE"
		else
			python3 -m pip install "$PEERS_MOTO_PACKAGE"
		fi
		hash -r
		command -v pyenv >/dev/null 2>&1 && pyenv rehash
		if ! command -v moto_server >/dev/null 2>&1; then
			echo "peers: pip installed moto, but moto_server is not in PATH" >&2
			return 1
		fi
	fi
	echo "peers: moto_server is $(command -v moto_server)"
}

# _peers_free_port sets PEERS_PORT to a loopback port that nothing listens on and that it has
# not handed out before, below the kernel's ephemeral range so outgoing connections leave it.
_peers_free_port() {
	local port i
	for ((i = 0; i < 100; i++)); do
		port=$((20000 + RANDOM % 12000))
		case " ${_PEERS_USED_PORTS:-} " in *" $port "*) continue ;; esac
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
			_PEERS_USED_PORTS="${_PEERS_USED_PORTS:-} $port"
			PEERS_PORT="$port"
			return 0
		fi
	done
	echo "peers: found no free loopback port" >&2
	return 1
}

# _peers_wait_ready NAME PID URL LOG [CURL_ARGS...] polls URL until it answers 200, the process
# exits, or PEERS_READY_SECONDS pass. CURL_ARGS make the request something other than a GET.
_peers_wait_ready() {
	local name="$1" pid="$2" url="$3" log="$4" deadline=$((SECONDS + PEERS_READY_SECONDS))
	shift 4
	while ! curl -sf -o /dev/null --max-time 2 "$@" "$url"; do
		if ! kill -0 "$pid" 2>/dev/null; then
			echo "peers: $name exited before it was ready; its log:" >&2
			tail -n 30 "$log" >&2
			return 1
		fi
		if ((SECONDS >= deadline)); then
			echo "peers: $name did not answer $url within ${PEERS_READY_SECONDS}s; its log:" >&2
			tail -n 30 "$log" >&2
			return 1
		fi
		sleep 0.2
	done
	echo "peers: $name ready ($url)"
}

# peers_start starts moto_server, MinIO and ec2-metadata-mock on free loopback ports, waits
# until each is ready and exports their settings for the tests.
peers_start() {
	local minio_bin imds_bin port minio_port console_port user password
	command -v curl >/dev/null 2>&1 || { echo "peers: curl is needed to wait for the peers" >&2; return 1; }
	command -v moto_server >/dev/null 2>&1 || { echo "peers: moto_server not found; run peers_install" >&2; return 1; }
	minio_bin="$(_peers_go_bin minio)" || { echo "peers: minio not found; run peers_install" >&2; return 1; }
	imds_bin="$(_peers_go_bin ec2-metadata-mock)" || { echo "peers: ec2-metadata-mock not found; run peers_install" >&2; return 1; }
	PEERS_DIR="$(mktemp -d "${TMPDIR:-/tmp}/awssts-peers.XXXXXX")"
	mkdir -p "$PEERS_DIR/moto" "$PEERS_DIR/minio/data" "$PEERS_DIR/minio/certs" "$PEERS_DIR/imds"

	_peers_free_port || return 1
	port="$PEERS_PORT"
	# HOME stays as it is for moto: a pip --user install finds its packages through it.
	(cd "$PEERS_DIR/moto" && TMPDIR="$PEERS_DIR/moto" exec moto_server -H 127.0.0.1 -p "$port") \
		>"$PEERS_DIR/moto.log" 2>&1 &
	PEERS_MOTO_PID=$!
	_peers_wait_ready moto_server "$PEERS_MOTO_PID" "http://127.0.0.1:$port/moto-api/" "$PEERS_DIR/moto.log" || return 1
	export AWSSTS_MOTO_ENDPOINT="http://127.0.0.1:$port"

	_peers_free_port || return 1
	minio_port="$PEERS_PORT"
	_peers_free_port || return 1
	console_port="$PEERS_PORT"
	user="awssts-root"
	password="$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
	(cd "$PEERS_DIR/minio" && HOME="$PEERS_DIR/minio" TMPDIR="$PEERS_DIR/minio" \
		MINIO_ROOT_USER="$user" MINIO_ROOT_PASSWORD="$password" \
		exec "$minio_bin" server "$PEERS_DIR/minio/data" --address "127.0.0.1:$minio_port" \
		--console-address "127.0.0.1:$console_port" --certs-dir "$PEERS_DIR/minio/certs" --quiet) \
		>"$PEERS_DIR/minio.log" 2>&1 &
	PEERS_MINIO_PID=$!
	_peers_wait_ready minio "$PEERS_MINIO_PID" "http://127.0.0.1:$minio_port/minio/health/ready" "$PEERS_DIR/minio.log" || return 1
	export AWSSTS_MINIO_ENDPOINT="http://127.0.0.1:$minio_port"
	export AWSSTS_MINIO_ROOT_USER="$user"
	export AWSSTS_MINIO_ROOT_PASSWORD="$password"

	# IMDSv2 only, as EC2 instances launched today are, serving one instance role whose
	# credentials expire in 2100 (the emulator's own default ones expired in 2020).
	_peers_free_port || return 1
	port="$PEERS_PORT"
	cat >"$PEERS_DIR/imds/aemm-config.json" <<-EOF
		{"imdsv2": true, "metadata": {"values": {
		  "iam-security-credentials-role": "awssts-instance-role",
		  "iam-security-credentials": {"Code": "Success", "LastUpdated": "2026-01-01T00:00:00Z",
		    "Type": "AWS-HMAC", "AccessKeyId": "ASIAIMDSSHARED00000",
		    "SecretAccessKey": "$(od -An -N20 -tx1 /dev/urandom | tr -d ' \n')",
		    "Token": "$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')",
		    "Expiration": "2100-01-01T00:00:00Z"}}}}
	EOF
	(cd "$PEERS_DIR/imds" && HOME="$PEERS_DIR/imds" TMPDIR="$PEERS_DIR/imds" \
		exec "$imds_bin" -c "$PEERS_DIR/imds/aemm-config.json" -n 127.0.0.1 -p "$port") \
		>"$PEERS_DIR/imds.log" 2>&1 &
	PEERS_IMDS_PID=$!
	_peers_wait_ready ec2-metadata-mock "$PEERS_IMDS_PID" "http://127.0.0.1:$port/latest/api/token" "$PEERS_DIR/imds.log" \
		-X PUT -H "X-aws-ec2-metadata-token-ttl-seconds: 60" || return 1
	export AWSSTS_IMDS_ENDPOINT="http://127.0.0.1:$port"
}

# _peers_kill PID stops one server we started: SIGTERM, up to 10 s to exit, then SIGKILL.
_peers_kill() {
	local pid="$1" i
	kill -0 "$pid" 2>/dev/null || return 0
	kill -TERM "$pid" 2>/dev/null || true
	for ((i = 0; i < 50; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.2
	done
	kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}

# peers_stop stops the servers and removes their directory. It is safe to call twice, and
# before or after a failed peers_start.
peers_stop() {
	if [ -n "${PEERS_MOTO_PID:-}" ]; then
		_peers_kill "$PEERS_MOTO_PID"
	fi
	if [ -n "${PEERS_MINIO_PID:-}" ]; then
		_peers_kill "$PEERS_MINIO_PID"
	fi
	if [ -n "${PEERS_IMDS_PID:-}" ]; then
		_peers_kill "$PEERS_IMDS_PID"
	fi
	if [ -n "${PEERS_DIR:-}" ]; then
		rm -rf "$PEERS_DIR"
	fi
	unset PEERS_MOTO_PID PEERS_MINIO_PID PEERS_IMDS_PID PEERS_DIR PEERS_PORT _PEERS_USED_PORTS
	unset AWSSTS_MOTO_ENDPOINT AWSSTS_MINIO_ENDPOINT AWSSTS_MINIO_ROOT_USER AWSSTS_MINIO_ROOT_PASSWORD
	unset AWSSTS_IMDS_ENDPOINT
}
