#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# tests/layers.sh upward|circle [--modules] [SRC]
#
# Reads every #include "..." in SRC/*/*.[ch] (default: src) and checks the
# layers (tests/host_layers.sh runs it on src/ and on planted trees):
#   upward  no file includes a header of a layer above its own; ranks
#           base < kern < chain, capture < replay < cli, and chain and capture are
#           siblings: neither may include the other
#   circle  no circle in the include graph between files (a header that,
#           through others, includes itself); with --modules between
#           modules, a module being a .c and its .h (capture.c -> chain.h
#           and chain.c -> capture.h is such a circle); host_layers runs
#           both
# Prints one line per offence and exits 1 when there is one; a header
# found in no folder of SRC (a skeleton, dispatcher/*.h) is not ours.
set -uo pipefail

mode=${1:-}
modules=0
if [ "${2:-}" = --modules ]; then
	modules=1
	shift
fi
src=${2:-src}
case "$mode" in
upward | circle) ;;
*)
	echo "usage: $0 upward|circle [--modules] [SRC]" >&2
	exit 2
	;;
esac

declare -A RANK=([base]=0 [kern]=1 [chain]=2 [capture]=2 [replay]=3 [cli]=4)

# "FROM TO" for each include that names a header in SRC, paths as
# SRC/layer/file: in the includer's own folder first, then in any layer's
# (a name found in two layers is an offence of its own: AMBIGUOUS).
edges() {
	local f dir inc cands
	for f in "$src"/*/*.[ch]; do
		[ -e "$f" ] || continue
		dir=${f%/*}
		while IFS= read -r inc; do
			if [[ $inc == */* ]]; then
				continue # ../../dispatcher/stats.h: outside the layers
			elif [ -e "$dir/$inc" ]; then
				echo "$f $dir/$inc"
				continue
			fi
			cands=("$src"/*/"$inc")
			[ -e "${cands[0]}" ] || continue # a skeleton, a system header
			if [ ${#cands[@]} -gt 1 ]; then
				echo "AMBIGUOUS $f $inc"
			else
				echo "$f ${cands[0]}"
			fi
		done < <(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$f")
	done
}

check_upward() {
	local from to lf lt bad=0
	while read -r from to; do
		if [ "$from" = AMBIGUOUS ]; then
			echo "$to: names headers in two layers"
			bad=1
			continue
		fi
		lf=${from#"$src"/}
		lf=${lf%%/*}
		lt=${to#"$src"/}
		lt=${lt%%/*}
		[ "$lf" = "$lt" ] && continue
		if [ -z "${RANK[$lf]:-}" ] || [ -z "${RANK[$lt]:-}" ]; then
			echo "$from includes $to: $lf or $lt is no layer (base kern chain capture replay cli)"
			bad=1
		elif [ "${RANK[$lt]}" -ge "${RANK[$lf]}" ]; then
			echo "$from includes $to: $lf may not include $lt (base < kern < chain, capture < replay < cli)"
			bad=1
		fi
	done < <(edges)
	return $bad
}

# File edges (or module edges: a.c and a.h -> b), then a depth-first search;
# every edge back onto the search's path closes a circle, printed from
# where it starts.
declare -A next=() state=()
stack=()
found=0

visit() {
	local m=$1 n i c
	state[$m]=1
	stack+=("$m")
	for n in ${next[$m]:-}; do
		case "${state[$n]:-0}" in
		0) visit "$n" ;;
		1)
			c=
			for ((i = ${#stack[@]} - 1; i >= 0; i--)); do
				c="${stack[i]} -> $c"
				[ "${stack[i]}" = "$n" ] && break
			done
			echo "include circle: $c$n"
			found=1
			;;
		esac
	done
	unset 'stack[${#stack[@]}-1]'
	state[$m]=2
}

check_circle() {
	local from to m
	while read -r from to; do
		[ "$from" = AMBIGUOUS ] && continue
		if [ $modules = 1 ]; then
			from=${from%.[ch]}
			to=${to%.[ch]}
		fi
		[ "$from" = "$to" ] || next[$from]+=" $to"
	done < <(edges)
	for m in $(printf '%s\n' "${!next[@]}" | sort); do
		[ "${state[$m]:-0}" = 0 ] && visit "$m"
	done
	return $found
}

if [ "$mode" = upward ]; then
	check_upward
else
	check_circle
fi
