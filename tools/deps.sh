#!/bin/sh
# Installs the Debian packages the build, the service and the tests need,
# if any is missing, and the unprivileged service user.
set -eu

pkgs="build-essential pkg-config libfcgi-dev libpq-dev libjson-c-dev
libssl-dev libcurl4-openssl-dev postgresql lighttpd apache2
libapache2-mod-fcgid python3-pytest python3-pytest-xdist python3-requests acl valgrind clang
curl libpocketsphinx-dev libsphinxbase-dev pocketsphinx-en-us ffmpeg flite
sox libavformat-dev libavcodec-dev libavutil-dev wrk chromium libwebsockets-dev
python3-socketio python3-websocket python3-websockets
apertium apertium-eng-spa apertium-spa-ita apertium-es-pt apertium-fr-es
libzip-dev libhpdf-dev libxlsxwriter-dev fonts-dejavu-core
python3-docx python3-openpyxl poppler-utils
libreoffice-writer-nogui libreoffice-calc-nogui
yt-dlp python3-prometheus-client python3-jsonschema python3-cryptography
python3-flask-socketio python3-eventlet"

missing=
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
	    missing="$missing $p"
done
if [ -n "$missing" ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "deps: missing packages:$missing" >&2
		echo "deps: run as root: apt-get install$missing" >&2
		exit 1
	fi
	echo "deps: installing$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	# The packages' own services are not wanted: the project starts
	# its own instances.
	apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi
# The tests drive official client libraries from npm with Node.js.
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
	if [ "$(id -u)" != 0 ]; then
		echo "deps: run as root: apt-get install nodejs npm" >&2
		exit 1
	fi
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
fi
if [ "$(id -u)" = 0 ] && ! id trapi >/dev/null 2>&1; then
	useradd --system --user-group --home-dir /nonexistent \
	    --shell /usr/sbin/nologin trapi
fi
exit 0
