# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# xdpchain under a real systemd: a Debian 12 machine booted with systemd as
# PID 1 and xdpchain installed by 'make install' (tests/vm/systemd-image.sh
# says what it holds at boot). Run by tests/vm/systemd-suite.sh; these tests
# use the installed binary and units, as a user's machine would.

CONF=/etc/xdpchain/chains.conf

# At boot xdpchain.service restored xsa's chain from /etc/xdpchain, under
# its hardening (the file system read-only, capabilities bounded).
test_boot_chain_restored() {
	need_systemd
	[ "$(systemctl is-active xdpchain.service)" = active ] ||
		fail "xdpchain.service: $(systemctl status xdpchain.service --no-pager 2>&1 | tail -5)"
	[ "$(members xsa)" = "xdpchain_count xdpchain_final" ] || fail "xsa's chain after boot: '$(members xsa)'"
	local p
	p=$(systemctl show xdpchain.service -p ProtectSystem -p NoNewPrivileges -p CapabilityBoundingSet)
	echo "$p" | grep -qx 'ProtectSystem=strict' || fail "not hardened: $p"
	echo "$p" | grep -qx 'NoNewPrivileges=yes' || fail "not hardened: $p"
	echo "$p" | grep -q 'CapabilityBoundingSet=.*cap_bpf' || fail "capabilities: $p"
	echo "$p" | grep -q 'cap_sys_module\|cap_dac_override' && fail "capabilities not bounded: $p"
	systemd-analyze security xdpchain.service 2>&1 | grep -Eq 'Overall exposure level.*(PERFECT|SAFE|OK)' ||
		fail "$(systemd-analyze security xdpchain.service 2>&1 | tail -1)"
	[ -z "$(systemctl --failed --no-legend --plain | grep xdpchain)" ] ||
		fail "failed units: $(systemctl --failed --no-legend --plain)"
}

# An interface that appears after boot gets its chain through the udev rule
# and xdpchain@.service; when it goes away and comes back, it gets it again.
test_boot_late_interface_returns() {
	need_systemd
	[ -z "$(members xsc)" ] || fail "xsc has a chain before it exists: $(members xsc)"
	ip link add xsc type veth peer name xsd
	defer "ip link del xsc"
	until_chain xsc "xdpchain_drop xdpchain_final" 60 ||
		fail "late xsc got no chain: '$(members xsc)'; $(journalctl -b -u 'xdpchain@*' --no-pager | tail -5)"
	ip link del xsc
	ip link add xsc type veth peer name xsd
	until_chain xsc "xdpchain_drop xdpchain_final" 60 ||
		fail "returning xsc got no chain: '$(members xsc)'; $(journalctl -b -u 'xdpchain@*' --no-pager | tail -5)"
	[ -z "$(systemctl --failed --no-legend --plain | grep xdpchain)" ] ||
		fail "failed units: $(systemctl --failed --no-legend --plain)"
}

# 'systemctl reload xdpchain' applies what changed in /etc/xdpchain.
test_boot_reload_applies() {
	need_systemd
	cp "$CONF" /tmp/chains.conf.orig
	defer "cp /tmp/chains.conf.orig $CONF; systemctl reload xdpchain.service"
	sed '/^  xsa:/,/^  xsc:/{s|^  xsc:|      - object: "/usr/local/lib/xdpchain-test/passlog.o"\n        priority: 15\n  xsc:|}' \
		/tmp/chains.conf.orig >"$CONF"
	grep -q passlog.o "$CONF" || fail "could not edit $CONF (test is void): $(cat "$CONF")"
	systemctl reload xdpchain.service || fail "reload: $(journalctl -b -u xdpchain --no-pager | tail -3)"
	until_chain xsa "xdpchain_count xdpchain_passlog xdpchain_final" 5 ||
		fail "after reload xsa has '$(members xsa)'; $(journalctl -b -u xdpchain --no-pager | tail -3)"
	[ "$(systemctl is-active xdpchain.service)" = active ] || fail "xdpchain.service went $(systemctl is-active xdpchain.service)"
}

# xdpchain-metrics.service writes the file node_exporter reads, whole.
test_boot_metrics_unit() {
	need_systemd
	local d=/var/lib/prometheus/node-exporter
	systemctl start xdpchain-metrics.service ||
		fail "xdpchain-metrics.service: $(journalctl -b -u xdpchain-metrics --no-pager | tail -3)"
	grep -q '^xdpchain_' "$d/xdpchain.prom" || fail "no metrics in $d/xdpchain.prom: $(head -3 "$d/xdpchain.prom")"
	grep -q 'interface="xsa"' "$d/xdpchain.prom" || fail "no series of xsa: $(head -5 "$d/xdpchain.prom")"
	[ -z "$(find "$d" -name '*.tmp*')" ] || fail "temporary files left: $(ls -a "$d")"
}
