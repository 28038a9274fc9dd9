#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# Usage: tests/vm/kernel.sh 6.1|6.12|trixie|sid
#
# 6.1 and 6.12 are Debian 12's cloud kernels (resolved with this host's apt);
# trixie and sid are those releases' own linux-image-cloud-amd64, resolved and
# downloaded inside their chroot (tests/vm/chroot.sh).
#
# Makes sure a Debian cloud kernel (plus a trimmed, depmod'ed modules tree and
# busybox-static) is cached under ${XDPCHAIN_VM_CACHE:-/var/cache/xdpchain-vm}/KERNEL/
# and prints that directory.  Layout of the directory:
#   kver            kernel release (uname -r of the guest)
#   package         Debian package name + version the kernel came from
#   vmlinuz         the bzImage
#   vmlinux         ELF extracted from vmlinuz (PVH boot); absent if extraction failed
#   modules/        a root holding lib/modules/KVER/ (only networking/virtio modules
#                   and their dependencies, .ko uncompressed, depmod -b run)
#   busybox         busybox-static binary (shared: symlink to ../busybox/bin/busybox)
#   .complete       stamp; its presence makes later calls instant
# XDPCHAIN_VM_REFRESH=1 forces re-resolving/re-downloading.
set -euo pipefail

die() { echo "kernel.sh: $*" >&2; exit 1; }
log() { [[ "${VM_DEBUG:-0}" == 1 ]] && echo "kernel.sh: $*" >&2 || true; }

[[ $# -eq 1 ]] || die "usage: $0 6.1|6.12|trixie|sid"
series=$1
dist=
case "$series" in
	6.1) meta=linux-image-cloud-amd64 ;;
	6.12) meta=linux-image-6.12-cloud-amd64 ;;
	trixie | sid) meta=linux-image-cloud-amd64 dist=$series ;;
	*) die "unknown kernel '$series' (want 6.1, 6.12, trixie or sid)" ;;
esac
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cache=${XDPCHAIN_VM_CACHE:-/var/cache/xdpchain-vm}

# 6.1 and 6.12 are Debian 12's: on another host release (a Debian 13 host
# has neither), apt reads bookworm's archive through a private state dir.
# XDPCHAIN_VM_PRIVATE_APT=1 uses it on Debian 12 too.
apt_opts=()
host_codename=$(. /etc/os-release 2>/dev/null && echo "${VERSION_CODENAME:-}")
if [[ -z $dist && ($host_codename != bookworm || ${XDPCHAIN_VM_PRIVATE_APT:-0} == 1) ]]; then
	aptdir=$cache/apt-bookworm
	mirror=${XDPCHAIN_DEBIAN_MIRROR:-http://deb.debian.org/debian}
	keyring=/usr/share/keyrings/debian-archive-keyring.gpg
	mkdir -p "$aptdir/lists/partial" "$aptdir/cache/archives/partial"
	# written whole and renamed: the other series' kernel.sh may be reading it
	cat >"$aptdir/sources.list.$$" <<-EOF
		deb [signed-by=$keyring] $mirror bookworm main
		deb [signed-by=$keyring] ${mirror%/debian}/debian-security bookworm-security main
	EOF
	mv "$aptdir/sources.list.$$" "$aptdir/sources.list"
	[[ -e $aptdir/status ]] || : >"$aptdir/status"
	apt_opts=(-o Dir::Etc::SourceList="$aptdir/sources.list" -o Dir::Etc::SourceParts=/nonexistent
		-o Dir::State::Lists="$aptdir/lists" -o Dir::Cache="$aptdir/cache"
		-o Dir::State::status="$aptdir/status")
fi
# apt: this host's (or its private bookworm state), or the release chroot's
apt_run() {
	if [[ -n $dist ]]; then
		bash "$here/chroot.sh" "$dist" -- "$@"
	else
		local tool=$1
		shift
		"$tool" "${apt_opts[@]}" "$@"
	fi
}

kdir=$cache/$series

if [[ -f $kdir/.complete && "${XDPCHAIN_VM_REFRESH:-0}" != 1 ]]; then
	echo "$kdir"
	exit 0
fi

# ---- host tools --------------------------------------------------------------
need_pkgs=()
command -v qemu-system-x86_64 >/dev/null || need_pkgs+=(qemu-system-x86)
command -v cpio >/dev/null || need_pkgs+=(cpio)
command -v lz4 >/dev/null || need_pkgs+=(lz4)
command -v zstd >/dev/null || need_pkgs+=(zstd)
command -v xz >/dev/null || need_pkgs+=(xz-utils)
command -v depmod >/dev/null || [[ -x /usr/sbin/depmod || -x /sbin/depmod ]] || need_pkgs+=(kmod)
command -v gzip >/dev/null || need_pkgs+=(gzip)
mkdir -p "$cache"
# apt and dpkg refuse a second caller at once (tests/run-all.sh fetches 6.1
# and 6.12 side by side, each under its own lock below): one at a time
apt_lock=$cache/.lock-apt
if ((${#need_pkgs[@]})); then
	echo "kernel.sh: installing host tools: ${need_pkgs[*]}" >&2
	{
		flock 7
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
			"${need_pkgs[@]}" >&2 || {
			apt-get update -q >&2
			DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
				"${need_pkgs[@]}" >&2
		}
	} 7>"$apt_lock"
fi
PATH=$PATH:/usr/sbin:/sbin
export PATH

# Serialise concurrent callers on the same kernel.
exec 8>"$cache/.lock-$series"
flock 8
if [[ -f $kdir/.complete && "${XDPCHAIN_VM_REFRESH:-0}" != 1 ]]; then
	echo "$kdir"
	exit 0
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/xdpchain-kernel.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# ---- resolve the package (never pin an ABI number) ----------------------------
resolve() {
	apt_run apt-cache depends "$1" 2>/dev/null |
		awk '/^ *Depends: *linux-image-/ { print $2; exit }'
}
pkg=$(resolve "$meta" || true)
if [[ -z $pkg ]]; then
	echo "kernel.sh: apt-cache knows no $meta; running apt-get update" >&2
	{
		flock 7
		apt_run apt-get update -q >&2
	} 7>"$apt_lock"
	pkg=$(resolve "$meta" || true)
fi
[[ -n $pkg ]] || die "cannot resolve the dependency of $meta"
log "resolved $meta -> $pkg"

apt_download() { # dir pkg...
	local d=$1; shift
	# -o APT::Sandbox::User=root: avoids the _apt "unsandboxed" warning in a root-owned dir
	(cd "$d" && apt-get "${apt_opts[@]}" -q -o APT::Sandbox::User=root download "$@" >&2)
}
# the kernel package: from the release's archive when it is a release's
kernel_download() { # dir pkg
	if [[ -z $dist ]]; then
		apt_download "$@"
		return
	fi
	CHROOT_BINDS=$1 bash "$here/chroot.sh" "$dist" -- sh -c \
		'cd "$1" && apt-get -q -o APT::Sandbox::User=root download "$2"' sh "$@" >&2
}

# Newer kernels split the image package: linux-image-ABI depends on
# linux-binary-ABI (the image) and linux-base-ABI (modules). Take every
# dependency named with the package's ABI, recursively.
abi=${pkg#linux-image-}
pkgs=("$pkg")
declare -A seen=(["$pkg"]=1)
for ((i = 0; i < ${#pkgs[@]}; i++)); do
	while read -r dep; do
		[[ -n ${seen[$dep]:-} ]] && continue
		seen[$dep]=1
		pkgs+=("$dep")
	done < <(apt_run apt-cache depends "${pkgs[$i]}" 2>/dev/null |
		awk -v abi="$abi" '$1 ~ /^\|?(Pre)?Depends:$/ && index($2, abi) && $2 ~ /^linux-/ { print $2 }')
done
log "kernel packages: ${pkgs[*]}"

mkdir -p "$tmp/deb" "$tmp/x"
for p in "${pkgs[@]}"; do
	kernel_download "$tmp/deb" "$p"
done
for d in "$tmp"/deb/*.deb; do
	dpkg-deb -x "$d" "$tmp/x"
done
version=$(dpkg-deb -f "$tmp/deb/${pkg}_"*.deb Version)

# Debian 13 on ship modules under usr/lib/modules (merged /usr)
if [[ ! -d $tmp/x/lib/modules && -d $tmp/x/usr/lib/modules ]]; then
	mkdir -p "$tmp/x/lib"
	mv "$tmp/x/usr/lib/modules" "$tmp/x/lib/modules"
fi
vmlinuz=$(ls "$tmp"/x/boot/vmlinuz-* 2>/dev/null | head -1 || true)
if [[ -n $vmlinuz ]]; then
	kver=${vmlinuz##*/vmlinuz-}
	kconfig=$tmp/x/boot/config-$kver
else # from 7.x: the image and its config next to the modules
	vmlinuz=$(ls "$tmp"/x/lib/modules/*/vmlinuz 2>/dev/null | head -1 || true)
	[[ -n $vmlinuz ]] || die "no boot/vmlinuz-* nor lib/modules/*/vmlinuz in ${pkgs[*]}"
	kver=${vmlinuz%/vmlinuz}
	kver=${kver##*/}
	kconfig=$(ls "$tmp/x/lib/modules/$kver"/config* 2>/dev/null | head -1 || true)
fi
[[ -d $tmp/x/lib/modules/$kver ]] || die "no lib/modules/$kver in $pkg"

new=$tmp/new
mkdir -p "$new"
cp "$vmlinuz" "$new/vmlinuz"
[[ -n $kconfig ]] && cp "$kconfig" "$new/config" 2>/dev/null || true
echo "$kver" >"$new/kver"
echo "$pkg $version" >"$new/package"

# ---- vmlinux out of vmlinuz (the idea of the kernel's scripts/extract-vmlinux) --
is_elf() { [[ -s $1 && "$(head -c4 "$1" | od -An -tx1 | tr -d ' \n')" == 7f454c46 ]]; }
try_decomp() { # magic-hex name cmd...
	local magic=$1 name=$2; shift 2
	local pos
	# byte offsets of the magic in the image (LC_ALL=C: bytes, not characters)
	for pos in $(LC_ALL=C grep -aboP "$magic" "$vmlinuz" 2>/dev/null | cut -d: -f1 | head -20); do
		tail -c +"$((pos + 1))" "$vmlinuz" | "$@" >"$tmp/vmlinux" 2>/dev/null || true
		if is_elf "$tmp/vmlinux"; then
			log "vmlinux: $name stream at offset $pos"
			return 0
		fi
	done
	rm -f "$tmp/vmlinux"
	return 1
}
if try_decomp '\x28\xb5\x2f\xfd' zstd zstd -dcq ||
	try_decomp '\x02\x21\x4c\x18' lz4 lz4 -dcq ||
	try_decomp '\xfd\x37\x7a\x58\x5a\x00' xz xz -dcq ||
	try_decomp '\x1f\x8b\x08' gzip gzip -dcq; then
	mv "$tmp/vmlinux" "$new/vmlinux"
else
	echo "kernel.sh: could not extract vmlinux from $vmlinuz; run.sh will boot vmlinuz" >&2
fi

# ---- trimmed modules tree -------------------------------------------------------
src=$tmp/x/lib/modules/$kver
depmod -b "$tmp/x" "$kver" # depmod reads .ko.xz itself

# Wanted roots (paths relative to kernel/, shell globs without the .ko suffix);
# their dependencies are added from modules.dep.
wanted=(
	'drivers/net/veth' 'drivers/net/dummy' 'drivers/net/ifb'
	'drivers/net/tun' 'drivers/net/macvlan' 'drivers/net/macvtap'
	'drivers/net/ipvlan/*' 'drivers/net/vxlan/*' 'drivers/net/geneve'
	'drivers/net/bonding/*' 'drivers/net/netdevsim/*' 'drivers/net/vrf'
	'drivers/net/virtio_net' 'drivers/net/nlmon'
	'net/sched/*' 'net/bridge/bridge' 'net/8021q/8021q'
	'net/ipv4/ipip' 'net/ipv4/ip_gre' 'net/ipv4/fou' 'net/ipv4/gre'
	'net/ipv6/ip6_tunnel' 'net/ipv6/ip6_gre' 'net/ipv6/sit'
	'net/ipv6/fou6' 'net/xdp/*'
	'drivers/virtio/*' 'drivers/block/virtio_blk'
	'drivers/char/virtio_console' 'drivers/char/hw_random/virtio-rng'
)
declare -A keep=()
for pat in "${wanted[@]}"; do
	for f in "$src"/kernel/$pat.ko "$src"/kernel/$pat.ko.*; do
		[[ -f $f ]] && keep["kernel/${f#"$src"/kernel/}"]=1
	done
done
# add dependencies: each modules.dep line ("path: dep dep ...") already lists
# the transitive closure
while IFS= read -r line; do
	mod=${line%%:*}
	[[ -n ${keep[$mod]:-} ]] || continue
	for d in ${line#*:}; do keep[$d]=1; done
done <"$src/modules.dep"
dst=$new/modules/lib/modules/$kver
mkdir -p "$dst"
for mod in "${!keep[@]}"; do
	mkdir -p "$dst/$(dirname "$mod")"
	cp "$src/$mod" "$dst/$mod"
done
# decompress (6.12 ships .ko.xz) so that the guest needs no decompressor
find "$dst" -name '*.ko.xz' -exec xz -d {} +
find "$dst" -name '*.ko.zst' -exec zstd -q -d --rm {} +
find "$dst" -name '*.ko.gz' -exec gzip -d {} +
for f in modules.builtin modules.builtin.modinfo modules.order; do
	[[ -f $src/$f ]] && cp "$src/$f" "$dst/"
done
depmod -b "$new/modules" "$kver"
log "kept ${#keep[@]} modules"

# ---- busybox-static (shared between kernels) -------------------------------------
if [[ ! -x $cache/busybox/bin/busybox ]]; then
	mkdir -p "$tmp/bb"
	apt_download "$tmp/bb" busybox-static
	rm -rf "$cache/busybox.new"
	mkdir -p "$cache/busybox.new"
	dpkg-deb -x "$tmp"/bb/*.deb "$cache/busybox.new"
	[[ -x $cache/busybox.new/bin/busybox ]] || die "busybox-static has no bin/busybox"
	rm -rf "$cache/busybox"
	mv "$cache/busybox.new" "$cache/busybox"
fi
ln -s ../busybox/bin/busybox "$new/busybox"

touch "$new/.complete"
rm -rf "$kdir.old"
[[ -e $kdir ]] && mv "$kdir" "$kdir.old"
mv "$new" "$kdir"
rm -rf "$kdir.old"
echo "$kdir"
