#!/bin/sh
# Sentences per second of the local sentiment engine, in one process:
#   sh tests/bench/sentiment.sh      (after make; BUILD=build by default)
set -e
cd "$(dirname "$0")/../.."
build=${BUILD:-build}
out=$(mktemp "${TMPDIR:-/tmp}/senti-bench.XXXXXX")
trap 'rm -f "$out"' EXIT
cc -O2 -std=gnu11 -D_GNU_SOURCE -Ilib $(pkg-config --cflags json-c libpq) \
    -o "$out" tests/bench/sentiment.c "$build/libtr.a" \
    $(pkg-config --libs fcgi libpq json-c libcrypto libcurl libavformat \
    libavcodec libavutil pocketsphinx sphinxbase) -lcrypt -lm
"$out" "$@"
