#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# Installs the Debian packages xdpchain needs to build, test and run its VM.
# Idempotent: does nothing when everything is there; runs apt-get update once.
set -euo pipefail

pkgs=(
	build-essential clang llvm pkg-config bpftool clang-format
	libbpf-dev libxdp-dev xdp-tools libelf-dev zlib1g-dev libpcap-dev
	tcpdump tshark iproute2 jq ethtool tmux
	qemu-system-x86 cpio lz4 zstd xz-utils kmod
	libclang-rt-14-dev
)

missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
		missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "deps: missing packages: ${missing[*]}; run 'sudo make deps'" >&2
	exit 1
fi
echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
