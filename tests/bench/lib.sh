# Shared by the benchmark scripts (sourced, not run): builds a Release
# pingshend and starts it on a throwaway PostgreSQL cluster in a temporary
# folder, all on loopback; bench_cleanup stops everything.  After
# bench_start: $tmp, $api, $ca, $conninfo, $port, $bin are set and the
# admin "bench" (password benchpassword1) exists.

bench_cleanup() {
	[ -f "$tmp/pingshend.pid" ] && kill "$(cat "$tmp/pingshend.pid")" 2>/dev/null || true
	[ -f "$tmp/nginx.pid" ] && kill "$(cat "$tmp/nginx.pid")" 2>/dev/null || true
	deploy/pg-local --dir "$tmp/pg" stop >/dev/null 2>&1 || true
	rm -rf "$tmp"
}

# bench_start [pingshend options...]
bench_start() {
	deploy/install-deps
	if ! command -v wrk >/dev/null || ! command -v nginx >/dev/null ||
		! command -v bc >/dev/null; then
		apt-get install -y --no-install-recommends wrk nginx-light bc >/dev/null
	fi
	cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release >/dev/null
	cmake --build build/release -j"$(nproc)" --target pingshend >/dev/null

	tmp=$(mktemp -d /tmp/pingshen-bench-XXXXXX)
	chmod 755 "$tmp"
	trap bench_cleanup EXIT INT TERM
	# Ports of our own, away from a server a developer may be running.
	port=$((20000 + $$ % 20000))
	certs/make-dev-certs --dir "$tmp/certs" >/dev/null
	ca=$tmp/certs/ca.crt
	deploy/pg-local --dir "$tmp/pg" start >/dev/null
	conninfo=$(deploy/pg-local --dir "$tmp/pg" conninfo)
	bin=build/release/server/pingshend
	echo "benchpassword1" | "$bin" --db "$conninfo" --scrypt-log2-n=14 \
		--create-admin bench >/dev/null

	mkfifo "$tmp/out"
	"$bin" --db "$conninfo" --port "$port" \
		--tls-cert "$tmp/certs/server.crt" \
		--tls-key "$tmp/certs/server.key" --data-dir "$tmp/data" \
		--access-log=false "$@" >"$tmp/out" 2>"$tmp/pingshend.err" &
	echo $! >"$tmp/pingshend.pid"
	# The first line says it listens; reading it is the synchronization.
	# If the server fails instead, the fifo closes and the line is empty.
	exec 3<"$tmp/out"
	read -r ready <&3 || true
	case "$ready" in
	*listening*) ;;
	*)
		cat "$tmp/pingshend.err" >&2
		exit 1
		;;
	esac
	cat <&3 >/dev/null &
	api=https://127.0.0.1:$port/api/v1
}

# bench_call METHOD PATH TOKEN [BODY]: prints the answer's body.
bench_call() {
	curl -sS --cacert "$ca" -X "$1" "$api$2" \
		${3:+-H "Authorization: Bearer $3"} \
		-H 'Content-Type: application/json' ${4:+-d "$4"}
}

# The value of "key" in a flat JSON answer (first occurrence).
bench_field() {
	grep -o "\"$1\":\"\{0,1\}[^\",}]*" | head -n 1 | sed 's/.*:"\{0,1\}//'
}

bench_login() {
	bench_call POST /sessions "" \
		"{\"username\":\"$1\",\"password\":\"$2\"}" | bench_field token
}

# bench_file SIZE NAME: a file of SIZE bytes for nginx to serve as /NAME.
bench_file() {
	mkdir -p "$(dirname "$tmp/www/$2")"
	head -c "$1" /dev/zero | tr '\0' 'x' >"$tmp/www/$2"
}

# nginx on one worker (pingshend runs one event loop) serving $tmp/www over
# TLS with keep-alive at https://127.0.0.1:$((port + 1))/.
bench_nginx() {
	cat >"$tmp/nginx.conf" <<CONF
worker_processes 1;
pid $tmp/nginx.pid;
error_log $tmp/nginx.err;
events { worker_connections 4096; }
http {
  access_log off;
  default_type application/json;
  keepalive_requests 1000000;
  server {
    listen 127.0.0.1:$((port + 1)) ssl;
    ssl_certificate $tmp/certs/server.crt;
    ssl_certificate_key $tmp/certs/server.key;
    ssl_protocols TLSv1.2 TLSv1.3;
    root $tmp/www;
  }
}
CONF
	nginx -c "$tmp/nginx.conf"
}

bench_machine() {
	echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(date -u +%Y-%m-%d)"
}
