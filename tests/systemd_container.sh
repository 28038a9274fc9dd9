# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# The DaemonSet's pod for real: deploy/container/Containerfile's image and
# deploy/k8s/daemonset.yaml's pod template, built on the host by
# tests/vm/container-images.sh (no registry), played by podman in the systemd
# VM ('podman kube play'), the container variant of its image (make
# container-test, tests/vm/container-suite.sh). The ConfigMap is a directory laid out as the
# kubelet lays out a ConfigMap volume (files are links through ..data, which
# an update swaps), mounted where the DaemonSet mounts it. Run by
# tests/vm/systemd-suite.sh; the tests share the pod (each starts it when it
# is not running), their names give their order.

CT_DIR=/var/lib/xdpchain-test/container
# the pod's ConfigMap volume (pod.yaml's hostPath; not under /tmp, which
# systemd mounts a tmpfs over)
CT_CM=/var/lib/xdpchain-test/configmap
CT_IF=xca
CT_SAMPLES=/usr/lib/xdpchain/samples
CT_POD=xdpchain
CT_CTR=xdpchain-xdpchain

# ct_configmap CHAINS_CONF: a new version of the ConfigMap, as the kubelet
# writes one: the files in a new timestamped directory, ..data swapped to it
# at once, the old directory removed
ct_configmap() {
	local v
	v=..$(date +%Y_%m_%d_%H_%M_%S).$RANDOM
	mkdir -p "$CT_CM/$v"
	printf '%s\n' "$1" >"$CT_CM/$v/chains.conf"
	ln -sfn "$v" "$CT_CM/..data_tmp"
	local old
	old=$(readlink "$CT_CM/..data" 2>/dev/null || true)
	mv -T "$CT_CM/..data_tmp" "$CT_CM/..data"
	[ -L "$CT_CM/chains.conf" ] || ln -s ..data/chains.conf "$CT_CM/chains.conf"
	[ -z "$old" ] || rm -rf "${CT_CM:?}/$old"
}

# ct_chain PROGRAM...: chains.conf with the image's samples PROGRAM on $CT_IF
ct_chain() {
	local p prio=10
	printf 'version: 1\ninterfaces:\n  %s:\n    mode: skb\n    programs:\n' $CT_IF
	for p in "$@"; do
		printf '      - object: "%s/%s.o"\n        priority: %d\n' $CT_SAMPLES "$p" $prio
		prio=$((prio + 5))
	done
}

# ct_log: the last lines of the entry script's log, one line
ct_log() {
	podman logs $CT_CTR 2>&1 | tail -5 | tr '\n' ' '
}

# ct_logged TEXT: the container's log holds TEXT (read whole first: grep -q
# ending early would fail podman logs' pipe under pipefail)
ct_logged() {
	local l
	l=$(podman logs $CT_CTR 2>&1)
	grep -qF -- "$1" <<<"$l"
}

# need_container: PID 1 systemd and the container variant's files (the
# boot suite's image has neither podman nor the pod)
need_container() {
	need_systemd
	[ -s $CT_DIR/pod.yaml ] || skip "not the container image (make container-test)"
}

# ct_why: what podman and the journal say about the pod's containers, one line
ct_why() {
	{
		podman ps -a --format '{{.Names}} {{.Status}}'
		podman logs $CT_CTR
		journalctl -q --no-pager -n 8 -t conmon -t podman -t crun
	} 2>&1 | tail -14 | tr '\n' ' '
}

# ct_pod_up: the pod running with the images loaded, $CT_IF there and the
# ConfigMap holding at least count
ct_pod_up() {
	[ -s $CT_DIR/images.tar ] || podman image exists localhost/xdpchain:latest ||
		fail "no $CT_DIR/images.tar: tests/vm/systemd-suite.sh puts tests/vm/container-images.sh's images there"
	if ! podman image exists localhost/xdpchain:latest; then
		podman load -q -i $CT_DIR/images.tar >/dev/null || fail "podman load of $CT_DIR/images.tar failed"
		# the VM's memory: the images are in podman's storage now
		rm -f $CT_DIR/images.tar
	fi
	ip link show $CT_IF >/dev/null 2>&1 || {
		ip link add $CT_IF type veth peer name xcb
		ip link set $CT_IF up
		ip link set xcb up
	}
	[ -e "$CT_CM/..data" ] || ct_configmap "$(ct_chain count)"
	[ "$(podman pod inspect $CT_POD --format '{{.State}}' 2>/dev/null)" = Running ] && return 0
	podman kube down $CT_DIR/pod.yaml >/dev/null 2>&1 || true
	local out
	out=$(podman kube play $CT_DIR/pod.yaml 2>&1) || fail "podman kube play: $(echo "$out" | tail -3 | tr '\n' ' '); $(ct_why)"
}

# The pod applies the ConfigMap's chains when it starts.
test_container_a_pod_start_applies() {
	need_container
	podman kube down $CT_DIR/pod.yaml >/dev/null 2>&1 || true
	ip link del $CT_IF 2>/dev/null || true
	rm -rf "${CT_CM:?}"/* "$CT_CM"/..?*
	ct_pod_up
	until_chain $CT_IF "xdpchain_count xdpchain_final" 300 ||
		fail "no chain from the pod on $CT_IF: '$(members $CT_IF)'; $(ct_why)"
	ct_logged "applied /etc/xdpchain: changed $CT_IF" ||
		fail "the pod's log says no apply of $CT_IF: $(ct_log)"
}

# A change of the ConfigMap (..data swapped) is applied by the running pod.
test_container_b_configmap_change_applies() {
	need_container
	ct_pod_up
	until_chain $CT_IF "xdpchain_count xdpchain_final" 300 ||
		fail "no chain from the pod on $CT_IF: '$(members $CT_IF)'; $(ct_why)"
	ct_configmap "$(ct_chain count passlog)"
	# the DaemonSet's XDPCHAIN_INTERVAL is 10 s
	until_chain $CT_IF "xdpchain_count xdpchain_passlog xdpchain_final" 300 ||
		fail "ConfigMap change not applied: '$(members $CT_IF)'; $(ct_why)"
	ct_logged '/etc/xdpchain changed, applying it' ||
		fail "the pod's log says no change: $(ct_log)"
}

# SIGTERM (the pod stopped, then taken down) leaves the chains in place,
# the same programs, and the entry script exits 0.
test_container_c_sigterm_leaves_chain() {
	need_container
	ct_pod_up
	defer "$SD_XDPCHAIN flush $CT_IF"
	# the chain of the start, or of the change container_b made
	local ids names rc end=$((SECONDS + 300))
	until names=$(members $CT_IF); [ "$names" = "xdpchain_count xdpchain_final" ] ||
		[ "$names" = "xdpchain_count xdpchain_passlog xdpchain_final" ]; do
		[ $SECONDS -lt $end ] || fail "no chain from the pod on $CT_IF: '$names'; $(ct_why)"
		sleep 0.2
	done
	ids=$("$SD_XDPCHAIN" -j status $CT_IF | jq -c '[.programs[].id]')
	podman pod stop -t 30 $CT_POD >/dev/null || fail "podman pod stop failed"
	rc=$(podman inspect $CT_CTR --format '{{.State.ExitCode}}')
	[ "$rc" = 0 ] || fail "the entry script exited $rc on SIGTERM; $(ct_why)"
	ct_logged 'stopped; the chains stay in place' ||
		fail "no stop line in the pod's log: $(ct_why)"
	podman kube down $CT_DIR/pod.yaml >/dev/null || fail "podman kube down failed"
	[ "$(members $CT_IF)" = "$names" ] || fail "after the pod went, $CT_IF has '$(members $CT_IF)', had '$names'"
	[ "$("$SD_XDPCHAIN" -j status $CT_IF | jq -c '[.programs[].id]')" = "$ids" ] ||
		fail "after the pod went, $CT_IF's programs are others (ids $ids before)"
}
