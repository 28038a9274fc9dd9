#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# Usage: tests/vm/container-images.sh     prints the directory it made
#
# The DaemonSet's images built for real on this host with podman, no
# registry, for the pod tests in the systemd VM (tests/systemd_container.sh,
# which tests/vm/systemd-suite.sh runs):
#   images.tar         two images: deploy/container/Containerfile built for
#                      real (both stages: Debian's packages, make, the
#                      runtime image) as xdpchain:latest, and the DaemonSet's
#                      metrics sidecar, Debian's prometheus-node-exporter
#                      standing in for the upstream image (same name and
#                      tag, same arguments)
#   pod.yaml           deploy/k8s/daemonset.yaml's pod template as a Pod:
#                      Debian 12's podman (4.3) plays Pods, not DaemonSets
#                      (and no containerPort beside hostNetwork); the
#                      ConfigMap volume a hostPath directory the test lays
#                      out as the kubelet does (podman would copy a
#                      ConfigMap once and never update it)
# The base both images start FROM (docker.io/library/debian:12-slim) is a
# debootstrap of bookworm imported into podman. Everything is cached under
# ${XDPCHAIN_VM_CACHE:-/var/cache/xdpchain-vm}/container, keyed by the
# content of what goes into it.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
prog=container-images.sh
die() { echo "$prog: $*" >&2; exit 1; }
cache=${XDPCHAIN_VM_CACHE:-/var/cache/xdpchain-vm}/container
mirror=${XDPCHAIN_DEBIAN_MIRROR:-http://deb.debian.org/debian}
base_ref=docker.io/library/debian:12-slim
sidecar_ref=$(awk '/image: .*node-exporter/ {print $2}' "$repo/deploy/k8s/daemonset.yaml")
[[ -n $sidecar_ref ]] || die "no node-exporter image in deploy/k8s/daemonset.yaml"
command -v podman >/dev/null || die "no podman: apt-get install podman"

key=$(cd "$repo" && find Makefile bpf dispatcher src deploy/container deploy/k8s LICENSES \
	tests/vm/container-images.sh -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum |
	sha256sum | cut -c1-16)
out=$cache/$key
if [[ -s $out/images.tar && -s $out/pod.yaml ]]; then
	echo "$out"
	exit 0
fi
mkdir -p "$cache"
exec 8>"$cache/.lock"
flock 8

if ! podman image exists "$base_ref"; then
	echo "$prog: debootstrap bookworm as $base_ref (once)" >&2
	rm -rf "$cache/root"
	debootstrap --variant=minbase bookworm "$cache/root" "$mirror" >"$cache/debootstrap.log" 2>&1 ||
		die "debootstrap failed; see $cache/debootstrap.log"
	rm -rf "$cache"/root/var/lib/apt/lists/* "$cache"/root/var/cache/apt/*.bin \
		"$cache"/root/usr/share/{doc,man,info,locale}
	tar -C "$cache/root" -c . | podman import - "$base_ref" >/dev/null
	rm -rf "$cache/root"
fi

rm -rf "$out.new"
mkdir -p "$out.new"
echo "$prog: building deploy/container/Containerfile (a few minutes)" >&2
# host network: the build stage's apt-get reaches Debian's mirror as the host does;
# chroot isolation: no OCI runtime, which may not run under the host's
# cgroups (crun refuses a hybrid v1/v2 hierarchy); squashed: one layer an
# image, as the VM's storage (vfs: no overlay over its tmpfs root) copies
# every layer whole
podman build --isolation chroot --network host --pull=never --squash-all -f "$repo/deploy/container/Containerfile" \
	-t localhost/xdpchain:latest "$repo" >"$out.new/build.log" 2>&1 ||
	die "podman build failed; see $out.new/build.log"
podman build --isolation chroot --network host --pull=never --squash-all -t "$sidecar_ref" - >"$out.new/sidecar.log" 2>&1 <<EOF ||
FROM $base_ref
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
	prometheus-node-exporter && rm -rf /var/lib/apt/lists/*
USER 65534
ENTRYPOINT ["/usr/bin/prometheus-node-exporter"]
EOF
	die "podman build of the sidecar failed; see $out.new/sidecar.log"
podman save -q -m -o "$out.new/images.tar" localhost/xdpchain:latest "$sidecar_ref"
python3 - "$repo/deploy/k8s/daemonset.yaml" >"$out.new/pod.yaml" <<'EOF'
import sys, yaml
ds = yaml.safe_load(open(sys.argv[1]))
assert ds["kind"] == "DaemonSet"
tmpl = ds["spec"]["template"]
meta = dict(tmpl.get("metadata", {}))
meta["name"] = ds["metadata"]["name"]
pod = {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": tmpl["spec"]}
# on the host's network a containerPort is the host's port already; podman
# 4.3 refuses port mappings there ("can only be used with Bridge")
if pod["spec"].get("hostNetwork"):
    for c in pod["spec"]["containers"]:
        c.pop("ports", None)
for v in pod["spec"]["volumes"]:
    if "configMap" in v:
        del v["configMap"]
        v["hostPath"] = {"path": "/var/lib/xdpchain-test/configmap", "type": "Directory"}
yaml.safe_dump(pod, sys.stdout, sort_keys=False)
EOF
rm -rf "$out"
mv "$out.new" "$out"
# what older trees built: only this cache's own key directories
find "$cache" -mindepth 1 -maxdepth 1 -type d -regextype egrep -regex '.*/[0-9a-f]{16}(\.new)?' \
	! -name "$key" -exec rm -rf {} +
echo "$out"
