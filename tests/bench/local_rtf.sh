#!/bin/sh
# Real-time factor of the local engine: a 60 s flite clip through
# POST /transcriptions/deepgram with provider=local, run as plain CGI so
# that only our program is timed (model load, ffmpeg decode, decoding).
# No database is needed: rate limits and quotas let the call through
# and the usage row is spooled to a temporary directory.
#
# usage: sh tests/bench/local_rtf.sh [build-dir]
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$top/build}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
t="Four score and seven years ago our fathers brought forth on this continent a new nation conceived in liberty and dedicated to the proposition that all men are created equal."
flite -voice slt -t "$t $t $t $t $t $t $t" -o "$tmp/clip.wav"
sox "$tmp/clip.wav" "$tmp/60.wav" trim 0 60
b=BenchBoundary
{
	printf -- "--$b\r\nContent-Disposition: form-data; name=\"audio\"; filename=\"60.wav\"\r\nContent-Type: audio/wav\r\n\r\n"
	cat "$tmp/60.wav"
	printf -- "\r\n--$b\r\nContent-Disposition: form-data; name=\"provider\"\r\n\r\nlocal\r\n--$b--\r\n"
} > "$tmp/body"
echo "API_KEY=bench" > "$tmp/conf"
mkdir "$tmp/up" "$tmp/spool"
for i in 1 2 3; do
	start=$(date +%s.%N)
	env APP_CONFIG="$tmp/conf" DATABASE_URL=postgresql://127.0.0.1:1/none \
	    DB_CONNECT_TIMEOUT=1 UPLOAD_DIR="$tmp/up" USAGE_SPOOL_DIR="$tmp/spool" \
	    REQUEST_METHOD=POST REQUEST_URI=/transcriptions/deepgram \
	    CONTENT_TYPE="multipart/form-data; boundary=$b" \
	    CONTENT_LENGTH=$(stat -c %s "$tmp/body") HTTP_X_API_KEY=bench \
	    "$build/cgi-bin/transcriptions_deepgram" < "$tmp/body" \
	    > "$tmp/out" 2>/dev/null
	end=$(date +%s.%N)
	head -c 12 "$tmp/out" | grep -q "Status: 200" || { echo "bench: request failed" >&2; exit 1; }
	awk -v s="$start" -v e="$end" -v i="$i" \
	    'BEGIN { printf "run %d: %.2f s for 60 s of audio, real-time factor %.3f\n", i, e - s, (e - s) / 60 }'
done
