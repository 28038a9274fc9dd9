#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# make demo: runs tests/demo_chain.sh here when this kernel allows freplace,
# else inside the VM on Debian's 6.1 cloud kernel.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
if "$ROOT/.output/bin/xdpchain" -j features | jq -e .freplace >/dev/null; then
	exec bash "$ROOT/tests/demo_chain.sh"
fi
echo "This kernel refuses freplace (see 'xdpchain features'): running the demo in a VM"
echo "booting Debian's ${KERNEL:-6.1} cloud kernel under qemu..."
VM_EXTRA_BINS="flock mountpoint diff find awk ethtool" \
	exec bash "$ROOT/tests/vm/run.sh" --kernel "${KERNEL:-6.1}" -- "bash tests/demo_chain.sh"
