#!/bin/sh
# "make run" and "make stop": the whole service on its embedded defaults.
# A private PostgreSQL cluster under var/ (unless DATABASE_URL is set),
# migrated, lighttpd on 127.0.0.1:PORT serving every program from build/,
# ws-bridge on 127.0.0.1:WSPORT (PORT + 10) behind it for live
# streaming, and one trapi-worker for async jobs, in the foreground
# until Ctrl-C.  As root, everything runs as
# the unprivileged user "trapi".
#
# usage: run.sh start [port] | run.sh stop
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
var=$top/var
build=$top/build
port=${2:-8080}
wsport=${WS_BRIDGE_PORT:-$((port + 10))}
if [ "$(id -u)" = 0 ]; then user=trapi; else user=$(id -un); fi

as() {
	if [ "$(id -u)" = 0 ]; then runuser -u "$user" -- "$@"; else "$@"; fi
}

# The service user must be able to reach var/ and build/: grant it search
# permission (x only, by ACL) on any parent directory that denies it,
# such as /root.
grant_traverse() {
	[ "$(id -u)" = 0 ] || return 0
	d=$top
	while [ "$d" != / ]; do
		if ! runuser -u "$user" -- test -x "$d" 2>/dev/null; then
			echo "run: letting user $user traverse $d (setfacl u:$user:x)"
			setfacl -m "u:$user:x" "$d"
		fi
		d=$(dirname "$d")
	done
}

# Stops the process of a pid file and waits up to 10 s for it.
stop_pid() {
	[ -f "$1" ] || return 0
	pid=$(cat "$1")
	kill "$pid" 2>/dev/null || true
	i=0
	while kill -0 "$pid" 2>/dev/null && [ $i -lt 100 ]; do
		sleep 0.1; i=$((i + 1))
	done
	rm -f "$1"
}

stop() {
	stop_pid "$var/run/trapi-worker.pid"
	stop_pid "$var/run/ws-bridge.pid"
	stop_pid "$var/run/lighttpd.pid"
	if [ -f "$var/pgdata/postmaster.pid" ]; then
		sh "$top/tools/pg.sh" stop "$var/pgdata" -u "$user"
	fi
}

start() {
	if [ -f "$var/run/lighttpd.pid" ] &&
	    kill -0 "$(cat "$var/run/lighttpd.pid")" 2>/dev/null; then
		echo "run: already running (make stop first)" >&2
		exit 1
	fi
	# Logs and uploads are the service's own: no other user reads them.
	mkdir -p "$var/run" "$var/log" "$var/tmp" "$var/www" "$var/uploads"
	chmod 700 "$var/uploads"
	chmod 750 "$var/log"
	[ "$(id -u)" = 0 ] && chown -R "$user:" "$var" &&
	    chown "$user:" "$var/pgdata" 2>/dev/null || true
	grant_traverse

	url=${DATABASE_URL:-}
	if [ -z "$url" ]; then
		sh "$top/tools/pg.sh" init "$var/pgdata" -u "$user"
		sh "$top/tools/pg.sh" start "$var/pgdata" "$var/run" -u "$user"
		if ! as psql -X -q -At -h "$var/run" -d postgres -c \
		    "SELECT 1 FROM pg_database WHERE datname = 'trapi'" | grep -q 1; then
			as psql -X -q -h "$var/run" -d postgres -c 'CREATE DATABASE trapi'
		fi
		url="postgresql:///trapi?host=$var/run"
	fi

	# Signing secrets are made once and kept across restarts.
	umask 077
	if [ ! -f "$var/secrets" ]; then
		{
			echo "JWT_SECRET_KEY=$(head -c 32 /dev/urandom | base64 | tr -d '/+=')"
			echo "SECRET_KEY=$(head -c 32 /dev/urandom | base64 | tr -d '/+=')"
		} > "$var/secrets"
	fi
	mkdir -p "$var/spool" "$var/spool/jobs"
	[ "$(id -u)" = 0 ] && chown "$user:" "$var/spool" "$var/spool/jobs"
	conf=$var/trapi.conf
	{
		echo "# written by make run; edit, or set APP_CONFIG to your own"
		echo "DATABASE_URL=\"$url\""
		echo "UPLOAD_DIR=\"$var/uploads\""
		echo "USAGE_SPOOL_DIR=\"$var/spool\""
		echo "JOB_SPOOL_DIR=\"$var/spool/jobs\""
		echo "JOB_PROGRAM_DIR=\"$build/cgi-bin\""
		echo "APP_ENV=development"
		echo "WS_BRIDGE_PORT=$wsport"
		cat "$var/secrets"
	} > "$conf.new"
	mv "$conf.new" "$conf"
	umask 022
	[ "$(id -u)" = 0 ] && chown "$user:" "$conf"

	as env APP_CONFIG="$conf" "$build/tools/trapi-migrate" -d "$top/sql"
	# On first start: a local admin and an API key, printed once.
	as env APP_CONFIG="$conf" "$build/tools/trapi-admin" bootstrap \
	    admin@localhost

	if [ "$(id -u)" = 0 ]; then uopt="-u $user"; else uopt=; fi
	sh "$top/tools/mkconf.sh" -o "$var/conf" -c "$build/cgi-bin" -s "$var" \
	    -f "$conf" -p "$port" -e "$build/tools/trapi-errors" \
	    -w "$wsport" -W "$build/www" $uopt

	trap 'stop; exit 0' INT TERM
	umask 027	# the logs the daemons open
	# setpriv and env exec: $! is the daemon itself.
	if [ "$(id -u)" = 0 ]; then
		setpriv --reuid="$user" --regid="$user" --init-groups \
		    env APP_CONFIG="$conf" "$build/ws-bridge/ws-bridge" \
		    >>"$var/log/ws-bridge.log" 2>&1 &
	else
		env APP_CONFIG="$conf" "$build/ws-bridge/ws-bridge" \
		    >>"$var/log/ws-bridge.log" 2>&1 &
	fi
	echo $! > "$var/run/ws-bridge.pid"
	# One worker for async jobs (more: INSTALL section 5f).
	if [ "$(id -u)" = 0 ]; then
		setpriv --reuid="$user" --regid="$user" --init-groups \
		    env APP_CONFIG="$conf" "$build/worker/trapi-worker" \
		    >>"$var/log/trapi-worker.log" 2>&1 &
	else
		env APP_CONFIG="$conf" "$build/worker/trapi-worker" \
		    >>"$var/log/trapi-worker.log" 2>&1 &
	fi
	echo $! > "$var/run/trapi-worker.pid"
	i=0
	until curl -sf -o /dev/null "http://127.0.0.1:$wsport/socket.io/?EIO=4&transport=polling"; do
		if [ $i -ge 100 ]; then
			echo "run: ws-bridge did not start; see $var/log/ws-bridge.log" >&2
			stop
			exit 1
		fi
		sleep 0.1; i=$((i + 1))
	done
	lighttpd -D -f "$var/conf/lighttpd.conf" &
	lpid=$!
	i=0
	until curl -s -o /dev/null "http://127.0.0.1:$port/health"; do
		if ! kill -0 "$lpid" 2>/dev/null || [ $i -ge 100 ]; then
			echo "run: lighttpd did not start; see $var/log/lighttpd-error.log" >&2
			stop
			exit 1
		fi
		sleep 0.1; i=$((i + 1))
	done
	echo
	echo "Audio Transcription API: http://127.0.0.1:$port/"
	echo "  health:  curl http://127.0.0.1:$port/health"
	echo "  live:    http://127.0.0.1:$port/live/ (Socket.IO at /socket.io/)"
	if [ "$(id -u)" = 0 ]; then asu="runuser -u $user -- "; else asu=; fi
	echo "  keys:    ${asu}env APP_CONFIG=$conf $build/tools/trapi-admin create-key admin@localhost"
	echo "  logs:    $var/log/"
	echo "  stop:    Ctrl-C here, or 'make stop'"
	wait "$lpid" || true
	stop
}

case ${1:-} in
start) start ;;
stop) stop ;;
*) echo "usage: run.sh start [port] | run.sh stop" >&2; exit 2 ;;
esac
