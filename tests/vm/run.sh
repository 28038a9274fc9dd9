#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# Usage: tests/vm/run.sh [--kernel 6.1|6.12 | --dist trixie|sid] [--out DIR]
#                        [--timeout SEC] [--mem MB] [--smp N] -- COMMAND...
#
# Boots a Debian cloud kernel in qemu (TCG, never KVM) with an initramfs that
# holds the repo payload (tests/ bpf/ .output/ Makefile README.md) under
# /xdpchain (built by tests/vm/image.sh), runs COMMAND there with bash (cwd /xdpchain) and exits with its
# status.  COMMAND is one shell command line (several words are joined with
# spaces, as ssh does).  Its stdout+stderr (a pipe in the guest, as under CI)
# stream live to our stdout on their own serial port (ttyS1); the kernel
# console (ttyS0) is shown only on failure, or live on stderr with VM_DEBUG=1.
# Files the guest writes under /out land in --out DIR afterwards.
#
# --kernel: Debian 12's kernels, with this host's userland and .output.
# --dist: that release's own cloud kernel and userland: the repo is built in
# the release's chroot (tests/vm/build.sh), which also builds the image.
#
# Exit status: COMMAND's; 124 on timeout; 125 if the guest never reported one
# (kernel panic, init failure, ...); 2 on usage errors.
#
# Environment:
#   VM_KERNEL          default for --kernel (6.1)
#   VM_DIST            default for --dist (none)
#   VM_EXTRA_BINS      host executables (names or paths) to add with their libraries
#   VM_EXTRA_FILES     host files/dirs copied to the same path in the guest
#   VM_ENV             NAME or NAME=VALUE words exported to COMMAND in the guest
#   VM_MODULES         extra kernel modules to modprobe at boot (veth always)
#   VM_OUT_SIZE_MB     size of the sparse --out disk (default 1024)
#   VM_SMP             default for --smp (1)
#   VM_CPU             qemu's CPU model (qemu64)
#   VM_QEMU_ARGS       more qemu arguments (words), e.g. "-icount shift=0" for
#                      a guest clock that counts instructions (make bench)
#   VM_ASLR=1          keep the guest's address space randomization (off:
#                      norandmaps, process starts cost a third under TCG)
#   VM_DEBUG=1         kernel console live on stderr (loglevel 7), timing notes
#   VM_IMAGE           the image builder (default tests/vm/image.sh; same
#                      arguments): tests/vm/systemd-image.sh boots systemd
#   XDPCHAIN_VM_CACHE  cache dir (default /var/cache/xdpchain-vm)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
prog=run.sh

usage() {
	sed -n '4,5p' "${BASH_SOURCE[0]}" | sed 's/^#//' >&2
	exit 2
}
die() { echo "$prog: $*" >&2; exit 2; }
debug() { [[ "${VM_DEBUG:-0}" == 1 ]] && echo "$prog: [$(date +%T.%N | cut -c1-12)] $*" >&2 || true; }

kernel=${VM_KERNEL:-6.1}
dist=${VM_DIST:-}
outdir=
tmo=1500
mem=1024
smp=${VM_SMP:-1}
while (($#)); do
	case "$1" in
	--kernel) kernel=${2:?}; shift 2 ;;
	--kernel=*) kernel=${1#*=}; shift ;;
	--dist) dist=${2:?}; shift 2 ;;
	--dist=*) dist=${1#*=}; shift ;;
	--out) outdir=${2:?}; shift 2 ;;
	--out=*) outdir=${1#*=}; shift ;;
	--timeout) tmo=${2:?}; shift 2 ;;
	--timeout=*) tmo=${1#*=}; shift ;;
	--mem) mem=${2:?}; shift 2 ;;
	--mem=*) mem=${1#*=}; shift ;;
	--smp) smp=${2:?}; shift 2 ;;
	--smp=*) smp=${1#*=}; shift ;;
	-h | --help) usage ;;
	--) shift; break ;;
	*) break ;;
	esac
done
(($#)) || usage
cmd="$*"
[[ $tmo =~ ^[0-9]+$ && $mem =~ ^[0-9]+$ && $smp =~ ^[0-9]+$ ]] ||
	die "--timeout, --mem and --smp take integers"

sys_path=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
t_start=$(date +%s.%N)

# a release's userland runs on that release's own kernel
[[ -n $dist ]] && kernel=$dist
kdir=$(bash "$here/kernel.sh" "$kernel")
kver=$(cat "$kdir/kver")
debug "kernel $kver from $kdir"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/xdpchain-vm.XXXXXX")
qpid=
tpids=()
cleanup() {
	local p
	[[ -n $qpid ]] && kill "$qpid" 2>/dev/null || true
	for p in "${tpids[@]}"; do kill "$p" 2>/dev/null || true; done
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

nonce=$(od -An -tx1 -N8 /dev/urandom | tr -d ' \n')
# VM_ENV: NAME words take their value here, where the caller set them
vm_env=
for e in ${VM_ENV:-}; do
	if [[ $e == *=* ]]; then
		vm_env+=" $e"
	elif [[ -n ${!e+x} ]]; then
		vm_env+=" $e=${!e}"
	fi
done
initrd=$tmp/initrd.cpio
image_env=(VM_WANT_OUT="$([[ -n $outdir ]] && echo 1 || echo 0)" VM_ENV="$vm_env"
	VM_EXTRA_BINS="${VM_EXTRA_BINS:-}" VM_EXTRA_FILES="${VM_EXTRA_FILES:-}"
	VM_MODULES="${VM_MODULES:-}" VM_DEBUG="${VM_DEBUG:-0}")
if [[ -n $dist ]]; then
	# the image from inside the release's chroot, from the repo copy built there
	bdir=$(bash "$here/build.sh" "$dist")
	binds="$kdir $tmp $(readlink -f "$kdir/busybox")"
	for f in ${VM_EXTRA_FILES:-}; do binds+=" $(readlink -f "$f")"; done
	CHROOT_BINDS=$binds bash "$here/chroot.sh" "$dist" -- env "${image_env[@]}" \
		bash "$bdir/tests/vm/image.sh" "$kdir" "$nonce" "$initrd" -- "$cmd"
else
	env "${image_env[@]}" bash "${VM_IMAGE:-$here/image.sh}" "$kdir" "$nonce" "$initrd" -- "$cmd"
fi

# ---- boot ----------------------------------------------------------------------------
if [[ -s $kdir/vmlinux ]]; then
	kimg=$kdir/vmlinux # PVH entry: skips the decompressor and the real-mode setup
else
	kimg=$kdir/vmlinuz
fi
append="console=ttyS0,115200 panic=-1 cryptomgr.notests random.trust_cpu=on"
append+=" rdinit=/init 8250.nr_uarts=2 mitigations=off"
# a loaded host can starve the early timer check: "IO-APIC + timer doesn't
# work", a panic before init (seen with nine VMs on two cores)
append+=" no_timer_check"
# No address space randomization: qemu 7.2's TCG keys a translated block by
# its virtual address, so with it every process translates its libraries
# anew. Without it a process starts 3-5x cheaper (6.1 guest, 20 runs each:
# ip link show 62 -> 21 ms, grep 67 -> 13, xdpchain --version 43 -> 13, the
# ASan build's 161 -> 76). VM_ASLR=1 keeps it.
[[ "${VM_ASLR:-0}" == 1 ]] || append+=" norandmaps"
# The console has its own port and file, so it may keep warnings (oops, WARN,
# panics, BPF complaints) for the failure report without mixing into the output.
if [[ "${VM_DEBUG:-0}" == 1 ]]; then append+=" loglevel=7"; else append+=" loglevel=5"; fi

console=$tmp/console.log
cmdout=$tmp/cmd.out
: >"$console"
: >"$cmdout"
# qemu64, not max: the same tests (vm_chain, vm_fate on 6.1, side by side)
# took 0.83x the CPU seconds on the plain x86-64 model under TCG
qargs=(
	-accel tcg -cpu "${VM_CPU:-qemu64}" -m "$mem" -smp "$smp"
	-nodefaults -no-user-config -display none -monitor none -no-reboot
	-kernel "$kimg" -initrd "$initrd" -append "$append"
	-chardev "file,id=con,path=$console" -serial chardev:con
	-chardev "file,id=cmd,path=$cmdout" -serial chardev:cmd
)
# shellcheck disable=SC2206 # words, on purpose
[[ -n ${VM_QEMU_ARGS:-} ]] && qargs+=($VM_QEMU_ARGS)
if [[ -n $outdir ]]; then
	truncate -s "${VM_OUT_SIZE_MB:-1024}M" "$tmp/out.img"
	qargs+=(-drive "file=$tmp/out.img,format=raw,if=virtio,cache=unsafe")
fi

debug "booting: qemu-system-x86_64 ${qargs[*]}"
t_boot=$(date +%s.%N)
timeout -k 10 "$tmo" qemu-system-x86_64 "${qargs[@]}" </dev/null >"$tmp/qemu.log" 2>&1 &
qpid=$!
# stream the command's output live
tail -c +1 -s 0.1 --pid="$qpid" -f "$cmdout" &
tpids+=($!)
if [[ "${VM_DEBUG:-0}" == 1 ]]; then
	tail -c +1 -s 0.1 --pid="$qpid" -f "$console" >&2 &
	tpids+=($!)
fi
qrc=0
wait "$qpid" || qrc=$?
qpid=
for p in "${tpids[@]}"; do wait "$p" 2>/dev/null || true; done
tpids=()
t_end=$(date +%s.%N)
debug "qemu exited rc=$qrc after $(awk "BEGIN{printf \"%.2f\", $t_end - $t_boot}") s (total $(awk "BEGIN{printf \"%.2f\", $t_end - $t_start}") s)"

show_console() {
	echo "$prog: ---- qemu ----" >&2
	tail -n 20 "$tmp/qemu.log" >&2 || true
	echo "$prog: ---- last lines of the guest console ----" >&2
	tail -n "${VM_CONSOLE_LINES:-60}" "$console" | tr -d '\r' >&2 || true
	echo "$prog: ----" >&2
}

if [[ -n $outdir ]]; then
	mkdir -p "$outdir"
	if grep -aq "VMRUN-OUT-$nonce=ok" "$console"; then
		tar -xf "$tmp/out.img" -C "$outdir" --no-same-owner 2>/dev/null ||
			echo "$prog: warning: could not unpack /out" >&2
	else
		echo "$prog: warning: the guest did not write /out" >&2
	fi
fi

if ((qrc == 124 || qrc == 137)); then
	echo "$prog: TIMEOUT: the VM did not finish within $tmo s (exit 124)" >&2
	show_console
	exit 124
fi
rc=$(grep -ao "VMRUN-EXIT-$nonce=[0-9]*" "$console" | tail -1 | cut -d= -f2 || true)
if [[ -z $rc ]]; then
	echo "$prog: the guest reported no exit status (qemu rc=$qrc; kernel panic or init failure?) (exit 125)" >&2
	show_console
	exit 125
fi
exit "$rc"
