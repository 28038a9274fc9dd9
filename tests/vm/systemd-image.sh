#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# Usage: VM_IMAGE=tests/vm/systemd-image.sh tests/vm/run.sh [--kernel K] -- COMMAND
#        (run.sh calls it as: systemd-image.sh KDIR NONCE INITRD -- COMMAND)
#
# An initramfs whose /init is systemd: Debian 12's userland (debootstrap
# minbase, systemd, udev, the libraries xdpchain links) with xdpchain
# installed by 'make install' as a user would (/usr/local, units enabled, the
# udev rule in place). The machine boots as a real one does: udev, the
# sysinit units, xdpchain.service restoring /etc/xdpchain at boot. Then
# xdpchain-vmrun.service runs COMMAND in /xdpchain (the repo payload), its
# output on ttyS1, its exit status on the console as run.sh expects, and
# powers off.
#
# What the boot tests (tests/systemd_*.sh) find at boot:
# - veth pairs xsa/xsb, made before xdpchain.service (xdpchain-test-veth.service);
# - /etc/xdpchain/chains.conf: xsa gets count.o, xsc (made later by the
#   tests) gets drop.o; objects under /usr/local/lib/xdpchain-test;
# - /var/lib/prometheus/node-exporter for xdpchain-metrics.service;
# - with XDPCHAIN_CONTAINER naming the directory tests/vm/container-images.sh
#   made (make container-test, tests/vm/container-suite.sh): the container
#   variant, a base of its own with podman and D-Bus, its images.tar and
#   pod.yaml in /var/lib/xdpchain-test/container (tests/systemd_container.sh),
#   vfs storage on a tmpfs of its own, and a root of its own: /init moves
#   the initramfs onto a tmpfs and switch_root's to systemd (crun's
#   pivot_root cannot leave the initramfs, EINVAL). Without it the boot
#   tests' image is as before: none of that costs them anything.
#
# The base (the debootstrap) is cached under
# ${XDPCHAIN_VM_CACHE:-/var/cache/xdpchain-vm}/systemd-bookworm, made once.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
prog=systemd-image.sh
die() { echo "$prog: $*" >&2; exit 2; }

[[ $# -ge 4 && $4 == -- ]] || die "usage: $0 KDIR NONCE INITRD -- COMMAND..."
kdir=$1 nonce=$2 initrd=$3
shift 4
cmd="$*"
cache=${XDPCHAIN_VM_CACHE:-/var/cache/xdpchain-vm}/systemd-bookworm
mirror=${XDPCHAIN_DEBIAN_MIRROR:-http://deb.debian.org/debian}
bin=$repo/.output/bin/xdpchain
[[ -x $bin ]] || die "no $bin: make test-build first"

# the packages of the libraries xdpchain links, found from the binary
# itself, and of those it loads where they are used (dlopen: the sonames
# src/ defines, *_SONAME; src/base/dynlib.h)
lib_pkgs() {
	{
		ldd "$bin" | awk '$3 ~ /^\// {print $3}'
		sed -n 's/^#define [A-Z_]*_SONAME "\(.*\)".*/\1/p' "$repo"/src/*/*.[ch] |
			while read -r so; do
				# awk reads it all: exiting at the match, SIGPIPE
				# and pipefail ended the loop now and then, and the
				# sonames after it went missing from the key
				ldconfig -p | awk -v so="$so" '$1 == so && !n++ { print $NF }'
			done
	} | while read -r l; do
		dpkg -S "$(readlink -f "$l")" 2>/dev/null || dpkg -S "$l"
	done | cut -d: -f1 | sort -u
}
mapfile -t pkgs < <(lib_pkgs)
pkgs+=(systemd systemd-sysv udev iproute2 kmod procps jq xdp-tools util-linux
	ethtool tcpdump bsdextrautils)
# the container variant: podman for the DaemonSet's pod
# (tests/systemd_container.sh), and D-Bus for its systemd cgroup manager
# (crun reaches systemd through sd-bus)
if [[ -n ${XDPCHAIN_CONTAINER:-} ]]; then
	mapfile -t -O ${#pkgs[@]} pkgs < <(bash "$repo/tests/deps.sh" --list container)
	pkgs+=(dbus)
fi
key=$(printf '%s\n' "${pkgs[@]}" | sort | sha256sum | cut -c1-16)
base=$cache/base-$key.cpio

make_base() {
	local root=$cache/root.new
	command -v debootstrap >/dev/null || die "no debootstrap: make deps"
	echo "$prog: debootstrap bookworm with systemd into $cache (once, a few minutes)" >&2
	rm -rf "$root"
	debootstrap --variant=minbase --include="$(IFS=,; echo "${pkgs[*]}")" bookworm "$root" \
		"$mirror" >"$cache/debootstrap.log" 2>&1 ||
		die "debootstrap failed; see $cache/debootstrap.log"
	rm -rf "$root"/usr/share/{doc,man,info,locale} "$root"/var/cache/apt/* "$root"/var/lib/apt/lists/*
	# a machine id: no first-boot prompts; no getty on the serial ports
	# (ttyS1 carries the command's output)
	echo 5d1f0ac3c2b24e5fa0e3a4d3c9a1b7e2 >"$root/etc/machine-id"
	local u
	for u in systemd-firstboot.service serial-getty@.service getty@.service \
		console-getty.service getty.target systemd-timesyncd.service apt-daily.timer \
		apt-daily-upgrade.timer e2scrub_all.timer fstrim.timer man-db.timer dpkg-db-backup.timer; do
		ln -sfn /dev/null "$root/etc/systemd/system/$u"
	done
	ln -sfn /lib/systemd/system/multi-user.target "$root/etc/systemd/system/default.target"
	(cd "$root" && find . -mindepth 1 | LC_ALL=C sort | cpio --quiet -o -H newc -R 0:0) >"$base.new"
	mv "$base.new" "$base"
	rm -rf "$root"
}

mkdir -p "$cache"
if [[ ! -s $base ]]; then
	exec 8>"$cache/.lock"
	flock 8
	[[ -s $base ]] || make_base
	exec 8>&-
fi

# container_variant: podman's setup and the pod's files in $rs, and an /init
# that gives systemd a real root (XDPCHAIN_CONTAINER)
container_variant() {
	mkdir -p "$rs/etc/containers" "$rs/var/lib/xdpchain-test/container" "$rs/sysroot"
	cat >"$rs/etc/containers/storage.conf" <<'EOF'
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# the test VM: no overlay module loaded for podman's storage
[storage]
driver = "vfs"
runroot = "/run/containers/storage"
graphroot = "/var/lib/containers/storage"
EOF
	cat >"$rs/etc/containers/containers.conf" <<'EOF'
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# the test VM. The cgroup manager stays systemd: with cgroupfs on cgroup
# v2 a pod's own cgroup denies every device, and crun's mknod of /dev/null
# in the pod's containers fails (EPERM).
[containers]
[engine]
cgroup_manager = "systemd"
events_logger = "file"
EOF
	# the images' storage: vfs copies every layer whole (an image, then
	# each container's)
	printf '%s\n' 'tmpfs /var/lib/containers tmpfs size=2560m,mode=0700 0 0' >>"$rs/etc/fstab"
	# podman's own units (auto-update, restart of restart=always
	# containers, the API socket) have nothing to do here and slow the boot
	local u
	for u in podman-auto-update.service podman-auto-update.timer podman-restart.service \
		podman.service podman.socket; do
		ln -sfn /dev/null "$rs/etc/systemd/system/$u"
	done
	cp "$XDPCHAIN_CONTAINER/images.tar" "$XDPCHAIN_CONTAINER/pod.yaml" "$rs/var/lib/xdpchain-test/container/"
	# the root: the initramfs (rootfs) is the mount namespace's first
	# mount, which pivot_root cannot move (crun: "pivot_root: Invalid
	# argument"); on a tmpfs it can, as on a disk
	cat >"$rs/init" <<'EOF'
#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# the initramfs copied onto a tmpfs, which becomes the root (switch_root
# empties the initramfs), then systemd as PID 1
shopt -s dotglob
mount -t tmpfs -o mode=0755 root /sysroot || exec /lib/systemd/systemd
for e in /*; do
	case $e in /sysroot | /proc | /sys | /dev | /init) ;; *) cp -a "$e" /sysroot/ ;; esac
done
mkdir -p /sysroot/proc /sysroot/sys /sysroot/dev
ln -s /lib/systemd/systemd /sysroot/init
exec /usr/sbin/switch_root /sysroot /lib/systemd/systemd
EOF
	chmod 755 "$rs/init"
}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/xdpchain-sdimage.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
rs=$tmp/root
mkdir -p "$rs"/{etc/systemd/system/sysinit.target.wants,etc/systemd/system/multi-user.target.wants}
mkdir -p "$rs"/{vmrun,xdpchain,usr/local/lib/xdpchain-test,etc/xdpchain,var/lib/prometheus/node-exporter}

# xdpchain as a user installs it (binary, units, udev rule, man page)
make -C "$repo" --no-print-directory -s install DESTDIR="$rs" >/dev/null
ln -s /usr/local/lib/systemd/system/xdpchain.service \
	"$rs/etc/systemd/system/sysinit.target.wants/xdpchain.service"
mkdir -p "$rs/usr/lib"
cp -a "$kdir/modules/lib/modules" "$rs/usr/lib/"
[[ -n ${XDPCHAIN_CONTAINER:-} ]] || ln -s /lib/systemd/systemd "$rs/init"

# the repo payload the tests run from
cp -a "$repo/tests" "$repo/bpf" "$repo/Makefile" "$rs/xdpchain/"
mkdir -p "$rs/xdpchain/.output"
cp -a "$repo/.output/bin" "$repo/.output/bpf" "$repo/.output/tests" "$rs/xdpchain/.output/"
rm -f "$rs"/xdpchain/.output/bin/*.d
cp "$repo"/.output/bpf/*.o "$rs/usr/local/lib/xdpchain-test/"

cat >"$rs/etc/xdpchain/chains.conf" <<EOF
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# restored at boot by xdpchain.service (tests/vm/systemd-image.sh)
version: 1
interfaces:
  xsa:
    mode: skb
    programs:
      - object: "/usr/local/lib/xdpchain-test/count.o"
        priority: 10
  xsc:
    mode: skb
    programs:
      - object: "/usr/local/lib/xdpchain-test/drop.o"
        priority: 20
EOF

cat >"$rs/etc/systemd/system/xdpchain-test-veth.service" <<'EOF'
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# A veth pair present at boot, before xdpchain.service restores its chain.
[Unit]
DefaultDependencies=no
After=systemd-udevd.service systemd-modules-load.service
Before=xdpchain.service

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/sbin/ip link add xsa type veth peer name xsb
ExecStart=/sbin/ip link set xsa up
ExecStart=/sbin/ip link set xsb up
EOF
ln -s ../xdpchain-test-veth.service "$rs/etc/systemd/system/sysinit.target.wants/"

printf '%s\n' "$cmd" >"$rs/vmrun/cmd"
cat >"$rs/vmrun/run" <<EOF
#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
export HOME=/root TERM=dumb LANG=C.UTF-8
stty -F /dev/ttyS1 raw -echo 2>/dev/null
cd /xdpchain
(exec bash -c "\$(</vmrun/cmd)" </dev/null >/dev/ttyS1 2>&1)
echo "VMRUN-EXIT-$nonce=\$?" >/dev/console
sync
systemctl poweroff --force --force
EOF
chmod 755 "$rs/vmrun/run"
cat >"$rs/etc/systemd/system/xdpchain-vmrun.service" <<'EOF'
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# Runs the command of tests/vm/run.sh once the machine is up.
[Unit]
After=basic.target xdpchain.service network-pre.target

[Service]
Type=oneshot
ExecStart=/vmrun/run
StandardOutput=journal+console
EOF
ln -s ../xdpchain-vmrun.service "$rs/etc/systemd/system/multi-user.target.wants/"

[[ -z ${XDPCHAIN_CONTAINER:-} ]] || container_variant

runcpio=$tmp/run.cpio
(cd "$rs" && find . -mindepth 1 | LC_ALL=C sort | cpio --quiet -o -H newc -R 0:0) >"$runcpio"
cat "$base" "$runcpio" >"$initrd"
