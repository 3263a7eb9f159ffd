#!/bin/sh
#
# Runs unit test programs: sh tests/unit/run.sh [--valgrind] prog...
# Prints "ok   name", "skip name" (a program that exits 77 when a tool
# it needs is missing: see T_NEED in t.h, which fails instead under CI)
# or "FAIL name" (then the program's output) for each, and "N passed,
# M failed, K skipped" at the end; exits 1 if any failed.

dir=$(dirname "$0")
vg=
if [ "$1" = "--valgrind" ]; then
	shift
	if ! command -v valgrind >/dev/null 2>&1; then
		echo "run.sh: valgrind not found" >&2
		exit 2
	fi
	vg="valgrind --leak-check=full --error-exitcode=99"
	vg="$vg --errors-for-leak-kinds=definite,indirect"
	vg="$vg --suppressions=$dir/valgrind.supp -q"
fi

out=$(mktemp "${TMPDIR:-/tmp}/unit.XXXXXX") || exit 2
trap 'rm -f "$out"' EXIT
trap 'exit 130' INT TERM

pass=0
fail=0
skip=0
for prog in "$@"; do
	name=$(basename "$prog")
	$vg "$prog" >"$out" 2>&1
	rc=$?
	if [ "$rc" -eq 0 ]; then
		echo "ok   $name"
		pass=$((pass + 1))
	elif [ "$rc" -eq 77 ]; then
		echo "skip $name"
		sed 's/^/	/' "$out"
		skip=$((skip + 1))
	else
		echo "FAIL $name"
		sed 's/^/	/' "$out"
		echo "	exit status $rc"
		fail=$((fail + 1))
	fi
done
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
