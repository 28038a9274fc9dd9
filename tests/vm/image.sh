#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# Usage: tests/vm/image.sh KDIR NONCE INITRD -- COMMAND...   (run.sh calls it)
#
# Builds the initramfs that run.sh boots into INITRD: a cached base (the
# userland's tools with their libraries, busybox and the modules of the
# kernel in KDIR) and a per-run part (the payload of the repo this script
# is in, with its .output; /init; COMMAND). Whatever root it runs in gives
# the guest its userland: run.sh runs it on the host, or with --dist inside
# a release's chroot (tests/vm/chroot.sh), from the copy of the repo built
# there, so the guest runs that release's tools and xdpchain built with its
# compiler and libraries.
#
# Environment: VM_WANT_OUT=1 (the guest tars /out onto /dev/vda), and
# run.sh's VM_EXTRA_BINS, VM_EXTRA_FILES, VM_ENV (NAME=VALUE words),
# VM_MODULES, VM_DEBUG.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
prog=image.sh

die() { echo "$prog: $*" >&2; exit 2; }
debug() { [[ "${VM_DEBUG:-0}" == 1 ]] && echo "$prog: [$(date +%T.%N | cut -c1-12)] $*" >&2 || true; }

[[ $# -ge 4 && $4 == -- ]] || die "usage: $0 KDIR NONCE INITRD -- COMMAND..."
kdir=$1 nonce=$2 initrd=$3
shift 4
cmd="$*"
sys_path=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

tmp=$(mktemp -d "${TMPDIR:-/tmp}/xdpchain-image.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# ---- host tools the guest needs ---------------------------------------------
declare -A pkg_of=(
	[ip]=iproute2 [tc]=iproute2 [tcpdump]=tcpdump [xdp-loader]=xdp-tools
	[bpftool]=bpftool [jq]=jq [mount]=mount
	[cpio]=cpio [ldd]=libc-bin [ldconfig]=libc-bin
)
missing=()
for t in "${!pkg_of[@]}"; do
	PATH=$sys_path command -v "$t" >/dev/null || missing+=("${pkg_of[$t]}")
done
if ((${#missing[@]})); then
	echo "$prog: installing ${missing[*]}" >&2
	export DEBIAN_FRONTEND=noninteractive
	apt-get install -y -q --no-install-recommends "${missing[@]}" >&2 || {
		apt-get update -q >&2
		apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
	}
fi

# ---- what goes into the base image ------------------------------------------
required_tools=(bash ip tc tcpdump xdp-loader bpftool jq mount)
optional_tools=(
	umount xdpdump xdp-filter ss bridge ethtool ping nsenter unshare setsid
	flock setpriv dmesg mountpoint taskset awk mawk gawk sed grep egrep fgrep find xargs
	tar gzip zcat diff cmp ps pgrep pkill free hexdump xxd which
	modprobe insmod rmmod lsmod modinfo depmod kmod
	ls cat cp mv rm mkdir rmdir ln chmod chown touch sleep timeout env head tail
	wc sort uniq cut tr stat date dd seq tee basename dirname readlink realpath
	mktemp sync printf echo test id uname true false yes od md5sum sha1sum
	sha256sum nproc stty du df install comm paste nohup base64 fold split
	truncate
)
data_files=(/usr/lib/x86_64-linux-gnu/bpf/*.o /etc/protocols /etc/services /etc/ld.so.conf)
data_dirs=(/usr/share/xdp-tools /etc/iproute2 /usr/share/iproute2 /usr/lib/tc /etc/ld.so.conf.d)

is_elf() { # no forks: this runs for every tool
	local magic=
	[[ -f $1 && -r $1 ]] || return 1
	LC_ALL=C read -r -N4 magic <"$1" 2>/dev/null || true
	[[ $magic == $'\x7fELF' ]]
}
resolve_tool() { PATH=$sys_path command -v "$1" 2>/dev/null | grep '^/' || true; }

declare -A want=()   # host paths to copy (files or symlinks), value 1
declare -A rename=() # real host path -> guest path (bpftool wrappers)
add_libs() { # ELF: record every library ldd lists, and the interpreter
	local l
	while read -r l; do
		[[ $l == /* && -e $l ]] && want[$l]=1
	done < <(ldd "$1" 2>/dev/null | awk '
		$2 == "=>" && $3 ~ /^\// { print $3; next }
		$1 ~ /^\// { print $1 }
		$2 == "=>" && $3 == "not" { print "run.sh: warning: ldd " FILENAME ": " $1 " not found" > "/dev/stderr" }')
	return 0
}
add_exe() { # path: add it; libraries if ELF; interpreter and referenced exes if script
	local p=$1 real first interp x
	want[$p]=1
	real=$(readlink -f "$p")
	if is_elf "$real"; then
		add_libs "$real"
	elif [[ "$(head -c2 "$real")" == '#!' ]]; then
		read -r first <"$real" || true
		interp=${first#\#!}
		read -r interp _ <<<"$interp"
		if [[ $interp == */env ]]; then
			read -r _ x _ <<<"${first#\#!}"
			[[ -n ${x:-} ]] && interp=$(resolve_tool "$x")
		fi
		if [[ -n $interp && -e $interp && $interp != */sh && -z ${want[$interp]:-} ]]; then
			add_exe "$interp"
		fi
		# absolute paths of executables the script mentions (wrappers)
		for x in $(grep -ao '/[A-Za-z0-9_./+-]*' "$real" | sort -u); do
			if [[ -f $x && -x $x && -z ${want[$x]:-} && $x != */sh ]]; then
				add_exe "$x"
			fi
		done
	fi
	return 0
}
# stage_file DIR HOSTPATH [GUESTPATH]: copy the file HOSTPATH resolves to at its
# real path under DIR, and make GUESTPATH (default HOSTPATH, directory part
# canonicalised) a symlink to it when the two differ.
stage_file() {
	local st=$1 p=$2 g=${3:-$2} real canon
	real=$(readlink -f "$p")
	canon=$(readlink -f "${g%/*}")/${g##*/}
	if [[ ! -e $st$real ]]; then
		[[ -d $st${real%/*} ]] || mkdir -p "$st${real%/*}"
		cp -p "$real" "$st$real"
	fi
	if [[ $canon != "$real" && ! -e $st$canon && ! -L $st$canon ]]; then
		[[ -d $st${canon%/*} ]] || mkdir -p "$st${canon%/*}"
		ln -s "$real" "$st$canon"
	fi
}

bb=$kdir/busybox
[[ -x $bb ]] || die "no busybox in $kdir"

# The base image's key must be cheap to compute (no ldd): the tools' paths and
# stat data, dpkg's status file (any package change), this script, the kernel
# dir and VM_EXTRA_BINS.  Libraries of the payload's executables go into the
# per-run part instead, so rebuilding .output/bin never rebuilds the base.
tool_paths=()
for t in "${required_tools[@]}"; do
	p=$(resolve_tool "$t")
	[[ -n $p ]] || die "required host tool '$t' not found"
	tool_paths+=("$p")
done
for t in "${optional_tools[@]}"; do
	p=$(resolve_tool "$t")
	[[ -n $p ]] && tool_paths+=("$p")
done
for t in ${VM_EXTRA_BINS:-}; do
	if [[ $t == /* ]]; then p=$t; else
		p=$(resolve_tool "$t")
		[[ -n $p ]] || p=$(command -v "$t" 2>/dev/null | grep '^/' || true)
	fi
	[[ -n $p && -e $p ]] || die "VM_EXTRA_BINS: '$t' not found"
	tool_paths+=("$p")
done

build_base() {
	local st=$tmp/base d f t p real
	for p in "${tool_paths[@]}"; do
		if [[ ${p##*/} == bpftool ]] && ! is_elf "$(readlink -f "$p")"; then
			# Some distributions ship /usr/sbin/bpftool as a wrapper that execs
			# /usr/lib/linux-tools/$(uname -r)/bpftool, which cannot work with
			# the guest's uname -r: put the real binary at the wrapper's path.
			real=$(find /usr/lib/linux-tools* /usr/lib/linux-tools-* -name bpftool \
				-type f -perm -u+x 2>/dev/null | while read -r f; do
				if is_elf "$f"; then echo "$f"; break; fi; done)
			[[ -n $real ]] || die "$p is a wrapper and no real bpftool was found"
			rename[$real]=$p
			add_exe "$real"
		else
			add_exe "$p"
		fi
	done
	for f in "${data_files[@]}"; do
		if [[ -e $f ]]; then want[$f]=1; fi
	done

	mkdir -p "$st"
	# mirror the host's usr-merge symlinks (/bin -> usr/bin, ...)
	for d in bin sbin lib lib32 lib64 libx32; do
		if [[ -L /$d ]]; then ln -s "$(readlink "/$d")" "$st/$d"; fi
	done
	mkdir -p "$st"/usr/{bin,sbin,lib,local/bin,local/sbin} \
		"$st"/{dev,proc,sys,run,tmp,root,etc,out,xdpchain,vmrun,mnt,var/tmp,var/lib}
	for d in bin sbin lib; do [[ -e $st/$d ]] || mkdir -p "$st/$d"; done
	chmod 1777 "$st/tmp" "$st/var/tmp"
	ln -s /run "$st/var/run"
	for f in "${!want[@]}"; do
		real=$(readlink -f "$f")
		stage_file "$st" "$f" "${rename[$real]:-$f}"
	done
	for d in "${data_dirs[@]}"; do
		[[ -d $d ]] || continue
		real=$(readlink -f "$d")
		mkdir -p "$st$(dirname "$real")"
		cp -a "$real" "$st$(dirname "$real")/"
	done
	# bash is /bin/sh (busybox ash would run its own applets ahead of PATH)
	ln -sf bash "$st/usr/bin/sh"
	# busybox: applets only where no real tool exists
	cp "$(readlink -f "$bb")" "$st/usr/bin/busybox"
	local a name have
	while read -r a; do
		[[ $a == */* ]] || continue # linuxrc
		name=${a##*/}
		have=
		for d in usr/local/sbin usr/local/bin usr/sbin usr/bin sbin bin; do
			if [[ -e $st/$d/$name || -L $st/$d/$name ]]; then have=1; break; fi
		done
		[[ -n $have ]] && continue
		[[ -d $st/${a%/*} ]] || mkdir -p "$st/${a%/*}"
		ln -s /usr/bin/busybox "$st/$a"
	done < <("$bb" --list-full)
	# kernel modules (trimmed tree, depmod already run by kernel.sh)
	mkdir -p "$st/usr/lib/modules"
	cp -a "$kdir/modules/lib/modules/." "$st/usr/lib/modules/"
	# /etc
	cat >"$st/etc/passwd" <<-'EOF'
		root:x:0:0:root:/root:/bin/bash
		tcpdump:x:0:0:tcpdump (uid 0 in the VM):/nonexistent:/bin/false
		nobody:x:65534:65534:nobody:/nonexistent:/bin/false
	EOF
	cat >"$st/etc/group" <<-'EOF'
		root:x:0:
		tcpdump:x:0:
		nogroup:x:65534:
	EOF
	printf 'passwd: files\ngroup: files\nshadow: files\nhosts: files\nservices: files\nprotocols: files\n' \
		>"$st/etc/nsswitch.conf"
	printf '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n' >"$st/etc/hosts"
	echo xdpchain-vm >"$st/etc/hostname"
	: >"$st/etc/fstab"
	ldconfig -r "$st" 2>/dev/null || true
	(cd "$st" && find . -mindepth 1 | LC_ALL=C sort |
		cpio --quiet -o -H newc -R 0:0) >"$base.tmp.$$"
	# manifest: every path the base holds (to skip them in the per-run part)
	(cd "$st" && find . -mindepth 1 ! -type d | cut -c2-) >"$manifest.tmp.$$"
	mv "$manifest.tmp.$$" "$manifest"
	mv "$base.tmp.$$" "$base"
	# keep the three newest base images of this kernel
	ls -t "$kdir"/initramfs-base-*.cpio 2>/dev/null | tail -n +4 |
		while read -r f; do rm -f "$f" "${f%.cpio}.files"; done
}

mapfile -t tool_paths < <(printf '%s\n' "${tool_paths[@]}" | awk '!seen[$0]++')
key=$({
	cat "$kdir/package" "$kdir/kver"
	sha256sum "$(readlink -f "$bb")" | cut -d' ' -f1
	# the code that builds the base (not the whole script: editing the guest
	# init must not rebuild the base)
	declare -f build_base add_exe add_libs stage_file is_elf resolve_tool
	printf '%s\n' "${tool_paths[@]}" "${data_files[@]}" "${data_dirs[@]}"
	stat -L -c '%n %s %Y' "${tool_paths[@]}" /var/lib/dpkg/status "${data_files[@]}" 2>/dev/null || true
	find "${data_dirs[@]}" "$kdir/modules" -printf '%p %s %T@\n' 2>/dev/null | sort || true
} | sha256sum | cut -c1-16)
base=$kdir/initramfs-base-$key.cpio
manifest=$kdir/initramfs-base-$key.files

if [[ -f $base && -f $manifest ]]; then
	debug "base initramfs cached: $base"
else
	# two VMs of one kernel side by side (tests/run-all.sh): one builds it
	exec 7>"$kdir/.lock-base"
	flock 7
	if [[ -f $base && -f $manifest ]]; then
		debug "base initramfs cached: $base (built beside us)"
	else
		debug "building base initramfs $base"
		build_base
		debug "base initramfs built ($(du -h "$base" | cut -f1))"
	fi
	exec 7>&-
fi

# ---- per-run part: payload, extra files, their libraries, init, command -----------
rs=$tmp/run
mkdir -p "$rs/xdpchain" "$rs/vmrun"
payload=()
for p in tests bpf deploy .output Makefile README.md; do
	[[ -e $repo/$p ]] && payload+=("$p")
done
if ((${#payload[@]})); then
	(cd "$repo" && find "${payload[@]}" \
		\( -path '.output/vm*' -prune \) -o \
		\( -type f -size +50M -prune \) -o -print0 |
		cpio --quiet -0 -pdm "$rs/xdpchain")
fi
for f in ${VM_EXTRA_FILES:-}; do
	[[ -e $f ]] || die "VM_EXTRA_FILES: '$f' not found"
	f=$(readlink -f "$f")
	mkdir -p "$rs$(dirname "$f")"
	cp -a "$f" "$rs$(dirname "$f")/"
done
# libraries of the payload's executables (e.g. ASan builds need libasan/libubsan)
# and of executable VM_EXTRA_FILES, unless the base has them already
want=()
elf_roots=("$rs/xdpchain/.output/bin")
for f in ${VM_EXTRA_FILES:-}; do elf_roots+=("$rs$(readlink -f "$f")"); done
while IFS= read -r -d '' f; do
	if is_elf "$f"; then add_libs "$f"; fi
done < <(find "${elf_roots[@]}" -type f -perm -u+x -print0 2>/dev/null)
if ((${#want[@]})); then
	declare -A in_base=()
	while IFS= read -r f; do in_base[$f]=1; done <"$manifest"
	for f in "${!want[@]}"; do
		real=$(readlink -f "$f")
		[[ -n ${in_base[$real]:-} ]] && continue
		debug "per-run library: $f"
		stage_file "$rs" "$f"
	done
fi

printf '%s\n' "$cmd" >"$rs/vmrun/cmd"
{
	echo "NONCE=$nonce"
	echo "WANT_OUT=${VM_WANT_OUT:-0}"
	echo "DEBUG=${VM_DEBUG:-0}"
	printf 'MODULES=%q\n' "veth ${VM_MODULES:-}"
	for e in ${VM_ENV:-}; do
		if [[ $e == *=* ]]; then
			printf 'export %s=%q\n' "${e%%=*}" "${e#*=}"
		elif [[ -n ${!e+x} ]]; then
			printf 'export %s=%q\n' "$e" "${!e}"
		fi
	done
} >"$rs/vmrun/env"

cat >"$rs/init" <<'INIT'
#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# xdpchain VM init (generated by tests/vm/run.sh)
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root TERM=dumb LANG=C USER=root LOGNAME=root
. /vmrun/env
say() { echo "vm-init: $*" >/dev/console; }
stamp() { [ "$DEBUG" = 1 ] && read -r up _ </proc/uptime && say "[$up] $*"; }
# busybox is static: it starts far faster under TCG than dynamic binaries
bb=/usr/bin/busybox
$bb mount -t proc proc /proc
$bb mount -t sysfs sysfs /sys
$bb mount -t devtmpfs devtmpfs /dev
$bb mkdir -p /dev/pts /dev/shm
$bb mount -t devpts -o ptmxmode=0666 devpts /dev/pts
$bb mount -t tmpfs tmpfs /dev/shm
$bb ln -sfn /proc/self/fd /dev/fd
$bb ln -sfn /proc/self/fd/0 /dev/stdin
$bb ln -sfn /proc/self/fd/1 /dev/stdout
$bb ln -sfn /proc/self/fd/2 /dev/stderr
$bb mount -t tmpfs -o mode=0755 tmpfs /run
$bb mkdir -p /run/netns /run/lock
# /tmp: a fresh tmpfs keeping whatever the initramfs put there (VM_EXTRA_FILES)
shopt -s nullglob dotglob
tmpfiles=(/tmp/*)
shopt -u nullglob dotglob
if ((${#tmpfiles[@]})); then
	$bb mv /tmp /tmp.initramfs && $bb mkdir -m 1777 /tmp &&
		$bb mount -t tmpfs -o mode=1777 tmpfs /tmp &&
		$bb cp -a /tmp.initramfs/. /tmp/ && $bb rm -rf /tmp.initramfs
else
	$bb mount -t tmpfs -o mode=1777 tmpfs /tmp
fi
$bb mount -t bpf -o mode=0700 bpf /sys/fs/bpf || say "bpffs mount failed"
$bb mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
$bb mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
$bb mount -t cgroup2 cgroup2 /sys/fs/cgroup 2>/dev/null
stamp "mounted"
$bb hostname xdpchain-vm
ip link set lo up
for m in $MODULES; do modprobe "$m" || say "modprobe $m failed"; done
if [ "$WANT_OUT" = 1 ]; then
	modprobe virtio_pci 2>/dev/null; modprobe virtio_blk || say "modprobe virtio_blk failed"
fi
stamp "modules loaded"
ulimit -l unlimited
ulimit -c 0
$bb stty -F /dev/ttyS1 raw -echo 2>/dev/null || say "stty ttyS1 failed"
cd /xdpchain
# The command writes into a pipe (as under CI: no tty, so no colours), which a
# cat copies to ttyS1.  Background processes the command leaves behind may
# keep the pipe open: give cat a moment to drain, then stop waiting for it.
$bb mkfifo /run/vmrun-out
$bb cat /run/vmrun-out >/dev/ttyS1 &
catpid=$!
(exec bash -c "$(</vmrun/cmd)" </dev/null >/run/vmrun-out 2>&1)
rc=$?
for _ in 1 2 3 4 5 6 7 8 9 10; do
	kill -0 "$catpid" 2>/dev/null || break
	$bb sleep 0.1
done
stamp "command done"
echo "VMRUN-EXIT-$NONCE=$rc" >/dev/console
$bb sync
if [ "$WANT_OUT" = 1 ]; then
	for _ in 1 2 3 4 5 6 7 8 9 10; do [ -b /dev/vda ] && break; sleep 0.2; done
	if tar -cf /dev/vda -C /out .; then
		echo "VMRUN-OUT-$NONCE=ok" >/dev/console
	else
		say "writing /out to /dev/vda failed"
	fi
	$bb sync
fi
stamp "poweroff"
$bb poweroff -f
INIT
chmod 755 "$rs/init"

runcpio=$tmp/run.cpio
(cd "$rs" && find . -mindepth 1 | LC_ALL=C sort | cpio --quiet -o -H newc -R 0:0) >"$runcpio"
cat "$base" "$runcpio" >"$initrd"
debug "initrd: base $(du -h "$base" | cut -f1) + run $(du -h "$runcpio" | cut -f1)"
