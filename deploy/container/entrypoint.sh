#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# The container's command (deploy/container/Containerfile): what
# deploy/systemd/xdpchain.service and xdpchain-metrics.timer do on one host,
# for a pod of the DaemonSet in deploy/k8s/.
#
#  1. bpffs at $XDPCHAIN_BPFFS, mounted when it is not one (the DaemonSet
#     mounts the host's, so the pins outlive the pod);
#  2. copies $XDPCHAIN_CONFIG_DIR (the ConfigMap: chain files, and objects
#     they name relative to themselves) to $XDPCHAIN_STAGE_DIR and runs
#     'xdpchain apply' on the copy, a plain directory at a fixed path.
#     In a ConfigMap volume every file is a symlink into a timestamped
#     directory that each update replaces, and xdpchain records a member's
#     object by its real path: applied in place, an unchanged object would
#     look like another file after every update and be loaded again (new
#     program id, counters from 0). The copy is also what was hashed, never
#     half of an update. When this first apply fails, the script exits 1
#     and changes nothing (apply checks everything first): the pod restarts
#     with back-off and shows as failing, where a loop would hide a node
#     that never got its chain;
#  3. then, every $XDPCHAIN_INTERVAL seconds: copies and applies again when
#     the content of the files changed (Kubernetes updates a ConfigMap
#     volume by swapping its ..data symlink, so the script compares a hash
#     of the contents, not times or inotify events on the files). A failed
#     apply is one line on stderr; the chain it would have changed keeps
#     running (apply is atomic) and the script goes on, trying that content
#     again only when it changes once more. An apply that failed for a
#     passing reason (its message ends in 'retry': another xdpchain held
#     the chain lock, another tool changed an interface meanwhile) is tried
#     again at once (after 1, then 2 s: three tries in all) and, if
#     it still fails, at the next check. Each apply logs which interfaces it
#     changed; a failure's line says which interface failed and which were
#     rolled back (all or nothing). And writes 'xdpchain metrics',
#     plus xdpchain_apply_* gauges of the last apply, to
#     $XDPCHAIN_TEXTFILE_DIR/xdpchain.prom whole or not at all ('xdpchain
#     metrics -o': a temporary file, then rename) for node_exporter's
#     textfile collector;
#  4. on SIGTERM or SIGINT exits 0 and leaves the chains as they are, as
#     stopping xdpchain.service does: the chains belong to the node, not to
#     the pod, and a rolling update must not take a node's XDP away.
#     Removing chains is a change of the ConfigMap ('programs: []').
#
# Environment (defaults):
#   XDPCHAIN               /usr/local/sbin/xdpchain
#   XDPCHAIN_CONFIG_DIR    /etc/xdpchain      chain files (*.conf) and objects
#   XDPCHAIN_STAGE_DIR     /var/lib/xdpchain/chains     the copy applied
#   XDPCHAIN_TEXTFILE_DIR  /var/lib/xdpchain/textfile   '' writes no metrics
#   XDPCHAIN_INTERVAL      10                 seconds between checks (1-86400)
#   XDPCHAIN_BPFFS         /sys/fs/bpf
set -uo pipefail

prog=xdpchain-entrypoint
XDPCHAIN=${XDPCHAIN:-/usr/local/sbin/xdpchain}
config=${XDPCHAIN_CONFIG_DIR:-/etc/xdpchain}
stage=${XDPCHAIN_STAGE_DIR:-/var/lib/xdpchain/chains}
textfile=${XDPCHAIN_TEXTFILE_DIR-/var/lib/xdpchain/textfile}
interval=${XDPCHAIN_INTERVAL:-10}
bpffs=${XDPCHAIN_BPFFS:-/sys/fs/bpf}

log() { echo "$prog: $*" >&2; }
die() {
	log "$*"
	exit 1
}

if ! [[ $interval =~ ^[1-9][0-9]{0,4}$ ]] || ((interval > 86400)); then
	die "XDPCHAIN_INTERVAL '$interval' is not a number of seconds from 1 to 86400"
fi
[ -x "$XDPCHAIN" ] || die "$XDPCHAIN is not an executable; set XDPCHAIN to xdpchain's path"
[ -d "$config" ] || die "$config is not a directory; mount the chain files' ConfigMap there or set XDPCHAIN_CONFIG_DIR"
if [ -n "$textfile" ]; then
	[ -d "$textfile" ] || mkdir -p "$textfile" ||
		die "cannot create $textfile for the metrics; set XDPCHAIN_TEXTFILE_DIR ('' for none)"
fi
export LIBXDP_BPFFS=$bpffs

# copy_config: copies what $config holds to $stage.new, symlinks followed,
# dot entries (the ConfigMap's ..data and its timestamped directories) left
# out; sets copied_hash, a hash of the copy's names and contents, or on
# failure copy_err, the reason in one line.
copied_hash='' copy_err=''
copy_config() {
	local out
	if ! out=$({
		rm -rf "$stage.new" && mkdir -p "$stage.new" || exit 1
		for f in "$config"/*; do
			[ ! -e "$f" ] || cp -RL "$f" "$stage.new/" || exit 1
		done
	} 2>&1); then
		copy_err=${out//$'\n'/; }
		return 1
	fi
	copied_hash=$(cd "$stage.new" && find . -type f -print0 | sort -z |
		xargs -0 -r sha256sum | sha256sum | cut -d' ' -f1)
}

# The last apply, as gauges: a failed apply shows on the dashboards, not
# only in the pod's log.
apply_ok=0 apply_time=0
apply_metrics() {
	cat <<-EOF
		# HELP xdpchain_apply_success 1 when the last 'xdpchain apply' of the configuration succeeded.
		# TYPE xdpchain_apply_success gauge
		xdpchain_apply_success $apply_ok
		# HELP xdpchain_apply_timestamp_seconds When the last 'xdpchain apply' ran, successful or not.
		# TYPE xdpchain_apply_timestamp_seconds gauge
		xdpchain_apply_timestamp_seconds $apply_time
	EOF
}

# 'metrics -o' writes the file whole or not at all (a new file of a random
# name, never a link's target, renamed over it): the directory may be
# shared with the node_exporter sidecar, which must not be able to lead a
# write of root's elsewhere. The apply gauges come on its standard input.
write_metrics() {
	local err
	[ -n "$textfile" ] || return 0
	if err=$(apply_metrics | "$XDPCHAIN" metrics -o "$textfile/xdpchain.prom" --append - 2>&1); then
		return 0
	fi
	log "metrics not written: ${err//$'\n'/; }"
}

# apply: runs 'xdpchain apply' on the directory, again while it fails for a
# passing reason ('retry' in its message); its report (what changed) goes to
# stdout, then one line on stderr naming the interfaces changed; a failure
# is one line on stderr. Sets apply_retry when the last try failed that way.
apply_tries=3 apply_retry=0
apply() {
	local out rc tries=0 changed
	while :; do
		rc=0
		apply_time=$(date +%s)
		out=$("$XDPCHAIN" apply "$stage" 2>&1) || rc=$?
		apply_retry=0
		[ $rc -ne 0 ] && [[ $out == *retry* ]] && apply_retry=1
		((apply_retry && ++tries < apply_tries)) || break
		log "apply of $config failed (exit $rc), trying again in $tries s: ${out//$'\n'/; }"
		sleep "$tries"
	done
	if [ $rc -eq 0 ]; then
		apply_ok=1
		printf '%s\n' "$out" | grep -v ': unchanged$' | sed "s/^/$prog: /"
		changed=$(printf '%s\n' "$out" | sed -n 's/^\([^ :]*\): changed$/\1/p' | tr '\n' ' ')
		changed=${changed% }
		log "applied $config: ${changed:+changed }${changed:-no interface changed}"
		return 0
	fi
	apply_ok=0
	log "apply of $config failed (exit $rc), the chains stay as they were: ${out//$'\n'/; }"
	return 1
}

stop=0
sleeper=
# shellcheck disable=SC2317 # the trap calls it
on_term() {
	stop=1
	[ -z "$sleeper" ] || kill "$sleeper" 2>/dev/null
}
trap on_term TERM INT

if [ "$(stat -f -c %T "$bpffs" 2>/dev/null)" != bpf_fs ]; then
	if ! mkdir -p "$bpffs" || ! mount -t bpf bpf "$bpffs"; then
		die "$bpffs is no bpffs and mounting one failed; mount the host's /sys/fs/bpf into the container"
	fi
	log "mounted bpffs at $bpffs"
fi

# stage_new: the copy in $stage.new becomes $stage
stage_new() {
	rm -rf "$stage" 2>/dev/null && mv "$stage.new" "$stage" 2>/dev/null
}

copy_config || die "cannot copy $config to $stage.new: $copy_err; set XDPCHAIN_STAGE_DIR to a writable directory"
stage_new || die "cannot replace $stage with $stage.new; set XDPCHAIN_STAGE_DIR to a writable directory"
hash=$copied_hash
apply || exit 1
log "applied $config (copied to $stage); checking it every $interval s${textfile:+, metrics in $textfile/xdpchain.prom}"
write_metrics
while ((!stop)); do
	sleep "$interval" &
	sleeper=$!
	wait "$sleeper"
	sleeper=
	((stop)) && break
	if ! copy_config; then
		log "cannot copy $config to $stage.new: $copy_err; trying again in $interval s"
	elif [ "$copied_hash" != "$hash" ] || ((apply_retry)); then
		if [ "$copied_hash" != "$hash" ]; then
			log "$config changed, applying it"
		else
			log "trying the failed apply of $config again"
		fi
		if stage_new; then
			hash=$copied_hash
			apply
		else
			log "cannot replace $stage with $stage.new; trying again in $interval s"
		fi
	fi
	write_metrics
done
log "stopped; the chains stay in place"
exit 0
