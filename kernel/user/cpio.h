/*
 * A reader of cpio "newc" archives (the initramfs, a multiboot2 module).
 * Portable and allocation-free: entries point into the archive. The archive
 * is untrusted input; every header field is checked and nothing outside
 * [archive, archive + size) is read (host tests tests/host/test_cpio.c,
 * fuzz target tests/fuzz/fuzz_cpio.c).
 *
 * Format (as GNU cpio -H newc and the Linux initramfs write it): each entry
 * is a 110-byte ASCII header, "070701" (or "070702": the same with a
 * checksum of a regular file's data, checked here) then 13 fields of 8 hex digits (ino,
 * mode, uid, gid, nlink, mtime, filesize, devmajor, devminor, rdevmajor,
 * rdevminor, namesize, check); then the name, namesize bytes with its NUL,
 * padded so header + name is a multiple of 4; then the data, padded to 4.
 * The entry named "TRAILER!!!" ends the archive. Hard links: cpio writes the
 * data once, with the last link; earlier links have size 0 (cpio_find
 * resolves them).
 */
#ifndef VEIL_KERNEL_USER_CPIO_H
#define VEIL_KERNEL_USER_CPIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CPIO_S_IFMT  0170000u
#define CPIO_S_IFREG 0100000u
#define CPIO_S_IFDIR 0040000u
#define CPIO_S_IFLNK 0120000u

struct cpio_entry {
	const char *name;	/* not NUL-terminated in the archive: use name_length */
	size_t name_length;	/* without the NUL */
	uint32_t mode;		/* st_mode bits as stored (S_IFREG 0100000, S_IFDIR 0040000, S_IFLNK 0120000) */
	const void *data;	/* inside the archive (a symbolic link's data is its target) */
	size_t size;
	/* additions: what identifies hard links (same ino and device) */
	uint32_t ino, nlink, device_major, device_minor;
};

/* error: the result a failed cursor keeps returning (0 while it has not
 * failed). */
struct cpio_cursor { const uint8_t *archive; size_t size; size_t offset; bool done; int error; };

enum cpio_result {
	CPIO_OK = 0,
	CPIO_END = 1,
	CPIO_BAD_MAGIC = -1,	/* a header not starting with 070701/070702 */
	CPIO_TRUNCATED = -2,	/* header, name or data past the end, or no trailer */
	CPIO_BAD_FIELD = -3,	/* a field not 8 hex digits, or a wrong 070702 checksum */
	CPIO_BAD_NAME = -4,	/* namesize 0 or 1, no NUL at its end, or a NUL inside */
};

/* Starts a cursor at the first entry of archive (size bytes, any alignment). */
void cpio_cursor_init(struct cpio_cursor *cursor, const void *archive, size_t size);

/* CPIO_OK with the next entry, CPIO_END at the "TRAILER!!!" entry (and on
 * every later call), or a negative error (the cursor stays failed: later
 * calls return the same error). *entry is written only on CPIO_OK. */
int cpio_next(struct cpio_cursor *cursor, struct cpio_entry *entry);

/* Finds path ("/bin/x", "bin/x" and "./bin/x" name the same entry; a
 * trailing '/' is ignored; more generally empty and "." components are
 * skipped on both sides, ".." is compared as a name): CPIO_OK and *entry,
 * CPIO_END when absent, or a negative error for a malformed archive (met
 * before the entry or, for a hard link, anywhere). A hard link written
 * without data (size 0, nlink > 1, regular) is given the data of the link
 * that carries it. Symbolic links are not followed. */
int cpio_find(const void *archive, size_t size, const char *path, struct cpio_entry *entry);

/* True when the entry's name names path, under cpio_find's rules
 * (path_length bytes; path need not be NUL-terminated). */
bool cpio_name_matches(const struct cpio_entry *entry, const char *path, size_t path_length);

/* A short name for an enum cpio_result ("CPIO_TRUNCATED"), "?" for others. */
const char *cpio_result_name(int result);

#endif
