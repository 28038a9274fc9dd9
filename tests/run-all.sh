#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# tests/run-all.sh [check|test]
#
# make test (default): the host tests, the VM suite on each kernel of the
# matrix (Debian 12's userland on 6.1 and 6.12), each release of the
# distribution matrix (Debian 13's userland built in its chroot: the host
# tests there, the VM suite on its own kernel, tests/distro.sh) and Debian 12
# booted with systemd as PID 1 (tests/vm/systemd-suite.sh), and there the
# DaemonSet's pod under podman (tests/vm/container-suite.sh).
# make check: the unit tests, the host tests and the VM suite on 6.1 (with
# the plain build: the ASan build runs in the host tests).
#
# The jobs run side by side, in their order, at most JOBS (3) at a time and
# at most VMS (2) of them VMs (one vCPU each): the host tests beside two
# VMs. A VM suite is split in VM_SPLIT (2) VMs by its tests' measured
# seconds (tests/vm/times), longest first into the VM with the least so
# far, so that both end together. Each job writes its own log;
# the logs are printed whole, one after another in a fixed order, each as
# soon as it and those before it are done; the last line adds all up:
# "N passed, N failed".
#
# Environment:
#   KERNELS     what runs in VMs: 6.1, 6.12, trixie, sid, systemd, container
#               (the DaemonSet's pod, tests/vm/container-suite.sh) (check:
#               "6.1", test: "container 6.1 6.12 trixie systemd")
#   VM_TESTS    suites or tests for the VM suites (e.g. "vm_chain vm_fate"),
#               split as the whole suite is
#   VM_SPLIT    VMs per VM suite (2)
#   VM_TIMES    the measured seconds per VM test (tests/vm/times)
#   XDPCHAIN_ASAN_KERNELS  the VM suites that run the ASan build (test:
#               6.1, check: none; the others run the plain build,
#               tests/vm/suite.sh)
#   HOST_TESTS  suites or tests for the host tests; "none" skips them (and
#               the host tests in a release's chroot)
#   JOBS, VMS   jobs at a time (3), of them VMs (2)
#   XDPCHAIN_TALLY  a file that gets the last line too (.ci/run)
#   RUN_ALL_LIST=1  print the jobs and their commands, run nothing
set -uo pipefail

# One block, read whole before it runs: editing this file during a run (an
# hour long) cannot change what the run does next.
{
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
tier=${1:-test}
case "$tier" in
check)
	KERNELS=${KERNELS-6.1}
	# the quick tier's VM suite runs the plain build (ASan: host tests)
	export XDPCHAIN_ASAN_KERNELS=${XDPCHAIN_ASAN_KERNELS-}
	;;
test) KERNELS=${KERNELS-container 6.1 6.12 trixie systemd} ;;
*)
	echo "usage: tests/run-all.sh [check|test]" >&2
	exit 2
	;;
esac
JOBS=${JOBS:-3}
VMS=${VMS:-2}
VM_TESTS=${VM_TESTS:-}
HOST_TESTS=${HOST_TESTS:-}
# each VM suite in VM_SPLIT VMs, its tests shared out by the seconds they
# took as measured (tests/vm/times; a test it lacks counts the mean of
# those it has, VM_DEFAULT_SECS when it has none)
VM_SPLIT=${VM_SPLIT:-2}
VM_TIMES=${VM_TIMES:-$ROOT/tests/vm/times}
VM_DEFAULT_SECS=${VM_DEFAULT_SECS:-20}
[ -f "$VM_TIMES" ] || VM_TIMES=/dev/null

logdir=$(mktemp -d "${TMPDIR:-/tmp}/xdpchain-run-all.XXXXXX")
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do
		[ -n "$p" ] && kill -- -"$p" 2>/dev/null
	done
	rm -rf "$logdir"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---- the jobs, in the order they start and print --------------------------------
names=() cmds=() is_vm=()
job() { # job NAME COMMAND...: COMMAND's words, run from the repo
	names+=("$1")
	shift
	if [[ $* == *tests/vm/* ]]; then is_vm+=(1); else is_vm+=(0); fi
	cmds+=("$(printf '%q ' "$@")")
}

vm_names() { # vm_names WORD...: the tests (no test_) of suites (vm_chain) and tests
	local w
	for w in "$@"; do
		if [ -f "$ROOT/tests/$w.sh" ]; then
			# shellcheck disable=SC2016 # expanded by the inner bash
			bash -c 'source "$1/tests/lib.sh"; source "$1/tests/$2.sh"; declare -F' _ "$ROOT" "$w" |
				awk '$3 ~ /^test_/ {print substr($3, 6)}'
		else
			echo "${w#test_}"
		fi
	done
}

# vm_split N < "NAME SECONDS" lines: "GROUP NAME SECONDS" lines, the
# longest test first into the group with the least time so far: N VMs that
# end together. Groups are numbered 1..N.
vm_split() {
	sort -k2,2nr -k1,1 | awk -v n="$1" '
		{ g = 1; for (i = 2; i <= n; i++) if (load[i] < load[g]) g = i
		  load[g] += $2; print g, $1, $2 }'
}

vm_groups() { # vm_groups KIND KERNEL: the suite on KERNEL in VM_SPLIT VMs
	local kind=$1 k=$2 sel g n list secs
	if [ -n "$VM_TESTS" ]; then
		read -ra sel <<<"$VM_TESTS"
	else
		sel=("$ROOT"/tests/vm_*.sh)
		sel=("${sel[@]##*/}")
		sel=("${sel[@]%.sh}")
	fi
	local -a lists=() loads=()
	while read -r g n secs; do
		lists[g]+=" $n"
		loads[g]=$((${loads[g]:-0} + secs))
	done < <(vm_names "${sel[@]}" | awk -v d="$VM_DEFAULT_SECS" '
		FILENAME != "-" { if ($1 !~ /^#/ && NF == 2) { t[$1] = $2; s += $2; n++ }; next }
		{ print $1, ($1 in t) ? int(t[$1] + 0.5) : n ? int(s / n + 0.5) : d }' "$VM_TIMES" - |
		vm_split "$VM_SPLIT")
	n=${#lists[@]}
	for g in "${!lists[@]}"; do
		read -ra list <<<"${lists[g]}"
		if [ "$n" -eq 1 ]; then
			job "$kind $k: ${sel[*]}" bash tests/vm/suite.sh "$k" "${list[@]}"
		else
			job "$kind $k ($g/$n: ${#list[@]} test(s), ~${loads[g]} s by tests/vm/times)" \
				bash tests/vm/suite.sh "$k" "${list[@]}"
		fi
	done
}

[ "$tier" = check ] && job "unit tests" "$ROOT/.output/bin/unit-tests"
if [ "$HOST_TESTS" != none ]; then
	# shellcheck disable=SC2086 # words, on purpose
	job "host tests ($(uname -r))" bash tests/run.sh --host $HOST_TESTS
fi
for k in $KERNELS; do # the releases first: their chroot build starts early
	case "$k" in
	trixie | sid)
		if [ "$HOST_TESTS" != none ]; then
			# shellcheck disable=SC2086 # words, on purpose
			job "Debian $k: host tests in its chroot" bash tests/distro.sh "$k" --host $HOST_TESTS
		fi
		;;
	esac
done
for k in $KERNELS; do
	case "$k" in
	trixie | sid) vm_groups "VM suite, Debian" "$k" ;;
	systemd) job "systemd boot (Debian 12, 6.1)" bash tests/vm/systemd-suite.sh 6.1 ;;
	# the longest job (images built on the host, then podman in the VM): first
	container) job "DaemonSet pod under podman (Debian 12 systemd, 6.1)" bash tests/vm/container-suite.sh 6.1 ;;
	*) vm_groups "VM suite" "$k" ;;
	esac
done

if [ -n "${RUN_ALL_LIST:-}" ]; then # the jobs, not run
	for i in "${!names[@]}"; do printf '%s\n\t%s\n' "${names[i]}" "${cmds[i]}"; done
	exit 0
fi

# ---- run them -----------------------------------------------------------------------
total_pass=0 total_fail=0 rc=0
tally() { # tally LOG: add its closing "N passed, N failed" line; none is a failure
	local line
	line=$(grep -aE '^[0-9]+ passed, [0-9]+ failed' "$1" | tail -1)
	if [ -z "$line" ]; then
		total_fail=$((total_fail + 1))
		return
	fi
	total_pass=$((total_pass + $(echo "$line" | awk '{print $1}')))
	total_fail=$((total_fail + $(echo "$line" | awk '{print $3}')))
}

njobs=${#names[@]}
declare -A slot_of=() # pid -> job index
start=() done_rc=()
next=0 printed=0 running=0 running_vms=0
t0=$(date +%s)
launch() {
	local i=$next
	start[i]=$(date +%s)
	# a process group of its own: cleanup kills the job's VMs too
	# times: the CPU seconds of the job's processes (qemu's included), which
	# the machine's other load does not stretch as it stretches wall time
	setsid bash -c "cd $(printf '%q' "$ROOT") && ${cmds[i]}
		rc=\$?; times >$(printf '%q' "$logdir/$i.times"); exit \$rc" </dev/null \
		>"$logdir/$i.log" 2>&1 &
	pids[i]=$!
	slot_of[$!]=$i
	next=$((next + 1))
	running=$((running + 1))
	running_vms=$((running_vms + is_vm[i]))
}
can_launch() { # the next job, in order, fits
	[ $next -lt "$njobs" ] && [ $running -lt "$JOBS" ] &&
		{ [ "${is_vm[next]}" = 0 ] || [ $running_vms -lt "$VMS" ]; }
}
print_ready() { # the logs of finished jobs, in order, none skipped
	local i
	while [ $printed -lt "$njobs" ] && [ -n "${done_rc[printed]:-}" ]; do
		i=$printed
		echo "== ${names[i]}"
		cat "$logdir/$i.log"
		tally "$logdir/$i.log"
		echo "== ${names[i]}: took ${done_rc[i]#* } s (started at +$((start[i] - t0)) s)"
		printed=$((printed + 1))
	done
}

echo "run-all $tier: $njobs jobs, $JOBS at a time ($VMS VMs); logs in fixed order as they end"
while [ $printed -lt "$njobs" ]; do
	while can_launch; do launch; done
	pid=
	wait -n -p pid
	jrc=$?
	if [ -z "$pid" ]; then # a signal, or no job left (cannot be)
		[ $running -gt 0 ] || break
		continue
	fi
	i=${slot_of[$pid]}
	pids[i]=
	running=$((running - 1))
	running_vms=$((running_vms - is_vm[i]))
	[ $jrc -eq 0 ] || rc=1
	done_rc[i]="$jrc $(($(date +%s) - start[i]))"
	print_ready
done
cpu_secs() { # cpu_secs TIMES: user + system seconds of the job's children
	tail -1 "$1" 2>/dev/null | awk '{
		s = 0
		for (i = 1; i <= 2; i++) { split($i, t, /[ms]/); s += t[1] * 60 + t[2] }
		printf "%d", s + 0.5 }'
}
echo "run-all $tier took $(($(date +%s) - t0)) s; each job: wall s, CPU s, started at +s:"
cpu_total=0
for i in "${!names[@]}"; do
	cpu=$(cpu_secs "$logdir/$i.times")
	cpu_total=$((cpu_total + ${cpu:-0}))
	echo "  ${done_rc[i]#* } ${cpu:-?} +$((start[i] - t0)) ${names[i]}"
done
echo "CPU of all jobs: $cpu_total s, $((cpu_total / $(nproc))) s on $(nproc) CPUs"
echo "$total_pass passed, $total_fail failed"
# .ci/run says it again when make's error line follows
[ -z "${XDPCHAIN_TALLY:-}" ] || echo "$total_pass passed, $total_fail failed" >"$XDPCHAIN_TALLY"
[ $rc -eq 0 ] && [ $total_fail -eq 0 ]
exit
}
