#!/bin/sh
# Fills in the web server configuration templates of httpd-conf/ with
# paths, port and user, and generates one route per program from
# httpd-conf/routes.
#
# usage: mkconf.sh -o outdir -c cgidir -s statedir -f appconfig
#                  [-p port] [-b bind] [-u user] [-m bodymax] [-r routes]
#                  [-e trapi-errors] [-d installed-confdir]
#                  [-w ws-bridge-port] [-W caption-page-dir]
#
# -d names where the files will be read from when that differs from -o
# (make install); -e is the tool that writes the static error bodies.
# -m is the web server's body limit; by default the app config's
# MAX_UPLOAD_BYTES (536870912 if it sets none) and a MiB more, so that
# the program, not the web server, answers an upload over the limit.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
out= cgidir= statedir= appconfig= port=8080 bind=127.0.0.1 user= bodymax=
routes=$top/httpd-conf/routes errtool=$top/build/tools/trapi-errors instdir=
wsport=8090 wwwdir=$top/build/www
while getopts o:c:s:f:p:b:u:m:r:e:d:w:W: opt; do
	case $opt in
	o) out=$OPTARG ;;
	c) cgidir=$OPTARG ;;
	s) statedir=$OPTARG ;;
	f) appconfig=$OPTARG ;;
	p) port=$OPTARG ;;
	b) bind=$OPTARG ;;
	u) user=$OPTARG ;;
	m) bodymax=$OPTARG ;;
	r) routes=$OPTARG ;;
	e) errtool=$OPTARG ;;
	d) instdir=$OPTARG ;;
	w) wsport=$OPTARG ;;
	W) wwwdir=$OPTARG ;;
	*) echo "usage: mkconf.sh -o dir -c cgidir -s statedir -f appconfig [-p port] [-b bind] [-u user] [-m bodymax]" >&2; exit 2 ;;
	esac
done
[ -n "$out" ] && [ -n "$cgidir" ] && [ -n "$statedir" ] && [ -n "$appconfig" ] || {
	echo "mkconf.sh: -o, -c, -s and -f are required" >&2; exit 2; }
if [ -z "$bodymax" ]; then
	bodymax=536870912
	if [ -r "$appconfig" ]; then
		v=$(sed -n 's/^[[:space:]]*MAX_UPLOAD_BYTES[[:space:]]*=[[:space:]]*["'"'"']\{0,1\}\([0-9][0-9]*\)["'"'"']\{0,1\}[[:space:]]*$/\1/p' \
		    "$appconfig" | tail -n 1)
		[ -n "$v" ] && bodymax=$v
	fi
	bodymax=$((bodymax + 1048576))
fi
mkdir -p "$out/errors"
confdir=${instdir:-$(cd "$out" && pwd)}
"$errtool" "$out/errors"

# Each template is read by awk: a line that is only @NAME@ becomes a
# generated block, and @VAR@ anywhere else is replaced by its value.
fill() {
	awk -F'\t' -v cgidir="$cgidir" -v statedir="$statedir" \
	    -v appconfig="$appconfig" -v port="$port" -v bind="$bind" \
	    -v user="$user" -v bodymax="$bodymax" -v confdir="$confdir" \
	    -v routes="$routes" -v kind="$2" -v wsport="$wsport" \
	    -v wwwdir="$wwwdir" \
	    -v confdir_out="$out" '
	function subst(s) {
		gsub(/@CGIDIR@/, cgidir, s); gsub(/@STATEDIR@/, statedir, s)
		gsub(/@CONFIG@/, appconfig, s); gsub(/@PORT@/, port, s)
		gsub(/@BIND@/, bind, s); gsub(/@CONFDIR@/, confdir, s)
		gsub(/@BODYMAX@/, bodymax, s)
		gsub(/@WSPORT@/, wsport, s); gsub(/@WWWDIR@/, wwwdir, s)
		gsub(/@BODYMAX_KB@/, int(bodymax / 1024), s)
		return s
	}
	function eachroute(what,   line, f, n) {
		while ((getline line < routes) > 0) {
			if (line ~ /^#/ || line ~ /^[ \t]*$/) continue
			n = split(line, f, "\t")
			if (n < 7) continue
			emit(what, f[1], f[2], f[5], f[6])
		}
		close(routes)
	}
	function emit(what, prog, path, lo, hi,   prefix) {
		# "/x/*" routes the prefix "/x/": lighttpd by prefix, Apache
		# by a pattern that needs something after it; the program
		# decides what it serves there.
		prefix = path
		sub(/\*$/, "", prefix)
		if (what == "LIGHTTPD_ROUTES") {
			path = prefix
			printf "\t\"%s\" => ((\n", path
			printf "\t\t\"bin-path\" => \"%s/%s\",\n", cgidir, prog
			printf "\t\t\"socket\" => \"%s/run/fcgi-%s.sock\",\n", statedir, prog
			printf "\t\t\"check-local\" => \"disable\",\n"
			# One process that forks the others: their
			# libraries shared (serve.c, supervise()).
			printf "\t\t\"max-procs\" => 1,\n"
			printf "\t\t\"bin-environment\" => ( \"APP_CONFIG\" => \"%s\",\n", appconfig
			printf "\t\t\t\"TRAPI_FCGI_CHILDREN\" => \"%d\" ),\n", hi
			printf "\t)),\n"
		} else if (what == "APACHE_ALIASES") {
			if (path == "/")
				printf "ScriptAliasMatch \"^/\" \"%s/%s\"\n", cgidir, prog
			else if (prefix != path)
				printf "ScriptAliasMatch \"^%s.+$\" \"%s/%s\"\n", prefix, cgidir, prog
			else
				printf "ScriptAlias \"%s\" \"%s/%s\"\n", path, cgidir, prog
		} else if (what == "APACHE_FCGID_OPTIONS") {
			printf "FcgidCmdOptions \"%s/%s\" MinProcesses %d MaxProcesses %d InitialEnv \"APP_CONFIG=%s\"\n", cgidir, prog, lo, hi, appconfig
		}
	}
	/^@(LIGHTTPD_ROUTES|APACHE_ALIASES|APACHE_FCGID_OPTIONS)@$/ {
		eachroute(substr($0, 2, length($0) - 2)); next
	}
	/^@APACHE_ERRORDOCS@$/ {
		cmd = "ls \"" confdir_out "/errors\""
		while ((cmd | getline f) > 0) {
			sub(/\.json$/, "", f)
			printf "ErrorDocument %s /__errors/%s.json\n", f, f
		}
		close(cmd)
		next
	}
	/^@USERLINES@$/ {
		if (user == "") next
		if (kind == "lighttpd")
			printf "server.username = \"%s\"\nserver.groupname = \"%s\"\n", user, user
		else
			printf "User %s\nGroup %s\n", user, user
		next
	}
	{ print subst($0) }
	' "$top/httpd-conf/$1.in" > "$out/$1"
}

fill lighttpd.conf lighttpd
fill lighttpd-trapi.conf lighttpd
fill lighttpd-ws.conf lighttpd
fill apache.conf apache
fill apache-ws.conf apache
fill apache-fcgid.conf apache
fill apache-cgi.conf apache
