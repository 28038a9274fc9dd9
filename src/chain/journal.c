// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* apply's journal (journal.h). */
#include <dirent.h>
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
#include "notes.h"
#include "netns.h"
#include "prog.h"
#include "swap.h"

#define JOURNAL_MAX 65536

static bool owned; /* this run's apply writes it */
static char text[JOURNAL_MAX];
static size_t len;

/* This network namespace's journal: JOURNAL_NAME.NETNS (journal.h). */
static void own_name(char *buf, size_t size)
{
	snprintf(buf, size, "%s.%llx", JOURNAL_NAME, (unsigned long long)netns__self());
}

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
	char name[64], tmp[80];
	int dir, fd, err = 0;
	ssize_t w;

	own_name(name, sizeof(name));
	snprintf(tmp, sizeof(tmp), "%s.new", name);
	dir = lock__dir_open();
	if (dir < 0)
		return dir;
	fd = openat(dir, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		err = -errno;
	} else {
		w = write(fd, text, len);
		if (w != (ssize_t)len)
			err = w < 0 ? -errno : -EIO;
		close(fd);
	}
	if (!err && renameat(dir, tmp, dir, name))
		err = -errno;
	if (err)
		unlinkat(dir, tmp, 0);
	close(dir);
	if (err)
		return err_set(err, "cannot write apply's journal %s/%s: %s; nothing was changed",
			       LOCK_DIR, name, strerror(-err));
	return 0;
}

int journal__note(const struct journal_switch *s)
{
	size_t before = len;
	int err;

	err = append("switch %d %u %u %u %s\n", s->ifindex, s->old_id, s->new_id, s->flags,
		     s->ifname);
	for (size_t i = 0; !err && i < s->n_made; i++)
		err = append("made %s\n", s->made[i]);
	if (!err && s->state_dir && s->state_dir[0])
		err = append("state %s\n", s->state_dir);
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
	char name[64];

	own_name(name, sizeof(name));
	if (dir >= 0) {
		unlinkat(dir, name, 0);
		/* one written before journals knew their namespace */
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
	char *made[JOURNAL_MAX_MADE]; /* into the journal's text */
	size_t n_made;
	char *state;
};

#define JOURNAL_SWITCHES 256

/*
 * Reads journal @name a killed run left into @buf (JOURNAL_MAX bytes, NUL
 * ended): its length, or -ENOENT when there is none of root's.
 */
static ssize_t read_journal(const char *name, char *buf)
{
	struct stat st;
	ssize_t r;
	int dir, fd;

	dir = open(LOCK_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dir < 0)
		return -ENOENT;
	fd = openat(dir, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	close(dir);
	if (fd < 0)
		return -ENOENT;
	/* LOCK_DIR is root's (lock.c): still, only a file of root's is read */
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || st.st_uid != 0) {
		close(fd);
		return -ENOENT;
	}
	r = read(fd, buf, JOURNAL_MAX - 1);
	close(fd);
	r = r > 0 ? r : 0;
	buf[r] = '\0';
	return r;
}

/* The switches of journal @buf in @sw, how many the apply meant to make in @expect. */
static size_t parse(char *buf, struct jswitch *sw, size_t max, size_t *expect)
{
	char *save = NULL, *line;
	size_t n = 0;

	*expect = 0;
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		struct jswitch *s = &sw[n];
		int used = 0;

		if (sscanf(line, "expect %zu", expect) == 1)
			continue;
		if (!strncmp(line, "made ", 5) && n && sw[n - 1].n_made < JOURNAL_MAX_MADE)
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

/* Puts interface @s back as it was before the killed apply's switch. */
static void roll_back(const struct jswitch *s, struct notes *notes, journal_settle_fn settle)
{
	__u32 now = prog__attached_id(s->ifindex);

	if (now == s->new_id) {
		if (swap__revert(s->ifindex, s->old_id, s->new_id, s->flags, CHAIN_MAX_PROGS)) {
			notes_add(
				notes, LOG_WARN,
				"%s: could not put back the chain an interrupted apply replaced; apply the file again",
				s->ifname);
			return;
		}
	} else if (now == s->old_id) {
		swap__unpin(s->ifindex, s->new_id, CHAIN_MAX_PROGS);
	} else {
		notes_add(notes, LOG_WARN,
			  "%s: changed since an interrupted apply (another tool?): left as it is",
			  s->ifname);
		return;
	}
	for (size_t i = 0; i < s->n_made; i++)
		unlink(s->made[i]);
	if (s->state)
		state__remove_dir(s->state);
	if (settle)
		settle(s->ifname, notes);
}

/* Calls @fn with the name of each journal in LOCK_DIR and the namespace it names. */
static void each_journal(void (*fn)(int dir, const char *name, __u64 netns, void *ctx), void *ctx)
{
	unsigned long long ns;
	struct dirent *e;
	char end;
	DIR *d;
	int dir;

	dir = open(LOCK_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dir < 0)
		return;
	d = fdopendir(dir);
	if (!d) {
		close(dir);
		return;
	}
	while ((e = readdir(d)))
		if (sscanf(e->d_name, JOURNAL_NAME ".%llx%c", &ns, &end) == 1)
			fn(dirfd(d), e->d_name, ns, ctx);
		else if (!strcmp(e->d_name, JOURNAL_NAME))
			fn(dirfd(d), e->d_name, 0, ctx);
	closedir(d);
}

/* A journal of a namespace that is gone: its interfaces went with it. */
static void drop_dead(int dir, const char *name, __u64 netns, void *ctx)
{
	(void)ctx;
	if (netns && !netns__exists(netns))
		unlinkat(dir, name, 0);
}

struct keeps_q {
	int ifindex;
	__u32 id;
	bool found;
	char *buf;
	struct jswitch *sw;
};

static void keeps_in(int dir, const char *name, __u64 netns, void *ctx)
{
	struct keeps_q *q = ctx;
	size_t n, expect;

	(void)dir;
	(void)netns;
	if (q->found || read_journal(name, q->buf) < 0)
		return;
	n = parse(q->buf, q->sw, JOURNAL_SWITCHES, &expect);
	for (size_t i = 0; i < n; i++)
		if (q->sw[i].ifindex == q->ifindex &&
		    (q->sw[i].old_id == q->id || q->sw[i].new_id == q->id))
			q->found = true;
}

bool journal__keeps(int ifindex, __u32 id)
{
	struct keeps_q q = { ifindex, id, false, NULL, NULL };

	q.buf = malloc(JOURNAL_MAX);
	q.sw = calloc(JOURNAL_SWITCHES, sizeof(*q.sw));
	/* no memory to tell: keep it, a later cleanup decides */
	if (!q.buf || !q.sw)
		q.found = true;
	else
		each_journal(keeps_in, &q);
	free(q.buf);
	free(q.sw);
	return q.found;
}

void journal__recover(struct notes *notes, journal_settle_fn settle)
{
	static struct jswitch sw[JOURNAL_SWITCHES];
	char names[256] = "", name[64];
	size_t n, expect;
	bool all_new;

	if (owned)
		return;
	each_journal(drop_dead, NULL);
	own_name(name, sizeof(name));
	/* ours, or one written before journals knew their namespace */
	if (read_journal(name, text) < 0 && read_journal(JOURNAL_NAME, text) < 0)
		return;
	n = parse(text, sw, JOURNAL_SWITCHES, &expect);
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
			roll_back(&sw[i], notes, settle);
		else if (sw[i].old_id)
			swap__unpin(sw[i].ifindex, sw[i].old_id, CHAIN_MAX_PROGS);
	}
	err_quiet(false);
	journal__end();
	if (!n)
		return;
	if (all_new)
		notes_add(
			notes, LOG_WARN,
			"xdpchain: an interrupted apply had switched every interface (%s): completed, the new chains stay",
			names);
	else
		notes_add(
			notes, LOG_WARN,
			"xdpchain: an interrupted apply (killed?) had switched %s: rolled back, every interface runs its chain from before that apply",
			names);
}
