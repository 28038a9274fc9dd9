#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# Installs the Debian packages xdpchain needs to build, test and run its VM.
# Idempotent: does nothing when everything is there; runs apt-get update once.
# Every name exists in Debian 12 and 13 (and unstable): no versioned names
# (libclang-rt-dev, not libclang-rt-14-dev).
#
#   tests/deps.sh                  install what is missing of all groups
#   tests/deps.sh --list GROUP...  print the packages of the groups
#
# Groups: build (compile xdpchain and its tests), run (what the tests and the
# VM guest run), vm (the host side of the VM harness and its distribution
# chroots), check (what only the tests read and check with), container
# (podman: builds deploy/container's image on the host, tests/vm/container-
# images.sh, and plays the DaemonSet's pod in the systemd VM, whose image
# installs this same list).
set -euo pipefail

build_pkgs=(
	build-essential clang llvm pkg-config bpftool clang-format libclang-rt-dev
	libbpf-dev libxdp-dev libelf-dev zlib1g-dev libpcap-dev libyaml-dev nettle-dev
)
run_pkgs=(xdp-tools tcpdump iproute2 jq ethtool tmux)
# what only the tests read and check with (not xdpchain's VM userland):
# man-db (and its groff-base) renders the man page, minbase chroots lack
# it; the metrics tests carry promtool and node_exporter into the 6.1/6.12
# VMs; yamllint and python3-yaml check deploy/k8s (tests/host_deploy.sh);
# valgrind counts the startup bench's instructions (tests/bench/startup.sh);
# gojq is the VM tests' jq in Debian 12 guests (tests/vm/suite.sh)
check_pkgs=(tshark man-db prometheus prometheus-node-exporter curl yamllint python3-yaml valgrind gojq)
vm_pkgs=(qemu-system-x86 cpio lz4 zstd xz-utils kmod debootstrap)
# podman and its OCI runtime; catatonit is the init of the pod's infra
# container (podman builds its pause image from it, no registry);
# containernetworking-plugins is the network stack podman's common files
# need (debootstrap, which makes the VM's root, resolves no virtual package)
container_pkgs=(podman crun conmon catatonit containernetworking-plugins)

if [ "${1:-}" = --list ]; then
	shift
	for g in "$@"; do
		case "$g" in
		build) printf '%s\n' "${build_pkgs[@]}" ;;
		run) printf '%s\n' "${run_pkgs[@]}" ;;
		vm) printf '%s\n' "${vm_pkgs[@]}" ;;
		check) printf '%s\n' "${check_pkgs[@]}" ;;
		container) printf '%s\n' "${container_pkgs[@]}" ;;
		*) echo "deps: unknown group '$g' (build, run, vm, check, container)" >&2; exit 2 ;;
		esac
	done
	exit 0
fi

pkgs=("${build_pkgs[@]}" "${run_pkgs[@]}" "${vm_pkgs[@]}" "${check_pkgs[@]}" "${container_pkgs[@]}")
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
