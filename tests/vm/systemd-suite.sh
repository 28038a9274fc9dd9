#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# tests/vm/systemd-suite.sh [KERNEL] [TEST...]
#
# Boots Debian 12 with systemd as PID 1 on KERNEL (default 6.1) with
# xdpchain installed as 'make install' installs it (tests/vm/systemd-image.sh)
# and runs tests/systemd_*.sh there: the chains restored at boot, a late and
# a returning interface, reload, the metrics unit, all under the units'
# hardening. Prints PASS/FAIL lines and "N passed, N failed".
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
kernel=${1:-6.1}
shift || true
# the tests' names are words: quoting keeps them so inside the guest's shell
tests=
if (($#)); then tests=$(printf ' %q' "$@"); fi
VM_IMAGE=$here/systemd-image.sh exec bash "$here/run.sh" --kernel "$kernel" --mem 2048 --timeout 1200 \
	-- "bash tests/run.sh --systemd$tests"
