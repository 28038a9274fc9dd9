# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# awk -f tests/trace-sum.awk [-v top=N] DIR/*.trace: where the tests' time
# went, from the traces XDPCHAIN_TEST_TRACE=DIR makes (tests/run.sh). Each
# traced command is charged the time until the next one in its file (its
# children included; a function call line is charged little, its commands
# the rest), and the totals are printed by command and by function and
# command, largest first: "SECONDS CALLS NAME".
function charge(    c) {
	if (last_ts == "") return
	c = ts - last_ts
	if (c < 0) c = 0
	by_cmd[last_cmd] += c; n_cmd[last_cmd]++
	by_fn[last_fn " " last_cmd] += c; n_fn[last_fn " " last_cmd]++
}
FNR == 1 { last_ts = "" }
/^\++[0-9]+\.[0-9]+ / {
	line = $0
	sub(/^\++/, "", line)
	split(line, w, " ")
	ts = w[1]
	charge()
	last_ts = ts; last_fn = w[2]; last_cmd = w[3]
	# an assignment's value is not the command: "x=$(...)" is charged to x=
	sub(/=.*/, "=", last_cmd)
}
END {
	if (top == "") top = 25
	print "by command (seconds, calls):"
	for (k in by_cmd) printf "%9.2f %6d %s\n", by_cmd[k], n_cmd[k], k | "sort -rn | head -" top
	close("sort -rn | head -" top)
	print "by function and command:"
	for (k in by_fn) printf "%9.2f %6d %s\n", by_fn[k], n_fn[k], k | "sort -rn | head -" top
	close("sort -rn | head -" top)
}
