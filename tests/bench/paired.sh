#!/bin/sh
# Ours and the Flask reference in alternation, one load.sh run of each
# per round and concurrency, so that a host whose speed drifts from one
# minute to the next (another tenant's load, steal time) slows both of a
# pair alike: the ratio of each pair is the figure, and the median of
# the rounds' ratios the one to report.  Both services up at once, idle
# while the other is measured (tests/bench/README says how).
#
# usage: paired.sh BENCH OURS_URL OURS_KEY [REF_URL REF_KEY]
#   BENCH    the copy of the shared bench folder (its load.sh is used)
#   ROUNDS=3 CONCURRENCY="1 8 64" SCENARIO=deepgram DURATION=10s
set -eu

bench=$1 ours=$2 key=$3
ref=${4:-http://127.0.0.1:18000}
refkey=${5:-atk_bench_0123456789abcdef0123456789abcdef}
rounds=${ROUNDS:-3}
out=$(mktemp -d /tmp/paired.XXXXXX)

# One measured run: "req/s p50 p99" of load.sh's table row.
one() {	# url key conns
	REPEAT=1 WARMUP=0 PAUSE=1 CONCURRENCY=$3 SCENARIOS=${SCENARIO:-deepgram} \
	    "$bench/load.sh" "$1" "$2" 2>&1 |
	    awk -F'|' '/^\| \// { gsub(/ /, ""); print $6, $8, $9 }'
}

# A warm-up of each, untimed.
one "$ours" "$key" 8 >/dev/null || true
one "$ref" "$refkey" 8 >/dev/null || true

for c in ${CONCURRENCY:-1 8 64}; do
	r=1
	while [ "$r" -le "$rounds" ]; do
		set -- $(one "$ours" "$key" "$c") $(one "$ref" "$refkey" "$c")
		[ $# -eq 6 ] || { echo "paired.sh: a run gave no figures" >&2; exit 1; }
		echo "$c $r $*" | tee -a "$out/runs"
		r=$((r + 1))
	done
done >&2

# c, the medians of ours and of the reference, and of the pairs' ratios.
echo "| conns | ours req/s | ref req/s | ratio (median of pairs) | ratios | ours p50/p99 ms | ref p50/p99 ms |"
echo "|---:|---:|---:|---:|---|---|---|"
awk '
function med(s,   a, n, i, j, t) {
	n = split(s, a, " ")
	for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++)
		if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
	return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
{
	c = $1
	if (!(c in seen)) { order[++nc] = c; seen[c] = 1 }
	o[c] = o[c] " " $3; f[c] = f[c] " " $6
	q[c] = q[c] " " sprintf("%.2f", $3 / $6)
	op50[c] = op50[c] " " $4; op99[c] = op99[c] " " $5
	fp50[c] = fp50[c] " " $7; fp99[c] = fp99[c] " " $8
}
END {
	for (i = 1; i <= nc; i++) {
		c = order[i]
		printf "| %s | %.1f | %.1f | **%.2fx** | %s | %s / %s | %s / %s |\n", c,
		    med(o[c]), med(f[c]), med(q[c]), substr(q[c], 2),
		    med(op50[c]), med(op99[c]), med(fp50[c]), med(fp99[c])
	}
}' "$out/runs"
rm -rf "$out"
