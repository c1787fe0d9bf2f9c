/*
 * Host tests of the cpio "newc" reader (kernel/user/cpio.c): archives
 * written by the test itself (every malformation, every cut), and archives
 * GNU cpio wrote at build time (mk/user.mk) with -H newc and -H crc.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "kernel/user/cpio.h"
#include "tests/host/htest.h"
#include "tests/host/user_samples.h"

/* ------------------------------------------------------ archives written here */

struct archive {
	uint8_t bytes[4096];
	size_t size;
	size_t entry_offsets[16];	/* where each entry's header starts */
	unsigned entries;
};

/* Appends one entry: magic, fields as given (namesize from name unless
 * name_size is not ~0u), the name, padding, data, padding. */
static void archive_entry_raw(struct archive *a, const char *magic, uint32_t ino, uint32_t mode,
			      uint32_t nlink, const char *name, uint32_t name_size,
			      const void *data, uint32_t size, uint32_t check)
{
	char header[111];
	size_t name_length = strlen(name) + 1;

	if (name_size == ~0u)
		name_size = (uint32_t)name_length;
	a->entry_offsets[a->entries++] = a->size;
	snprintf(header, sizeof(header),
		 "%s%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X", magic, ino, mode, 0u,
		 0u, nlink, 0x5a6e0000u, size, 0u, 0xfeu, 0u, 0u, name_size, check);
	memcpy(a->bytes + a->size, header, 110);
	a->size += 110;
	memcpy(a->bytes + a->size, name, name_length);
	a->size += name_length;
	while (a->size % 4)
		a->bytes[a->size++] = 0;
	memcpy(a->bytes + a->size, data, size);
	a->size += size;
	while (a->size % 4)
		a->bytes[a->size++] = 0;
}

static void archive_entry(struct archive *a, const char *name, uint32_t mode, const char *data)
{
	archive_entry_raw(a, "070701", a->entries + 100, mode, 1, name, ~0u, data,
			  (uint32_t)strlen(data), 0);
}

/* ".", "bin", "bin/hello" (6 bytes: padded), "bin/link" -> "hello", trailer. */
static void archive_sample(struct archive *a)
{
	memset(a, 0, sizeof(*a));
	archive_entry(a, ".", CPIO_S_IFDIR | 0755, "");
	archive_entry(a, "bin", CPIO_S_IFDIR | 0755, "");
	archive_entry(a, "bin/hello", CPIO_S_IFREG | 0644, "hello\n");
	archive_entry(a, "bin/link", CPIO_S_IFLNK | 0777, "hello");
	archive_entry(a, "TRAILER!!!", 0, "");
}

/* The 8 hex digits of field index (0 = ino) of entry e. */
static uint8_t *archive_field(struct archive *a, unsigned e, unsigned index)
{
	return a->bytes + a->entry_offsets[e] + 6 + 8 * index;
}

/* An exact-size heap copy of the first size bytes, for ASan. */
static uint8_t *exact_copy(const void *bytes, size_t size)
{
	uint8_t *copy = malloc(size ? size : 1);

	memcpy(copy, bytes, size);
	return copy;
}

/* Walks bytes to the end; returns the final result and counts entries. */
static int walk(const void *bytes, size_t size, unsigned *entries)
{
	uint8_t *copy = exact_copy(bytes, size);
	struct cpio_cursor cursor;
	struct cpio_entry entry;
	int result;

	*entries = 0;
	cpio_cursor_init(&cursor, copy, size);
	while ((result = cpio_next(&cursor, &entry)) == CPIO_OK) {
		/* every entry lies inside the archive */
		HCHECK((const uint8_t *)entry.name >= copy &&
		       (const uint8_t *)entry.name + entry.name_length < copy + size);
		HCHECK((const uint8_t *)entry.data >= copy &&
		       (const uint8_t *)entry.data + entry.size <= copy + size);
		(*entries)++;
	}
	/* a failed or finished cursor says the same again */
	HCHECK_EQ(cpio_next(&cursor, &entry), result);
	free(copy);
	return result;
}

static bool entry_named(const struct cpio_entry *entry, const char *name)
{
	return entry->name_length == strlen(name) && memcmp(entry->name, name, entry->name_length) == 0;
}

HTEST(walks_entries_in_order)
{
	struct archive a;
	struct cpio_cursor cursor;
	struct cpio_entry entry;

	archive_sample(&a);
	uint8_t *copy = exact_copy(a.bytes, a.size);
	cpio_cursor_init(&cursor, copy, a.size);
	HCHECK_EQ(cpio_next(&cursor, &entry), CPIO_OK);
	HCHECK(entry_named(&entry, "."));
	HCHECK_EQ(entry.mode, CPIO_S_IFDIR | 0755);
	HCHECK_EQ(entry.size, 0);
	HCHECK_EQ(cpio_next(&cursor, &entry), CPIO_OK);
	HCHECK(entry_named(&entry, "bin"));
	HCHECK_EQ(cpio_next(&cursor, &entry), CPIO_OK);
	HCHECK(entry_named(&entry, "bin/hello"));
	HCHECK_EQ(entry.mode, CPIO_S_IFREG | 0644);
	HCHECK_EQ(entry.size, 6);
	HCHECK(memcmp(entry.data, "hello\n", 6) == 0);
	HCHECK_EQ(entry.ino, 102);
	HCHECK_EQ(entry.nlink, 1);
	HCHECK_EQ(entry.device_minor, 0xfe);
	HCHECK_EQ(cpio_next(&cursor, &entry), CPIO_OK);
	HCHECK(entry_named(&entry, "bin/link"));
	HCHECK_EQ(entry.mode & CPIO_S_IFMT, CPIO_S_IFLNK);
	HCHECK(entry.size == 5 && memcmp(entry.data, "hello", 5) == 0);
	HCHECK_EQ(cpio_next(&cursor, &entry), CPIO_END);
	HCHECK(cursor.done);
	HCHECK_EQ(cpio_next(&cursor, &entry), CPIO_END);
	free(copy);
}

HTEST(find_normalises_paths)
{
	struct archive a;
	struct cpio_entry entry;
	static const char *const same[] = {
		"/bin/hello", "bin/hello", "./bin/hello", "bin/hello/", "//bin//hello",
		"/./bin/./hello", "./././bin/hello//",
	};

	archive_sample(&a);
	uint8_t *copy = exact_copy(a.bytes, a.size);
	for (size_t i = 0; i < sizeof(same) / sizeof(same[0]); i++) {
		memset(&entry, 0, sizeof(entry));
		HCHECK_EQ(cpio_find(copy, a.size, same[i], &entry), CPIO_OK);
		HCHECK(entry.size == 6 && memcmp(entry.data, "hello\n", 6) == 0);
	}
	HCHECK_EQ(cpio_find(copy, a.size, "/bin/", &entry), CPIO_OK);
	HCHECK(entry_named(&entry, "bin"));
	HCHECK_EQ(cpio_find(copy, a.size, "/", &entry), CPIO_OK);
	HCHECK(entry_named(&entry, "."));
	/* symbolic links are not followed */
	HCHECK_EQ(cpio_find(copy, a.size, "/bin/link", &entry), CPIO_OK);
	HCHECK_EQ(entry.mode & CPIO_S_IFMT, CPIO_S_IFLNK);
	/* absent: neither a prefix nor an extension matches */
	HCHECK_EQ(cpio_find(copy, a.size, "/bin/hell", &entry), CPIO_END);
	HCHECK_EQ(cpio_find(copy, a.size, "/bin/hello2", &entry), CPIO_END);
	HCHECK_EQ(cpio_find(copy, a.size, "/bin/hello/x", &entry), CPIO_END);
	HCHECK_EQ(cpio_find(copy, a.size, "hello", &entry), CPIO_END);
	HCHECK_EQ(cpio_find(copy, a.size, "TRAILER!!!", &entry), CPIO_END);
	/* ".." is a name like any other, never a way up */
	HCHECK_EQ(cpio_find(copy, a.size, "/bin/../bin/hello", &entry), CPIO_END);
	free(copy);
}

HTEST(hard_link_takes_the_data_of_its_last_link)
{
	struct archive a;
	struct cpio_entry entry;

	memset(&a, 0, sizeof(a));
	archive_entry_raw(&a, "070701", 7, CPIO_S_IFREG | 0644, 2, "a", ~0u, "", 0, 0);
	archive_entry(&a, "other", CPIO_S_IFREG | 0644, "");
	archive_entry_raw(&a, "070701", 7, CPIO_S_IFREG | 0644, 2, "b", ~0u, "data", 4, 0);
	archive_entry(&a, "TRAILER!!!", 0, "");
	uint8_t *copy = exact_copy(a.bytes, a.size);
	HCHECK_EQ(cpio_find(copy, a.size, "a", &entry), CPIO_OK);
	HCHECK(entry.size == 4 && memcmp(entry.data, "data", 4) == 0);
	HCHECK(entry_named(&entry, "a"));
	HCHECK_EQ(cpio_find(copy, a.size, "b", &entry), CPIO_OK);
	HCHECK(entry.size == 4 && memcmp(entry.data, "data", 4) == 0);
	/* an empty file with one link stays empty */
	HCHECK_EQ(cpio_find(copy, a.size, "other", &entry), CPIO_OK);
	HCHECK_EQ(entry.size, 0);
	free(copy);
	/* the link's data is looked for in the whole archive: an archive cut
	 * before the carrier is reported (found by fuzz_cpio) */
	copy = exact_copy(a.bytes, a.entry_offsets[2] + 50);
	HCHECK_EQ(cpio_find(copy, a.entry_offsets[2] + 50, "a", &entry), CPIO_TRUNCATED);
	HCHECK_EQ(cpio_find(copy, a.entry_offsets[2] + 50, "other", &entry), CPIO_OK);
	free(copy);
}

HTEST(crc_format_checks_the_sum)
{
	struct archive a;
	unsigned entries;

	memset(&a, 0, sizeof(a));
	/* 'a' + 'b' + 'c' = 294 */
	archive_entry_raw(&a, "070702", 1, CPIO_S_IFREG | 0644, 1, "f", ~0u, "abc", 3, 294);
	archive_entry_raw(&a, "070702", 0, 0, 1, "TRAILER!!!", ~0u, "", 0, 0);
	HCHECK_EQ(walk(a.bytes, a.size, &entries), CPIO_END);
	HCHECK_EQ(entries, 1);
	memcpy(archive_field(&a, 0, 12), "00000127", 8);
	HCHECK_EQ(walk(a.bytes, a.size, &entries), CPIO_BAD_FIELD);
	/* the plain format ignores the check field */
	memcpy(a.bytes, "070701", 6);
	HCHECK_EQ(walk(a.bytes, a.size, &entries), CPIO_END);
}

HTEST(malformed_headers)
{
	struct archive a;
	unsigned entries;

	archive_sample(&a);
	HCHECK_EQ(walk(a.bytes, a.size, &entries), CPIO_END);
	HCHECK_EQ(entries, 4);

	archive_sample(&a);
	memcpy(a.bytes + a.entry_offsets[2], "070707", 6);	/* the old ASCII format */
	HCHECK_EQ(walk(a.bytes, a.size, &entries), CPIO_BAD_MAGIC);
	HCHECK_EQ(entries, 2);
	HCHECK_EQ(walk("abc", 3, &entries), CPIO_BAD_MAGIC);
	HCHECK_EQ(walk("0707", 4, &entries), CPIO_TRUNCATED);
	HCHECK_EQ(walk("070703", 6, &entries), CPIO_BAD_MAGIC);
	HCHECK_EQ(walk("", 0, &entries), CPIO_TRUNCATED);

	/* hex digits in either case; anything else is a bad field */
	archive_sample(&a);
	memcpy(archive_field(&a, 2, 1), "000081a4", 8);
	HCHECK_EQ(walk(a.bytes, a.size, &entries), CPIO_END);
	for (unsigned field = 0; field < 13; field++) {
		archive_sample(&a);
		archive_field(&a, 2, field)[3] = 'G';
		HCHECK_EQ(walk(a.bytes, a.size, &entries), CPIO_BAD_FIELD);
		archive_sample(&a);
		archive_field(&a, 2, field)[7] = ' ';
		HCHECK_EQ(walk(a.bytes, a.size, &entries), CPIO_BAD_FIELD);
	}

	/* names: size 0 or 1, no NUL at the end, a NUL inside */
	archive_sample(&a);
	memcpy(archive_field(&a, 2, 11), "00000000", 8);
	HCHECK_EQ(walk(a.bytes, a.size, &entries), CPIO_BAD_NAME);
	archive_sample(&a);
	memcpy(archive_field(&a, 2, 11), "00000001", 8);
	HCHECK_EQ(walk(a.bytes, a.size, &entries), CPIO_BAD_NAME);
	archive_sample(&a);
	memcpy(archive_field(&a, 2, 11), "00000009", 8);	/* "bin/hello" without its NUL */
	HCHECK_EQ(walk(a.bytes, a.size, &entries), CPIO_BAD_NAME);
	archive_sample(&a);
	a.bytes[a.entry_offsets[2] + 110 + 3] = 0;	/* "bin\0hello" */
	HCHECK_EQ(walk(a.bytes, a.size, &entries), CPIO_BAD_NAME);

	/* sizes past the end, including ones that would wrap an offset */
	archive_sample(&a);
	memcpy(archive_field(&a, 2, 11), "FFFFFFFF", 8);
	HCHECK_EQ(walk(a.bytes, a.size, &entries), CPIO_TRUNCATED);
	archive_sample(&a);
	memcpy(archive_field(&a, 2, 6), "FFFFFFFF", 8);
	HCHECK_EQ(walk(a.bytes, a.size, &entries), CPIO_TRUNCATED);
	archive_sample(&a);
	memcpy(archive_field(&a, 2, 6), "FFFFFFFC", 8);
	HCHECK_EQ(walk(a.bytes, a.size, &entries), CPIO_TRUNCATED);
	/* a data size that ends the entry off the next header */
	archive_sample(&a);
	memcpy(archive_field(&a, 2, 6), "00000009", 8);
	HCHECK_EQ(walk(a.bytes, a.size, &entries), CPIO_BAD_MAGIC);

	/* no trailer */
	archive_sample(&a);
	HCHECK_EQ(walk(a.bytes, a.entry_offsets[4], &entries), CPIO_TRUNCATED);
	HCHECK_EQ(entries, 4);
}

HTEST(find_reports_malformed_archives)
{
	struct archive a;
	struct cpio_entry entry;

	archive_sample(&a);
	memcpy(archive_field(&a, 3, 0), "zzzzzzzz", 8);
	uint8_t *copy = exact_copy(a.bytes, a.size);
	/* met before the entry: the error; the entry before it: found */
	HCHECK_EQ(cpio_find(copy, a.size, "/bin/nothing", &entry), CPIO_BAD_FIELD);
	HCHECK_EQ(cpio_find(copy, a.size, "/bin/hello", &entry), CPIO_OK);
	free(copy);
}

HTEST(every_cut_is_truncated_until_the_trailer)
{
	struct archive a;
	unsigned entries, failures = 0;

	archive_sample(&a);
	/* the trailer's name is complete at this length; its padding may be cut */
	size_t complete = a.entry_offsets[4] + 110 + sizeof("TRAILER!!!");
	for (size_t cut = 0; cut <= a.size; cut++) {
		int result = walk(a.bytes, cut, &entries);
		int expected = cut >= complete ? CPIO_END : CPIO_TRUNCATED;
		if (result != expected) {
			htest_log("cut %zu: %s", cut, cpio_result_name(result));
			failures++;
		}
	}
	HCHECK_EQ(failures, 0);
}

HTEST(result_names)
{
	for (int r = CPIO_BAD_NAME; r <= CPIO_END; r++)
		HCHECK(strcmp(cpio_result_name(r), "?") != 0);
	HCHECK(strcmp(cpio_result_name(CPIO_TRUNCATED), "CPIO_TRUNCATED") == 0);
	HCHECK(strcmp(cpio_result_name(-9), "?") == 0);
}

/* -------------------------------------------------- archives GNU cpio wrote */

/* The cuts tried: every length in the first and last KiB, 400 between. */
static size_t next_cut(size_t cut, size_t size)
{
	size_t step = size / 400 + 1;

	if (cut < 1024 || size - cut <= 1024)
		return cut + 1;
	return size - cut - 1024 < step ? size - 1024 : cut + step;
}

/* Checks archive (GNU cpio's output over the tree of mk/user.mk). */
static void real_archive_check(const char *archive_name)
{
	size_t size, program_size;
	uint8_t *archive = user_sample_read(archive_name, &size);
	uint8_t *program = user_sample_read("gcc-static", &program_size);
	struct cpio_cursor cursor;
	struct cpio_entry entry;
	unsigned entries = 0, empty_links = 0;
	int result;

	if (!archive || !program)
		goto out;
	cpio_cursor_init(&cursor, archive, size);
	while ((result = cpio_next(&cursor, &entry)) == CPIO_OK) {
		if (entries == 0)
			HCHECK(entry_named(&entry, "."));	/* cpio drops find's "./" */
		if ((entry.mode & CPIO_S_IFMT) == CPIO_S_IFREG && entry.nlink == 2 && entry.size == 0)
			empty_links++;
		entries++;
	}
	HCHECK_EQ(result, CPIO_END);
	/* ., bin, 4 programs, bin/sample, etc, etc/motd, etc/motd-link */
	HCHECK_EQ(entries, 10);
	HCHECK_EQ(empty_links, 1);

	HCHECK_EQ(cpio_find(archive, size, "/bin/gcc-static", &entry), CPIO_OK);
	HCHECK(entry.size == program_size && memcmp(entry.data, program, program_size) == 0);
	HCHECK_EQ(entry.mode & CPIO_S_IFMT, CPIO_S_IFREG);
	HCHECK_EQ(cpio_find(archive, size, "./bin/sample", &entry), CPIO_OK);
	HCHECK_EQ(entry.mode & CPIO_S_IFMT, CPIO_S_IFLNK);
	HCHECK(entry.size == 10 && memcmp(entry.data, "gcc-static", 10) == 0);
	HCHECK_EQ(cpio_find(archive, size, "etc/motd", &entry), CPIO_OK);
	HCHECK(entry.size == 6 && memcmp(entry.data, "seven\n", 6) == 0);
	HCHECK_EQ(cpio_find(archive, size, "etc/motd-link", &entry), CPIO_OK);
	HCHECK(entry.size == 6 && memcmp(entry.data, "seven\n", 6) == 0);
	HCHECK_EQ(cpio_find(archive, size, "/etc/", &entry), CPIO_OK);
	HCHECK_EQ(entry.mode & CPIO_S_IFMT, CPIO_S_IFDIR);
	HCHECK_EQ(cpio_find(archive, size, "/bin/missing", &entry), CPIO_END);

	/* cuts: truncated until the trailer's name is whole, then the end
	 * (cpio pads the archive to 512 bytes after it) */
	unsigned failures = 0;
	bool ended = false;
	for (size_t cut = 0; cut <= size; cut = next_cut(cut, size)) {
		unsigned walked;
		result = walk(archive, cut, &walked);
		if (result == CPIO_END)
			ended = true;
		else if (result != CPIO_TRUNCATED || ended)
			failures++;
	}
	HCHECK(ended);
	HCHECK_EQ(failures, 0);
out:
	free(archive);
	free(program);
}

HTEST(real_newc_archive)
{
	real_archive_check("archive.cpio");
}

HTEST(real_crc_archive)
{
	real_archive_check("archive-crc.cpio");
}
