#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# make test: the host tests, then the VM suite on each kernel of the matrix,
# and one closing line "N passed, N failed" adding them all up.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
KERNELS=${KERNELS:-6.1 6.12}
total_pass=0 total_fail=0 rc=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT

tally() {
	local line
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -1)
	if [ -z "$line" ]; then
		total_fail=$((total_fail + 1))
		return
	fi
	total_pass=$((total_pass + $(echo "$line" | awk '{print $1}')))
	total_fail=$((total_fail + $(echo "$line" | awk '{print $3}')))
}

echo "== host tests ($(uname -r))"
bash "$ROOT/tests/run.sh" --host | tee "$log" || rc=1
tally
for k in $KERNELS; do
	bash "$ROOT/tests/vm/suite.sh" "$k" | tee "$log" || rc=1
	tally
done
echo "all: $total_pass passed, $total_fail failed"
[ $rc -eq 0 ] && [ $total_fail -eq 0 ]
