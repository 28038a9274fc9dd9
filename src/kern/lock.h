/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * xdpchain's locks, and what it keeps outside bpffs, live in one directory
 * only root can open, LOCK_DIR (mode 0700):
 *   chain.lock            held while a run changes a chain (add, remove,
 *                         flush, a capture's tap), by apply across all
 *                         its interfaces
 *   apply.journal.NETNS   an apply's switches not yet committed, per network namespace
 *                         (journal.h): the next change completes or
 *                         rolls back an apply that was killed
 *   hook-ID.lock          held for its lifetime by the capture serving hook
 *                         map ID; its pid inside; removed by the holder
 *                         that is done with it (lock__remove), and by
 *                         cleanup once map ID is gone
 *   dispatcher.XXXXXX/    a run's copy of xdpchain's dispatcher object,
 *                         flocked while the run lives (dispatcher.c)
 * A flock needs only read access to the file, so a lock anybody can open
 * is a lock anybody can hold: on the bpffs root (mode 1777 by default) or
 * on a 0644 file every local user could stall every xdpchain run.
 */
#ifndef __XDPCHAIN_LOCK_H
#define __XDPCHAIN_LOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include <sys/stat.h>

#define LOCK_DIR "/run/xdpchain"

/*
 * Creates LOCK_DIR (0700, owned by root), or checks the one there: a
 * directory, not a symlink, owned by root; group and other permission bits
 * are cleared. Returns an fd of it (O_DIRECTORY) or -errno with err_set().
 */
int lock__dir_open(void);

/*
 * Opens LOCK_DIR/@name, creating it 0600: never through a symlink, and only
 * a regular file owned by root (group and other bits cleared). Returns the
 * fd or -errno with err_set().
 */
int lock__open(const char *name);

/*
 * An exclusive flock on @fd (from lock__open()), tried every 50 ms for up
 * to @wait_ms. Returns 0, -EBUSY while someone else holds it (err_last()
 * not set: the caller knows who that is), or another -errno with err_set().
 */
int lock__wait(int fd, int wait_ms);

/*
 * The pid holding a flock (or an fcntl lock) on the file open as @fd,
 * found in /proc/locks by the file's device and inode; 0 when unknown (an
 * OFD lock, a pid of another pid namespace, or nobody).
 */
int lock__holder(int fd);

/* lock__open() and lock__wait(): the fd (closing it drops the lock) or -errno. */
int lock__take(const char *name, int wait_ms);
void lock__release(int fd);

/*
 * Whether someone holds LOCK_DIR/@name, found without creating or
 * changing anything (for readers such as status).
 */
bool lock__held(const char *name);

/*
 * Whether @fd (a lock__open() of @name) is still the file LOCK_DIR/@name:
 * a lock taken on a file its last holder removed meanwhile (lock__remove())
 * guards nothing; open it again.
 */
bool lock__is_current(int fd, const char *name);
/*
 * Removes LOCK_DIR/@name while its lock is held on @fd: only when it is
 * root's regular file and @fd's own. Takers check lock__is_current() after
 * their flock, so the removal cannot let two of them hold @name at once.
 * Returns 0 or -errno (err_last() not set: leaving a lock file is harmless).
 */
int lock__remove(int fd, const char *name);
/*
 * The lock that serialises changes to chains: lock__take("chain.lock"),
 * and when another run holds it for @wait_ms, -EBUSY and one line naming
 * its pid.
 * While this process holds it through lock__chain_hold(), a copy of that
 * fd (the same lock: closing it drops nothing).
 */
int lock__chain(int wait_ms);
/*
 * Takes the chain lock for the process until lock__chain_drop(): every
 * change in between (apply's interfaces, one after the other) runs under
 * one lock, so no other run's change falls between them. 0 or -errno.
 */
int lock__chain_hold(int wait_ms);
void lock__chain_drop(void);

/*
 * The rule for any directory root creates files in (here and on bpffs):
 * 0 if @st (from lstat or fstat of @path) is a directory owned by root
 * that neither group nor others may write; with @sticky_ok a sticky one
 * may be (its entries stay their owners'). Else -EPERM, or -ENOTDIR when
 * it is no directory, with one line naming @path, what is wrong and the
 * fix.
 */
int root_dir__check(const char *path, const struct stat *st, bool sticky_ok);

/*
 * LOCK_DIR/hook-ID.lock, one per hook map: flocked for a capture's
 * lifetime and released by the kernel however it ends. It holds the
 * capture's pid, then a line "prog ID" for each program the capture put
 * into the hook's slots, written before the program goes in: a killed
 * capture's programs are those (hook.h: recognised by what root recorded,
 * never by their name, which any program may carry).
 */
#define LOCK_HOOK_FMT "hook-%u.lock"
void lock__hook_name(__u32 hook_id, char *buf, size_t size);
/*
 * Takes hook @hook_id's lock: a @capture waits up to 2 s for a short
 * holder (a status clearing stale slots), others not at all. Returns the
 * fd, or -EBUSY with the holder's pid in @holder (0: unknown), or -errno.
 */
int lock__hook(__u32 hook_id, int *holder, bool capture);
/* Drops a hook's lock, and its file: no lock files pile up, one per hook ever seen. */
void lock__hook_release(int fd, __u32 hook_id);
/* The capture now holding @fd: its pid, and no programs yet. */
void lock__hook_record_self(int fd, __u32 hook_id);
/* Whether a live capture serves the hook with map id @hook_id. */
bool lock__hook_held(__u32 hook_id);

#endif
