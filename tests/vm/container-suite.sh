#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# tests/vm/container-suite.sh [KERNEL] [TEST...]      (make container-test)
#
# The DaemonSet's pod under podman in the systemd VM
# (tests/systemd_container.sh): its images built on the host first by
# tests/vm/container-images.sh (cached), then the container variant of
# tests/vm/systemd-image.sh (podman, D-Bus, a tmpfs root; a base of its own)
# booted on KERNEL (default 6.1). Without TEST, the container tests alone.
# Prints PASS/FAIL lines and "N passed, N failed".
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
kernel=${1:-6.1}
shift || true
(($#)) || set -- systemd_container
# the tests' names are words: quoting keeps them so inside the guest's shell
tests=$(printf ' %q' "$@")
XDPCHAIN_CONTAINER=$(bash "$here/container-images.sh") ||
	{ echo "container-suite.sh: tests/vm/container-images.sh failed: no images to play" >&2; exit 2; }
export XDPCHAIN_CONTAINER
VM_IMAGE=$here/systemd-image.sh exec bash "$here/run.sh" --kernel "$kernel" --mem 3584 --timeout 1500 \
	-- "bash tests/run.sh --systemd$tests"
