#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# tests/funclen.sh [MAX] [DIR]
#
# Lists every function in DIR/*/*.c (default: src) longer than MAX lines
# (default 80), counted from its opening brace to its closing one, as
# "FILE:LINE NAME: N lines", and exits 1 when there is one. The code is
# clang-formatted (make check-format): a function's braces stand alone in
# column 0, its name on the last column-0 line with a "(" before them.
set -uo pipefail
max=${1:-80}
dir=${2:-src}
bad=0
for f in "$dir"/*/*.c; do
	[ -e "$f" ] || continue
	awk -v max="$max" -v file="$f" '
		/^[A-Za-z_].*\(/ { name = $0; at = NR }
		/^\{$/ { start = NR }
		/^\}/ && start {
			n = NR - start + 1
			if (n > max) {
				sub(/\(.*/, "", name)
				sub(/.*[ *]/, "", name)
				printf "%s:%d %s: %d lines\n", file, at, name, n
				found = 1
			}
			start = 0
		}
		END { exit found }' "$f" || bad=1
done
exit $bad
