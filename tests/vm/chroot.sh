#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# Usage: tests/vm/chroot.sh trixie|sid                 print the chroot's root
#        tests/vm/chroot.sh trixie|sid -- COMMAND...   run COMMAND in it
#
# A Debian release's userland for the distribution matrix: a debootstrap
# (minbase) chroot of DIST with Debian's packages only, the build and run
# groups of tests/deps.sh and the tools the VM guest uses, cached under
# ${XDPCHAIN_VM_CACHE:-/var/cache/xdpchain-vm}/dist/DIST/root. Made once,
# upgraded when its last upgrade is more than a week old (unstable moves
# daily), re-made with XDPCHAIN_VM_REFRESH=1. Every package of every group
# of tests/deps.sh must exist in DIST (apt-get -s checks it): 'make deps'
# works there.
#
# COMMAND runs in a private mount namespace (proc, sys, dev and dev/pts
# mounted in the chroot, gone when it ends) as root with a clean environment.
# CHROOT_BINDS: host paths (space separated) bind-mounted at the same path in
# the chroot for COMMAND.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
die() { echo "chroot.sh: $*" >&2; exit 1; }

[[ $# -ge 1 ]] || die "usage: $0 trixie|sid [-- COMMAND...]"
dist=$1
shift
case "$dist" in
trixie | sid) ;;
*) die "unknown release '$dist' (want trixie or sid)" ;;
esac
if (($#)); then
	[[ $1 == -- ]] || die "usage: $0 $dist [-- COMMAND...]"
	shift
fi

cache=${XDPCHAIN_VM_CACHE:-/var/cache/xdpchain-vm}
ddir=$cache/dist/$dist
root=$ddir/root
mirror=${XDPCHAIN_DEBIAN_MIRROR:-http://deb.debian.org/debian}

mapfile -t pkgs < <(bash "$here/../deps.sh" --list build run check)
# what the VM's base image and the tests take from the userland
pkgs+=(cpio kmod procps util-linux bsdutils diffutils findutils gawk sed grep
	coreutils tar gzip xxd bsdextrautils iputils-ping libc-bin)
key=$(printf '%s\n' "${pkgs[@]}" | sha256sum | cut -c1-16)

# in_root CMD...: CMD in the chroot, with proc/sys/dev mounted privately
in_root() {
	local rc=0 b
	unshare -m --propagation private bash -c '
		r=$1; shift
		# a mount point, so that unshare --propagation inside works
		mount --bind "$r" "$r"
		mount -t proc proc "$r/proc"
		mount --rbind /sys "$r/sys"
		mount --rbind /dev "$r/dev"
		for b in $CHROOT_BINDS; do
			if [ -d "$b" ]; then mkdir -p "$r$b"; else mkdir -p "$r${b%/*}"; touch "$r$b"; fi
			mount --bind "$b" "$r$b"
		done
		exec chroot "$r" /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
			HOME=/root LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive TERM=dumb "$@"
	' in_root "$root" "$@" || rc=$?
	# the mount points of per-run dirs (run.sh's mktemp), if empty. Never the
	# shared ones (the kernel's cache dir): removing a mount point detaches
	# it from every other namespace too, under a VM beside us building its
	# image (tests/run-all.sh)
	for b in ${CHROOT_BINDS:-}; do
		[[ $b == "${TMPDIR:-/tmp}"/xdpchain-vm.* ]] || continue
		rmdir "$root$b" 2>/dev/null || true
	done
	return "$rc"
}

fresh() { # the chroot is complete and upgraded within the week
	[[ -f $ddir/.complete-$key && "${XDPCHAIN_VM_REFRESH:-0}" != 1 ]] &&
		[[ -n $(find "$ddir/.complete-$key" -mtime -7 2>/dev/null) ]]
}

if ! fresh; then
	mkdir -p "$ddir"
	exec 8>"$ddir/.lock"
	flock 8
	if ! fresh; then
		t0=$(date +%s)
		if [[ ! -f $ddir/.bootstrapped || "${XDPCHAIN_VM_REFRESH:-0}" == 1 ]]; then
			command -v debootstrap >/dev/null || {
				echo "chroot.sh: installing debootstrap" >&2
				DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends debootstrap >&2 || {
					apt-get update -q >&2
					DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends debootstrap >&2
				}
			}
			echo "chroot.sh: debootstrap $dist into $root (once; a few minutes)" >&2
			rm -f "$ddir"/.complete-* "$ddir/.bootstrapped"
			rm -rf "$root.new" "$root"
			debootstrap --variant=minbase "$dist" "$root.new" "$mirror" >"$ddir/debootstrap.log" 2>&1 ||
				die "debootstrap $dist failed; see $ddir/debootstrap.log"
			mv "$root.new" "$root"
			touch "$ddir/.bootstrapped"
		fi
		echo "chroot.sh: installing/upgrading $dist packages" >&2
		{
			in_root apt-get update -q
			in_root apt-get -y -q -o Dpkg::Options::=--force-confold dist-upgrade
			in_root apt-get install -y -q --no-install-recommends "${pkgs[@]}"
		} >"$ddir/apt.log" 2>&1 || die "apt-get in the $dist chroot failed; see $ddir/apt.log"
		# 'make deps' on this release: every package of every group exists
		mapfile -t all < <(bash "$here/../deps.sh" --list build run vm check)
		in_root apt-get install -s -q "${all[@]}" >"$ddir/deps-check.log" 2>&1 ||
			die "tests/deps.sh names a package $dist cannot install; see $ddir/deps-check.log"
		in_root apt-get clean
		rm -f "$ddir"/.complete-*
		touch "$ddir/.complete-$key"
		echo "chroot.sh: $dist chroot ready in $(($(date +%s) - t0)) s" >&2
	fi
	exec 8>&-
fi

if (($#)); then
	in_root "$@"
else
	echo "$root"
fi
