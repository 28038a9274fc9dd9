# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# Host tests of deploy/container and deploy/k8s: what can be checked without
# a container engine or a cluster. The entry script itself runs in the VM
# (vm_deploy.sh). Debian has no Kubernetes schema validator (no kubeconform,
# kubeval): the manifests are linted with yamllint and their structure, and
# how they fit the image and the entry script, checked with python3-yaml.

# The manifests: valid YAML by yamllint, and a DaemonSet that does what
# docs/fleet.md's "Fleets" says, consistent with the ConfigMap, the kustomization
# and the image.
test_deploy_manifests() {
	python3 -c 'import yaml' 2>/dev/null || skip "no python3-yaml (tests/deps.sh check group)"
	if command -v yamllint >/dev/null; then
		yamllint -s -d '{extends: default, rules: {line-length: {max: 100}, document-start: disable}}' \
			"$ROOT/deploy/k8s" >"$TEST_TMP/lint" 2>&1 || fail "yamllint: $(cat "$TEST_TMP/lint")"
	fi
	python3 - "$ROOT" >"$TEST_TMP/check" 2>&1 <<-'EOF' || fail "$(tail -1 "$TEST_TMP/check")"
		import os, re, sys, yaml
		root = sys.argv[1]
		k8s = os.path.join(root, "deploy/k8s")
		def need(cond, what):
		    if not cond:
		        sys.exit("deploy/k8s: " + what)
		docs = {}
		for f in sorted(os.listdir(k8s)):
		    if not f.endswith(".yaml"):
		        continue
		    text = open(os.path.join(k8s, f)).read()
		    need(text.startswith("# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause\n"), f + ": no SPDX line")
		    for d in yaml.safe_load_all(text):
		        need(isinstance(d, dict) and d.get("kind") and d.get("apiVersion"), f + ": a document without kind/apiVersion")
		        docs[d["kind"]] = d
		need({"Namespace", "ConfigMap", "DaemonSet", "Kustomization"} <= set(docs), "kinds: %s" % sorted(docs))
		kz = docs["Kustomization"]
		for r in kz["resources"]:
		    need(os.path.exists(os.path.join(k8s, r)), "kustomization names a missing " + r)
		ns = docs["Namespace"]["metadata"]["name"]
		need(docs["Namespace"]["metadata"]["labels"].get("pod-security.kubernetes.io/enforce") == "privileged",
		     "the namespace does not allow privileged pods")
		ds, cm = docs["DaemonSet"], docs["ConfigMap"]
		need(ds["apiVersion"] == "apps/v1", "DaemonSet apiVersion " + ds["apiVersion"])
		need(ds["metadata"]["namespace"] == ns and cm["metadata"]["namespace"] == ns, "namespaces differ")
		sel = ds["spec"]["selector"]["matchLabels"]
		tpl = ds["spec"]["template"]
		need(sel.items() <= tpl["metadata"]["labels"].items(), "the selector does not match the pod labels")
		pod = tpl["spec"]
		need(pod.get("hostNetwork") is True, "not hostNetwork")
		need({"operator": "Exists"} in pod.get("tolerations", []), "does not tolerate every taint")
		vols = {v["name"]: v for v in pod["volumes"]}
		ctrs = {c["name"]: c for c in pod["containers"]}
		x, ne = ctrs["xdpchain"], ctrs["metrics"]
		need(x["image"] in [i["name"] for i in kz["images"]], "the image is not the kustomization's")
		need(x["securityContext"].get("privileged") is True, "xdpchain not privileged")
		for c in ctrs.values():
		    need(c.get("resources", {}).get("limits", {}).keys() >= {"cpu", "memory"}, c["name"] + ": no limits")
		mounts = {m["mountPath"]: m for m in x["volumeMounts"]}
		env = {e["name"]: e["value"] for e in x["env"]}
		bpf = mounts.get("/sys/fs/bpf")
		need(bpf and vols[bpf["name"]].get("hostPath", {}).get("path") == "/sys/fs/bpf", "host's bpffs not mounted")
		need(bpf.get("mountPropagation") == "Bidirectional", "bpffs mount not Bidirectional")
		lock = mounts.get("/run/xdpchain")
		need(lock and vols[lock["name"]].get("hostPath", {}).get("path") == "/run/xdpchain", "the host's lock dir not mounted")
		conf = mounts.get(env["XDPCHAIN_CONFIG_DIR"])
		need(conf and vols[conf["name"]].get("configMap", {}).get("name") == cm["metadata"]["name"],
		     "XDPCHAIN_CONFIG_DIR is not the ConfigMap's mount")
		need("subPath" not in conf, "a subPath mount never sees ConfigMap updates")
		tf = mounts.get(env["XDPCHAIN_TEXTFILE_DIR"])
		need(tf and "emptyDir" in vols[tf["name"]], "XDPCHAIN_TEXTFILE_DIR is not an emptyDir mount")
		need(any(m["name"] == tf["name"] for m in ne["volumeMounts"]), "node_exporter does not see the textfile dir")
		ne_dir = [m["mountPath"] for m in ne["volumeMounts"] if m["name"] == tf["name"]][0]
		need("--collector.textfile.directory=" + ne_dir in ne["args"], "node_exporter reads another directory")
		port = [a.split(":")[-1] for a in ne["args"] if a.startswith("--web.listen-address=")]
		ann = tpl["metadata"]["annotations"]
		need(ann.get("prometheus.io/scrape") == "true", "no prometheus.io/scrape annotation")
		need(port and port[0] == ann.get("prometheus.io/port") == str(ne["ports"][0]["containerPort"]),
		     "listen port, annotation and containerPort differ")
		need(re.match(r"^[1-9][0-9]*$", env["XDPCHAIN_INTERVAL"]), "XDPCHAIN_INTERVAL")
		need(cm["data"] and all(k.endswith(".conf") for k in cm["data"]), "ConfigMap keys are not *.conf")
	EOF
}

# The example ConfigMap's chain file is one apply takes: its dry run, the
# image's sample path pointed at the build's samples, on an eth0 of its own (veth).
test_deploy_configmap_example_applies() {
	python3 -c 'import yaml' 2>/dev/null || skip "no python3-yaml (tests/deps.sh check group)"
	local d=$TEST_TMP/cm out
	mkdir "$d"
	python3 -c '
import sys, yaml
for doc in yaml.safe_load_all(open(sys.argv[1])):
    for k, v in doc["data"].items():
        open(sys.argv[2] + "/" + k, "w").write(v.replace("/usr/lib/xdpchain/samples/", sys.argv[3] + "/"))
' "$ROOT/deploy/k8s/configmap.yaml" "$d" "$SAMPLES" || fail "cannot read configmap.yaml"
	ip link add eth0 type veth peer name eth0p
	# exit 3: would change; 4: would, but this kernel cannot build chains
	local rc=0
	out=$(xdpchain apply --dry-run "$d" 2>&1) || rc=$?
	[ $rc -eq 3 ] || [ $rc -eq 4 ] || fail "apply --dry-run of the example: exit $rc: $out"
	echo "$out" | grep -q "^eth0: add    xdpchain_count from $SAMPLES/count.o" || fail "plan: $out"
}

# The Containerfile builds what it copies and installs what xdpchain links:
# every library the binary needs (readelf NEEDED, and the sonames it
# dlopen()s) comes from a package of the runtime stage, the build stage's
# packages are tests/deps.sh's build group, and ENTRYPOINT is the entry
# script it copies.
test_deploy_containerfile() {
	local cf=$ROOT/deploy/container/Containerfile lib pkg run build p
	head -1 "$cf" | grep -qx '# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause' || fail "no SPDX line"
	[ "$(grep -c '^FROM docker.io/library/debian:12-slim' "$cf")" = 2 ] || fail "not two Debian 12 slim stages"
	# the packages of each 'apt-get install' (continuation lines joined)
	mapfile -t lists < <(sed -e ':a' -e '/\\$/N; s/\\\n//; ta' "$cf" |
		sed -n 's/.*apt-get install -y --no-install-recommends \([^&]*\).*/\1/p')
	[ ${#lists[@]} = 2 ] || fail "want two apt-get install lines, found ${#lists[@]}"
	build=" $(echo ${lists[0]}) " run=" $(echo ${lists[1]}) "
	for p in $build; do
		bash "$ROOT/tests/deps.sh" --list build | grep -qx "$p" || fail "build stage's $p is not in deps.sh's build group"
	done
	# and those it loads where they are used (dlopen: src/'s *_SONAME)
	for lib in $(readelf -d "$ROOT/.output/bin/xdpchain" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p') \
		$(sed -n 's/^#define [A-Z_]*_SONAME "\(.*\)".*/\1/p' "$ROOT"/src/*/*.[ch]); do
		pkg=$(dpkg -S "*/$lib" 2>/dev/null | grep -v -- '-dev' | head -1 | cut -d: -f1)
		[ -n "$pkg" ] || fail "no package has $lib"
		# Debian 13 and later renamed some for 64-bit time: the image is 12's
		pkg=${pkg%t64}
		[ "$pkg" = libc6 ] && continue
		[[ $run == *" $pkg "* ]] || fail "xdpchain needs $lib from $pkg; the runtime stage installs$run"
	done
	for p in $(sed -n 's/^COPY \([^-][^ ]*\) .*/\1/p' "$cf"); do
		[ -e "$ROOT/$p" ] || fail "COPY $p: no such file in the repository"
	done
	grep -q '^COPY deploy/container/entrypoint.sh /usr/local/bin/xdpchain-entrypoint$' "$cf" || fail "entry script copied elsewhere"
	grep -qx 'ENTRYPOINT \["/usr/local/bin/xdpchain-entrypoint"\]' "$cf" || fail "ENTRYPOINT"
	grep -q '^COPY --from=build /src/.output/bin/xdpchain /usr/local/sbin/xdpchain$' "$cf" || fail "binary path"
	grep -q '^XDPCHAIN=${XDPCHAIN:-/usr/local/sbin/xdpchain}$' "$ROOT/deploy/container/entrypoint.sh" ||
		fail "the entry script looks for xdpchain elsewhere than the image puts it"
	[ -x "$ROOT/deploy/container/entrypoint.sh" ] || fail "entrypoint.sh not executable"
	bash -n "$ROOT/deploy/container/entrypoint.sh" || fail "entrypoint.sh: syntax"
	if command -v shellcheck >/dev/null; then
		shellcheck "$ROOT/deploy/container/entrypoint.sh" >"$TEST_TMP/sc" 2>&1 || fail "shellcheck: $(cat "$TEST_TMP/sc")"
	fi
}

# ep_fake FAILS MSG: a stand-in xdpchain for the entry script whose first
# FAILS applies fail with MSG (one line, exit 1); later ones report xa and
# xc changed, xb unchanged. Every apply is counted in $TEST_TMP/applies.
ep_fake() {
	local f=$TEST_TMP/fake-xdpchain
	cat >"$f" <<-EOF2
		#!/bin/bash
		[ "\$1" = apply ] || exit 0
		echo x >>"$TEST_TMP/applies"
		if [ "\$(grep -c . "$TEST_TMP/applies")" -le $1 ]; then
			echo "xdpchain apply: $2" >&2
			exit 1
		fi
		printf 'xa: add    xdpchain_count\nxa: changed\nxb: unchanged\nxc: remove xdpchain_drop\nxc: changed\n'
	EOF2
	chmod +x "$f"
	: >"$TEST_TMP/applies"
	mkdir -p "$TEST_TMP/cfg"
	echo "version: 1" >"$TEST_TMP/cfg/chains.conf"
}

# ep_run: the entry script on the fake, in the background (EP_PID), with
# no metrics; stderr in $TEST_TMP/ep.err.
ep_run() {
	XDPCHAIN=$TEST_TMP/fake-xdpchain XDPCHAIN_CONFIG_DIR=$TEST_TMP/cfg \
		XDPCHAIN_STAGE_DIR=$TEST_TMP/stage XDPCHAIN_TEXTFILE_DIR='' XDPCHAIN_BPFFS=$BPFFS \
		XDPCHAIN_INTERVAL=3600 bash "$ROOT/deploy/container/entrypoint.sh" \
		>"$TEST_TMP/ep.out" 2>"$TEST_TMP/ep.err" &
	EP_PID=$!
	defer "kill $EP_PID"
}

# The entry script tries an apply that failed for a passing reason (the
# chain lock held by another xdpchain: 'retry') again, logs the
# interfaces it changed; one that failed for good is not tried again and
# the script exits 1 with its one line.
test_deploy_entrypoint_retries_apply() {
	local rc=0
	ep_fake 1 "another xdpchain is changing a chain (it held /run/xdpchain/chain.lock for 10 s); wait for it to finish and retry"
	ep_run
	for _ in $(seq 200); do
		grep -q "checking it every" "$TEST_TMP/ep.err" && break
		kill -0 $EP_PID 2>/dev/null || fail "the script exited: $(cat "$TEST_TMP/ep.err")"
		sleep 0.05
	done
	grep -q "checking it every" "$TEST_TMP/ep.err" || fail "not started: $(cat "$TEST_TMP/ep.err")"
	[ "$(grep -c . "$TEST_TMP/applies")" = 2 ] || fail "$(grep -c . "$TEST_TMP/applies") applies, wanted 2"
	grep -q "^xdpchain-entrypoint: apply of $TEST_TMP/cfg failed (exit 1), trying again in 1 s: .*retry$" \
		"$TEST_TMP/ep.err" || fail "no retry line: $(cat "$TEST_TMP/ep.err")"
	grep -qx "xdpchain-entrypoint: applied $TEST_TMP/cfg: changed xa xc" "$TEST_TMP/ep.err" ||
		fail "changed interfaces not logged: $(cat "$TEST_TMP/ep.err")"
	kill -TERM $EP_PID
	wait $EP_PID || rc=$?
	[ $rc -eq 0 ] || fail "exit $rc on SIGTERM"
	# a failure for good: one line, one try, exit 1
	ep_fake 9 "loading 'xdp_test_reject' into the new chain on xb failed: Permission denied; nothing was changed: xa was rolled back to its previous chain"
	rc=0
	ep_run
	wait $EP_PID || rc=$?
	[ $rc -eq 1 ] || fail "exit $rc, wanted 1: $(cat "$TEST_TMP/ep.err")"
	[ "$(grep -c . "$TEST_TMP/applies")" = 1 ] || fail "a failure for good was tried again"
	[ "$(grep -c . "$TEST_TMP/ep.err")" -eq 1 ] || fail "more than one line: $(cat "$TEST_TMP/ep.err")"
	grep -q "xa was rolled back" "$TEST_TMP/ep.err" || fail "said: $(cat "$TEST_TMP/ep.err")"
}

# The entry script writes its metrics with 'metrics -o': in a textfile
# directory another user controls (a sidecar's; here nobody's), links that
# user planted at the temporary names are never written through; the file
# holds xdpchain's metrics and the apply gauges. Runs on the host: an empty
# configuration applies without freplace.
test_deploy_entrypoint_metrics_safe() {
	mountpoint -q "$BPFFS" || mount -t bpf bpf "$BPFFS"
	local d=/tmp/textfile f=/tmp/textfile/xdpchain.prom pid i
	mkdir "$TEST_TMP/cm"
	echo secret >/tmp/rootonly
	chmod 600 /tmp/rootonly
	mkdir -m 755 $d
	chown 65534:65534 $d
	as_nobody ln -s /tmp/rootonly $d/.xdpchain.prom.tmp
	as_nobody ln -s /tmp/rootonly $d/xdpchain.prom.tmp
	XDPCHAIN=$XDPCHAIN XDPCHAIN_CONFIG_DIR=$TEST_TMP/cm XDPCHAIN_TEXTFILE_DIR=$d \
		XDPCHAIN_STAGE_DIR=$TEST_TMP/stage XDPCHAIN_INTERVAL=1 XDPCHAIN_BPFFS=$BPFFS \
		bash "$ROOT/deploy/container/entrypoint.sh" >"$TEST_TMP/ep.out" 2>"$TEST_TMP/ep.err" &
	pid=$!
	defer "kill $pid"
	for ((i = 0; i < 300; i++)); do
		[ -f $f ] && break
		kill -0 $pid 2>/dev/null || fail "the entry script ended: $(cat "$TEST_TMP/ep.err")"
		sleep 0.1
	done
	kill -TERM $pid
	wait $pid || fail "the entry script exited $?: $(cat "$TEST_TMP/ep.err")"
	[ "$(cat /tmp/rootonly)" = secret ] || fail "a planted link was written through"
	[ -f $f ] && [ ! -L $f ] || fail "no metrics file: $(ls -lA $d); said: $(cat "$TEST_TMP/ep.err")"
	grep -qx 'xdpchain_apply_success 1' $f || fail "no apply gauge: $(cat $f)"
	grep -q '^# TYPE xdpchain_leftovers gauge$' $f || fail "no xdpchain metrics: $(cat $f)"
	grep -q 'metrics not written' "$TEST_TMP/ep.err" && fail "said: $(cat "$TEST_TMP/ep.err")"
	[ "$(ls -A $d | tr '\n' ' ')" = ".xdpchain.prom.tmp xdpchain.prom xdpchain.prom.tmp " ] ||
		fail "the directory holds: $(ls -A $d)"
	[ "$(readlink $d/.xdpchain.prom.tmp)" = /tmp/rootonly ] || fail "nobody's link was replaced"
}

# The Grafana dashboard (deploy/grafana/xdpchain.json): valid JSON with its
# licence, and every query (panel targets, template variables) names at
# least one metric and only metrics 'xdpchain metrics' exports (metrics.h's
# table, as the exposition's TYPE lines give it).
test_deploy_grafana_queries_exported() {
	local d=$ROOT/deploy/grafana/xdpchain.json exported q names bad=""
	jq -e '.__spdx == "SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause"' "$d" >/dev/null ||
		fail "$d: not JSON, or no SPDX key"
	exported=$(xdpchain metrics | sed -n 's/^# TYPE \(xdpchain_[a-z_]*\) .*/\1/p')
	[ -n "$exported" ] || fail "xdpchain metrics exports nothing"
	[ "$(jq '[.panels[].targets[]] | length' "$d")" -ge 5 ] || fail "panels without queries"
	while IFS= read -r q; do
		names=$(grep -o 'xdpchain_[a-z_]*' <<<"$q" | sort -u)
		[ -n "$names" ] || bad+=" [no xdpchain metric: $q]"
		for n in $names; do
			grep -qx "$n" <<<"$exported" || bad+=" [$n not exported: $q]"
		done
	done < <(jq -r '(.panels[].targets[].expr), (.templating.list[] | select(.type == "query") | .definition)' "$d")
	[ -z "$bad" ] || fail "dashboard queries:$bad"
	for m in xdpchain_packets_total xdpchain_program_run_seconds_total xdpchain_program_run_samples_total; do
		jq -r '.panels[].targets[].expr' "$d" | grep -q "$m" || fail "no panel uses $m"
	done
}
