#!/bin/sh
# A private PostgreSQL cluster in a directory of its own, for "make run"
# and the tests.  PostgreSQL refuses to run as root, so as root the
# cluster belongs to an unprivileged user (-u).
#
# usage: pg.sh init DATADIR [-u user] [-t]   (-t: trust TCP on loopback, tests only)
#        pg.sh start DATADIR SOCKDIR [PORT] [-u user]
#        pg.sh stop DATADIR [-u user]
#        pg.sh crash DATADIR [-u user]           (stop as a crash would: tests)
set -eu

cmd=$1 data=$2
shift 2
sockdir= port= user= hostauth=scram-sha-256
while [ $# -gt 0 ]; do
	case $1 in
	-u) user=$2; shift 2 ;;
	-t) hostauth=trust; shift ;;
	*) if [ -z "$sockdir" ] && [ "$cmd" = start ]; then sockdir=$1; else port=$1; fi; shift ;;
	esac
done

bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -n "$bindir" ] || { echo "pg.sh: PostgreSQL server binaries not found" >&2; exit 1; }

as() {
	if [ "$(id -u)" = 0 ] && [ -n "$user" ]; then
		runuser -u "$user" -- "$@"
	else
		"$@"
	fi
}

case $cmd in
init)
	[ -f "$data/PG_VERSION" ] && exit 0
	mkdir -p "$data"
	[ "$(id -u)" = 0 ] && [ -n "$user" ] && chown "$user" "$data"
	chmod 700 "$data"
	# Local connections only, authenticated by the peer's user id.
	as "$bindir/initdb" -D "$data" -U "${user:-$(id -un)}" -E UTF8 \
	    --locale=C --auth-local=peer --auth-host=$hostauth >/dev/null
	;;
start)
	mkdir -p "$sockdir"
	[ "$(id -u)" = 0 ] && [ -n "$user" ] && chown "$user" "$sockdir"
	if [ -n "$port" ]; then listen="-c listen_addresses=127.0.0.1 -p $port"
	else listen="-c listen_addresses="; fi
	as "$bindir/pg_ctl" -D "$data" -l "$data/server.log" -w -t 60 \
	    -o "-k $sockdir $listen -c fsync=${PG_FSYNC:-on}" start >/dev/null
	;;
stop)
	[ -f "$data/postmaster.pid" ] || exit 0
	as "$bindir/pg_ctl" -D "$data" -m fast -w stop >/dev/null
	;;
crash)
	[ -f "$data/postmaster.pid" ] || exit 0
	as "$bindir/pg_ctl" -D "$data" -m immediate -w stop >/dev/null
	;;
*)
	echo "usage: pg.sh init|start|stop|crash DATADIR ..." >&2
	exit 2
	;;
esac
