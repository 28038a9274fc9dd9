// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* apply's journal (journal.h). */
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bpffs.h"
#include "chain.h"
#include "journal.h"
#include "lock.h"
#include "log.h"
#include "members.h"
#include "prog.h"
#include "txn.h"

#define JOURNAL_TMP JOURNAL_NAME ".new"
#define JOURNAL_MAX 65536

static bool owned; /* this run's apply writes it */
static char text[JOURNAL_MAX];
static size_t len;

static int append(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

void journal__begin(size_t expect)
{
	owned = true;
	len = 0;
	text[0] = '\0';
	append("expect %zu\n", expect);
}

static int append(const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(text + len, sizeof(text) - len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(text) - len) {
		text[len] = '\0';
		return -E2BIG;
	}
	len += n;
	return 0;
}

/* The journal whole, renamed over the one before: never half written. */
static int write_journal(void)
{
	int dir, fd, err = 0;
	ssize_t w;

	dir = lock__dir_open();
	if (dir < 0)
		return dir;
	fd = openat(dir, JOURNAL_TMP, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		err = -errno;
	} else {
		w = write(fd, text, len);
		if (w != (ssize_t)len)
			err = w < 0 ? -errno : -EIO;
		close(fd);
	}
	if (!err && renameat(dir, JOURNAL_TMP, dir, JOURNAL_NAME))
		err = -errno;
	if (err)
		unlinkat(dir, JOURNAL_TMP, 0);
	close(dir);
	if (err)
		return err_set(err, "cannot write apply's journal %s/%s: %s; nothing was changed",
			       LOCK_DIR, JOURNAL_NAME, strerror(-err));
	return 0;
}

int journal__note(const struct chain_txn *t, __u32 new_id, __u32 flags)
{
	size_t before = len;
	int err;

	err = append("switch %d %u %u %u %s\n", t->c.ifindex, t->c.main_id, new_id, flags,
		     t->c.ifname);
	for (size_t i = 0; !err && i < t->n_made; i++)
		err = append("made %s\n", t->made[i]);
	if (!err && t->made_state_dir[0])
		err = append("state %s\n", t->made_state_dir);
	if (err) {
		len = before;
		text[len] = '\0';
		return err_set(err, "too many interfaces for apply's journal");
	}
	return write_journal();
}

void journal__end(void)
{
	int dir = lock__dir_open();

	if (dir >= 0) {
		unlinkat(dir, JOURNAL_NAME, 0);
		close(dir);
	}
	owned = false;
	len = 0;
}

/* ---- recovery ------------------------------------------------------------ */

struct jswitch {
	int ifindex;
	__u32 old_id, new_id, flags;
	char ifname[IF_NAMESIZE];
	char *made[TXN_MAX_MADE]; /* into the journal's text */
	size_t n_made;
	char *state;
};

#define JOURNAL_SWITCHES 256

/* Reads the journal a killed run left into text[]; 0, or -ENOENT when none. */
static int read_journal(void)
{
	struct stat st;
	ssize_t r;
	int dir, fd;

	dir = open(LOCK_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dir < 0)
		return -ENOENT;
	fd = openat(dir, JOURNAL_NAME, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	close(dir);
	if (fd < 0)
		return -ENOENT;
	/* LOCK_DIR is root's (lock.c): still, only a file of root's is read */
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || st.st_uid != 0) {
		close(fd);
		return -ENOENT;
	}
	r = read(fd, text, sizeof(text) - 1);
	close(fd);
	len = r > 0 ? (size_t)r : 0;
	text[len] = '\0';
	return 0;
}

/* The switches in @sw, how many the apply meant to make in @expect. */
static size_t parse(struct jswitch *sw, size_t max, size_t *expect)
{
	char *save = NULL, *line;
	size_t n = 0;

	*expect = 0;
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		struct jswitch *s = &sw[n];
		int used = 0;

		if (sscanf(line, "expect %zu", expect) == 1)
			continue;
		if (!strncmp(line, "made ", 5) && n && sw[n - 1].n_made < TXN_MAX_MADE)
			sw[n - 1].made[sw[n - 1].n_made++] = line + 5;
		else if (!strncmp(line, "state ", 6) && n)
			sw[n - 1].state = line + 6;
		else if (n < max &&
			 sscanf(line, "switch %d %u %u %u %n", &s->ifindex, &s->old_id, &s->new_id,
				&s->flags, &used) == 4 &&
			 used && strlen(line + used) < IF_NAMESIZE) {
			snprintf(s->ifname, sizeof(s->ifname), "%s", line + used);
			s->n_made = 0;
			s->state = NULL;
			n++;
		}
	}
	return n;
}

/* After a rollback: records of programs that never ran go, the observer comes back. */
static void settle(const char *ifname)
{
	struct chain_txn t;
	__u32 ids[CHAIN_MAX_PROGS];

	memset(&t, 0, sizeof(t));
	t.state_fd = t.lock = -1;
	if (chain__read(ifname, &t.c))
		return;
	for (size_t i = 0; i < t.c.n; i++)
		ids[i] = t.c.progs[i].id;
	if (t.c.managed)
		members__prune(t.c.state_dir, ids, t.c.n);
	if (t.c.kind == CHAIN_DISPATCHER && t.c.own_dispatcher && t.c.managed && !t.c.observed &&
	    txn__observe(&t))
		pr_warn("%s: per-member counters are off: %s; 'xdpchain cleanup' tries again\n",
			ifname, err_last());
	if (t.state_fd >= 0)
		close(t.state_fd);
}

/* Puts interface @s back as it was before the killed apply's switch. */
static void roll_back(const struct jswitch *s)
{
	__u32 now = prog__attached_id(s->ifindex);

	if (now == s->new_id) {
		if (swap__revert(s->ifindex, s->old_id, s->new_id, s->flags, CHAIN_MAX_PROGS)) {
			pr_warn("%s: could not put back the chain an interrupted apply replaced; apply the file again\n",
				s->ifname);
			return;
		}
	} else if (now == s->old_id) {
		swap__unpin(s->ifindex, s->new_id, CHAIN_MAX_PROGS);
	} else {
		pr_warn("%s: changed since an interrupted apply (another tool?): left as it is\n",
			s->ifname);
		return;
	}
	for (size_t i = 0; i < s->n_made; i++)
		unlink(s->made[i]);
	if (s->state)
		state__remove_dir(s->state);
	settle(s->ifname);
}

void journal__recover(void)
{
	static struct jswitch sw[JOURNAL_SWITCHES];
	char names[256] = "";
	size_t n, expect;
	bool all_new;

	if (owned || read_journal())
		return;
	n = parse(sw, JOURNAL_SWITCHES, &expect);
	/* done only when every switch the apply meant to make was made */
	all_new = n == expect;
	err_quiet(true);
	for (size_t i = 0; i < n; i++) {
		all_new &= prog__attached_id(sw[i].ifindex) == sw[i].new_id;
		snprintf(names + strlen(names), sizeof(names) - strlen(names), "%s%s",
			 i ? ", " : "", sw[i].ifname);
	}
	for (size_t i = n; i-- > 0;) {
		if (!all_new)
			roll_back(&sw[i]);
		else if (sw[i].old_id)
			swap__unpin(sw[i].ifindex, sw[i].old_id, CHAIN_MAX_PROGS);
	}
	err_quiet(false);
	journal__end();
	if (!n)
		return;
	if (all_new)
		pr_warn("xdpchain: an interrupted apply had switched every interface (%s): completed, the new chains stay\n",
			names);
	else
		pr_warn("xdpchain: an interrupted apply (killed?) had switched %s: rolled back, every interface runs its chain from before that apply\n",
			names);
}
