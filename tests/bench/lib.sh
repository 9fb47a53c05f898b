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
	bench_serve "$@"
}

# bench_serve [pingshend options...]: starts pingshend on the throwaway
# cluster and returns once it listens (bench_start, bench_restart).  Its
# standard error accumulates in $tmp/pingshend.err across restarts.
bench_serve() {
	# A new fifo each time: the reader of the last one may not have seen
	# its end yet, and must not take this server's first line.
	rm -f "$tmp/out"
	mkfifo "$tmp/out"
	"$bin" --db "$conninfo" --port "$port" \
		--tls-cert "$tmp/certs/server.crt" \
		--tls-key "$tmp/certs/server.key" --data-dir "$tmp/data" \
		--access-log=false "$@" >"$tmp/out" 2>>"$tmp/pingshend.err" &
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

# The value of "key" in a JSON answer (first occurrence).  sed reads the
# whole answer: a reader that stopped early (head) would fail a long
# answer's writer with SIGPIPE, a silent exit under pipefail.
bench_field() {
	grep -o "\"$1\":\"\{0,1\}[^\",}]*" | sed -n '1s/.*:"\{0,1\}//p'
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

# bench_batch_lines FILE METHOD PATH OUT: turns lines "TOKEN BODY" on
# standard input (TOKEN - for none; BODY may be empty) into requests of a
# curl config FILE for bench_batch; the answer to line I goes to OUT.I, or
# nowhere when OUT is /dev/null.
bench_batch_lines() {
	sed 's/["\\]/\\&/g' | awk -v api="$api" -v ca="$ca" -v method="$2" \
		-v path="$3" -v out="$4" '
	{
		body = substr($0, length($1) + 2)
		if (NR > 1)
			print "next"
		printf "url = \"%s%s\"\n", api, path
		printf "request = \"%s\"\ncacert = \"%s\"\n", method, ca
		print "header = \"Content-Type: application/json\""
		if ($1 != "-")
			printf "header = \"Authorization: Bearer %s\"\n", $1
		if (body != "")
			printf "data = \"%s\"\n", body
		printf "output = \"%s\"\n", out == "/dev/null" ? out : out "." NR
		print "write-out = \"%{http_code}\\n\""
	}' >"$1"
}

# bench_batch FILE: runs the requests of FILE, 16 at a time over reused
# connections (one curl, not one process a request); fails unless every
# answer is 2xx.
bench_batch() {
	curl --parallel --parallel-max 16 --no-progress-meter -K "$1" \
		>"$1.codes"
	if grep -qv '^2' "$1.codes"; then
		echo "bench_batch $1: $(sort "$1.codes" | uniq -c | tr '\n' ' ')" >&2
		return 1
	fi
}

# bench_experts N PREFIX ADMIN_TOKEN: creates experts PREFIX1..PREFIXN
# (password expert-pw-I, organization "org I") and logs each in; their
# ids go to $tmp/PREFIX.ids and their tokens to $tmp/PREFIX.tokens, one a
# line, in order.
bench_experts() {
	mkdir -p "$tmp/$2"
	seq 1 "$1" | sed "s/.*/$3 {\"username\":\"$2&\",\"role\":\"expert\",\"password\":\"expert-pw-&\",\"organization\":\"org &\"}/" |
		bench_batch_lines "$tmp/$2/users.K" POST /users "$tmp/$2/user"
	seq 1 "$1" | sed "s/.*/- {\"username\":\"$2&\",\"password\":\"expert-pw-&\"}/" |
		bench_batch_lines "$tmp/$2/logins.K" POST /sessions "$tmp/$2/login"
	bench_batch "$tmp/$2/users.K"
	bench_batch "$tmp/$2/logins.K"
	# Each answer is one line without a newline at its end; "id" and
	# "token" come first in theirs.
	# shellcheck disable=SC2016 # $2 and $4 are awk's
	seq 1 "$1" | sed "s|.*|$tmp/$2/user.&|" | xargs awk -F'[:,]' \
		'/^{"id":/ {print $2}' >"$tmp/$2.ids"
	# shellcheck disable=SC2016
	seq 1 "$1" | sed "s|.*|$tmp/$2/login.&|" | xargs awk -F'"' \
		'/^{"token":/ {print $4}' >"$tmp/$2.tokens"
	if [ "$(wc -l <"$tmp/$2.ids")" -ne "$1" ] ||
		[ "$(wc -l <"$tmp/$2.tokens")" -ne "$1" ]; then
		echo "bench_experts: an answer lacks its id or token" >&2
		return 1
	fi
}

# bench_psql ARGS...: psql as the database's owner on the throwaway cluster.
bench_psql() {
	deploy/pg-local --dir "$tmp/pg" psql -X -q -v ON_ERROR_STOP=1 "$@"
}

# bench_cc NAME: compiles tests/bench/NAME.c (libevent, OpenSSL) into
# $tmp/NAME, with the project's warnings.
bench_cc() {
	# shellcheck disable=SC2046 # pkg-config prints several words
	cc -std=c17 -D_POSIX_C_SOURCE=200809L -O2 -Wall -Wextra -Werror \
		-o "$tmp/$1" "tests/bench/$1.c" \
		$(pkg-config --cflags --libs libevent_openssl openssl)
}

# bench_rss: pingshend's resident memory (VmRSS) in KiB.
bench_rss() {
	awk '/^VmRSS:/ {print $2}' "/proc/$(cat "$tmp/pingshend.pid")/status"
}

# bench_restart [pingshend options...]: stops pingshend, lets it finish,
# and starts it again on the same cluster with these options.
bench_restart() {
	bench_pid=$(cat "$tmp/pingshend.pid")
	kill "$bench_pid"
	wait "$bench_pid" || true
	exec 3<&-
	bench_serve "$@"
}

# bench_settle AUDITOR_TOKEN: returns once the audit sequencer has chained
# every entry written so far (GET /audit/head waits for it), so the next
# measurement does not pay for the previous one's backlog.
bench_settle() {
	bench_call GET /audit/head "$1" >/dev/null
}

# bench_wrk_stats: reads wrk --latency output and prints requests/s, p50
# and p99 in milliseconds ("1.25ms"), and the count of non-2xx answers plus
# socket errors.
bench_wrk_stats() {
	awk 'function ms(v) {
			if (v ~ /us$/) return v / 1000
			if (v ~ /ms$/) return v + 0
			if (v ~ /s$/) return v * 1000
			return v * 60000
		}
		/Requests\/sec/ {rps = $2}
		$1 == "50%" {p50 = ms($2)}
		$1 == "99%" {p99 = ms($2)}
		/Non-2xx/ {bad += $5}
		/Socket errors/ {gsub(",", ""); bad += $4 + $6 + $8 + $10}
		END {printf "%s %.2fms %.2fms %d\n", rps, p50, p99, bad}'
}

# bench_sql NAME: statement NAME as pingshend prepared it, ended by a
# semicolon; the server must run with PINGSHEN_DB_TRACE set and have used
# the statement.
bench_sql() {
	sed -n "s/^db: prepare $1: \(.*\)/\1;/p" "$tmp/pingshend.err" | head -n 1
}

# bench_pgbin: the folder of the newest PostgreSQL's programs.
bench_pgbin() {
	find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -name bin | sort -V |
		tail -n 1
}

# bench_pgbench ARGS...: pgbench on the throwaway cluster's database.
bench_pgbench() {
	"$(bench_pgbin)/pgbench" -h "$tmp/pg/sock" -U pingshen "$@" pingshen
}

# bench_pgbench_stats ARGS...: runs bench_pgbench with ARGS, logging each
# transaction; prints tps, p50 and p99 (like bench_wrk_stats) and 0.
bench_pgbench_stats() {
	rm -f "$tmp"/pgbench.log*
	if ! bench_out=$(bench_pgbench -l --log-prefix="$tmp/pgbench.log" \
		"$@" 2>&1); then
		echo "pgbench failed: $bench_out" >&2
		return 1
	fi
	# The third field of a log line is the transaction's latency in us.
	cat "$tmp"/pgbench.log* | awk '{print $3}' | sort -n | awk \
		-v tps="$(echo "$bench_out" | awk '/^tps/ {print $3; exit}')" '
		{ v[NR] = $1 }
		END { printf "%s %.2fms %.2fms 0\n", tps,
			v[int(NR * 0.50) + 1] / 1000, v[int(NR * 0.99) + 1] / 1000 }'
}

# bench_scoring_meeting EXPERTS PREFIX SECRETARY_TOKEN: a ywtb evaluation
# with a scoring meeting of the first EXPERTS experts of bench_experts
# PREFIX, all seated, and round 1 open; sets $evaluation and $meeting.
bench_scoring_meeting() {
	evaluation=$(bench_call POST /evaluations "$3" \
		'{"title":"bench","standard":{"code":"B-1","title":"bench"},"template":"ywtb"}' |
		bench_field id)
	meeting=$(bench_call POST "/evaluations/$evaluation/meetings" "$3" \
		"{\"kind\":\"scoring\",\"title\":\"bench\",\"experts\":[$(head -n "$1" "$tmp/$2.ids" | paste -sd,)],\"aggregation\":{\"method\":\"trimmed_mean\",\"trim\":1},\"quorum\":5}" |
		bench_field id)
	head -n "$1" "$tmp/$2.tokens" |
		sed 's/$/ {"conflict_of_interest":false}/' |
		bench_batch_lines "$tmp/seat.K" POST "/meetings/$meeting/seat" \
			/dev/null
	bench_batch "$tmp/seat.K"
	bench_call POST "/meetings/$meeting/rounds" "$3" '{}' >/dev/null
}

# bench_load: the machine's load averages (1, 5, 15 minutes) now, since
# other work on a shared machine moves every figure.
bench_load() {
	echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
}

# bench_cpu_ms PID...: the CPU time (user + system) the processes have used
# so far, in ms (10 ms steps): unlike the wall clock, other work on a
# shared machine does not move it.  A process gone meanwhile counts 0.
bench_cpu_ms() {
	for bench_p in "$@"; do
		cat "/proc/$bench_p/stat" 2>/dev/null || true
	done | awk -v hz="$(getconf CLK_TCK)" '
	{ sub(/^.*\) /, ""); t += $12 + $13 } END { printf "%d\n", t * 1000 / hz }'
}

# bench_db_cpu_ms: bench_cpu_ms of the throwaway cluster's processes (the
# postmaster and its children, the server's connections among them).
bench_db_cpu_ms() {
	bench_pm=$(head -n 1 "$tmp/pg/data/postmaster.pid")
	# shellcheck disable=SC2046 # one pid a word
	bench_cpu_ms "$bench_pm" $(ps -o pid= --ppid "$bench_pm")
}
