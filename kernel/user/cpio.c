/*
 * The cpio "newc" reader (kernel/user/cpio.h). The archive comes from the
 * boot loader, built by whoever made the initramfs: each length is checked
 * against what is left of the archive before use, in an order that cannot
 * overflow (sizes are compared with the remaining bytes, never added to an
 * offset first).
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "kernel/user/cpio.h"

#define CPIO_HEADER_SIZE 110
#define CPIO_MAGIC_SIZE 6
#define CPIO_TRAILER "TRAILER!!!"

/* The header's fields, in order after the magic. */
enum cpio_field {
	FIELD_INO, FIELD_MODE, FIELD_UID, FIELD_GID, FIELD_NLINK, FIELD_MTIME,
	FIELD_FILESIZE, FIELD_DEVMAJOR, FIELD_DEVMINOR, FIELD_RDEVMAJOR,
	FIELD_RDEVMINOR, FIELD_NAMESIZE, FIELD_CHECK, FIELD_COUNT,
};

void cpio_cursor_init(struct cpio_cursor *cursor, const void *archive, size_t size)
{
	cursor->archive = archive;
	cursor->size = size;
	cursor->offset = 0;
	cursor->done = false;
	cursor->error = 0;
}

/* Decodes 8 hex digits (either case) into *value; false on any other
 * character. */
static bool hex8(const uint8_t *text, uint32_t *value)
{
	uint32_t v = 0;

	for (int i = 0; i < 8; i++) {
		uint8_t c = text[i];
		uint32_t digit;
		if (c >= '0' && c <= '9')
			digit = c - '0';
		else if (c >= 'a' && c <= 'f')
			digit = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			digit = c - 'A' + 10;
		else
			return false;
		v = v << 4 | digit;
	}
	*value = v;
	return true;
}

/* Bytes to add to offset to reach a multiple of 4. */
static size_t pad4(size_t offset)
{
	return (4 - (offset & 3)) & 3;
}

/* Records a failure in the cursor and returns it. */
static int cursor_fail(struct cpio_cursor *cursor, int error)
{
	cursor->error = error;
	cursor->done = true;
	return error;
}

/* Reads the header at the cursor into fields[]; 070702 sets *checked. */
static int header_read(const uint8_t *header, uint32_t fields[FIELD_COUNT], bool *checked)
{
	if (memcmp(header, "070701", CPIO_MAGIC_SIZE) == 0)
		*checked = false;
	else if (memcmp(header, "070702", CPIO_MAGIC_SIZE) == 0)
		*checked = true;
	else
		return CPIO_BAD_MAGIC;
	for (int i = 0; i < FIELD_COUNT; i++)
		if (!hex8(header + CPIO_MAGIC_SIZE + 8 * i, &fields[i]))
			return CPIO_BAD_FIELD;
	return CPIO_OK;
}

/* The 070702 checksum: the sum of the data bytes, modulo 2^32. */
static uint32_t data_sum(const uint8_t *data, size_t size)
{
	uint32_t sum = 0;

	for (size_t i = 0; i < size; i++)
		sum += data[i];
	return sum;
}

int cpio_next(struct cpio_cursor *cursor, struct cpio_entry *entry)
{
	uint32_t fields[FIELD_COUNT];
	bool checked;

	if (cursor->done)
		return cursor->error ? cursor->error : CPIO_END;
	size_t left = cursor->size - cursor->offset;
	const uint8_t *header = cursor->archive + cursor->offset;
	/* what is there of a magic must match before "truncated" is said */
	if (left == 0)
		return cursor_fail(cursor, CPIO_TRUNCATED);
	size_t prefix = left < CPIO_MAGIC_SIZE ? left : CPIO_MAGIC_SIZE;
	if (memcmp(header, "07070", prefix < 5 ? prefix : 5) != 0 ||
	    (prefix == CPIO_MAGIC_SIZE && header[5] != '1' && header[5] != '2'))
		return cursor_fail(cursor, CPIO_BAD_MAGIC);
	if (left < CPIO_HEADER_SIZE)
		return cursor_fail(cursor, CPIO_TRUNCATED);
	int result = header_read(header, fields, &checked);
	if (result != CPIO_OK)
		return cursor_fail(cursor, result);
	left -= CPIO_HEADER_SIZE;

	uint32_t name_size = fields[FIELD_NAMESIZE];
	const char *name = (const char *)header + CPIO_HEADER_SIZE;
	if (name_size > left)
		return cursor_fail(cursor, CPIO_TRUNCATED);
	if (name_size < 2 || name[name_size - 1] != '\0' ||
	    strnlen(name, name_size - 1) != name_size - 1)
		return cursor_fail(cursor, CPIO_BAD_NAME);
	/* header + name is padded to 4; the trailer's padding may be cut */
	size_t name_pad = pad4(CPIO_HEADER_SIZE + name_size);
	left -= name_size;
	if (name_size - 1 == sizeof(CPIO_TRAILER) - 1 &&
	    memcmp(name, CPIO_TRAILER, name_size - 1) == 0) {
		cursor->done = true;
		return CPIO_END;
	}
	uint32_t data_size = fields[FIELD_FILESIZE];
	if (name_pad > left || data_size > left - name_pad)
		return cursor_fail(cursor, CPIO_TRUNCATED);
	const uint8_t *data = (const uint8_t *)name + name_size + name_pad;
	/* cpio and Linux sum regular files only (a link's check is 0) */
	if (checked && (fields[FIELD_MODE] & CPIO_S_IFMT) == CPIO_S_IFREG &&
	    data_sum(data, data_size) != fields[FIELD_CHECK])
		return cursor_fail(cursor, CPIO_BAD_FIELD);
	left -= name_pad + data_size;
	/* the data's padding, cut short at the very end (then "no trailer") */
	size_t data_pad = pad4(data_size);
	cursor->offset = cursor->size - left + (data_pad < left ? data_pad : left);

	*entry = (struct cpio_entry){
		.name = name,
		.name_length = name_size - 1,
		.mode = fields[FIELD_MODE],
		.data = data,
		.size = data_size,
		.ino = fields[FIELD_INO],
		.nlink = fields[FIELD_NLINK],
		.device_major = fields[FIELD_DEVMAJOR],
		.device_minor = fields[FIELD_DEVMINOR],
	};
	return CPIO_OK;
}

/* The next path component of [*text, end): skips '/' and "." components;
 * sets *component and returns its length (0 at the end). */
static size_t component_next(const char **text, const char *end, const char **component)
{
	const char *p = *text;

	for (;;) {
		while (p < end && *p == '/')
			p++;
		const char *start = p;
		while (p < end && *p != '/')
			p++;
		size_t length = (size_t)(p - start);
		if (length == 1 && *start == '.')
			continue;
		*text = p;
		*component = start;
		return length;
	}
}

bool cpio_name_matches(const struct cpio_entry *entry, const char *path, size_t path_length)
{
	const char *a = entry->name, *a_end = entry->name + entry->name_length;
	const char *b = path, *b_end = path + path_length;

	for (;;) {
		const char *a_component, *b_component;
		size_t a_length = component_next(&a, a_end, &a_component);
		size_t b_length = component_next(&b, b_end, &b_component);
		if (a_length != b_length ||
		    (a_length && memcmp(a_component, b_component, a_length) != 0))
			return false;
		if (a_length == 0)
			return true;
	}
}

/* A regular file written without its data because a later hard link of
 * the same inode carries it. */
static bool link_without_data(const struct cpio_entry *entry)
{
	return (entry->mode & CPIO_S_IFMT) == CPIO_S_IFREG && entry->nlink > 1 &&
	       entry->size == 0;
}

/* Gives *entry the data of the hard link that carries it, if any; a
 * negative error for a malformed archive. */
static int link_resolve(const void *archive, size_t size, struct cpio_entry *entry)
{
	struct cpio_cursor cursor;
	struct cpio_entry other;
	int result;

	cpio_cursor_init(&cursor, archive, size);
	while ((result = cpio_next(&cursor, &other)) == CPIO_OK) {
		if (other.ino == entry->ino && other.device_major == entry->device_major &&
		    other.device_minor == entry->device_minor &&
		    (other.mode & CPIO_S_IFMT) == CPIO_S_IFREG && other.size > 0) {
			entry->data = other.data;
			entry->size = other.size;
			return CPIO_OK;
		}
	}
	return result == CPIO_END ? CPIO_OK : result;
}

int cpio_find(const void *archive, size_t size, const char *path, struct cpio_entry *entry)
{
	struct cpio_cursor cursor;
	struct cpio_entry candidate;
	size_t path_length = strlen(path);
	int result;

	cpio_cursor_init(&cursor, archive, size);
	while ((result = cpio_next(&cursor, &candidate)) == CPIO_OK) {
		if (!cpio_name_matches(&candidate, path, path_length))
			continue;
		if (link_without_data(&candidate)) {
			result = link_resolve(archive, size, &candidate);
			if (result != CPIO_OK)
				return result;
		}
		*entry = candidate;
		return CPIO_OK;
	}
	return result;
}

const char *cpio_result_name(int result)
{
	switch (result) {
	case CPIO_OK: return "CPIO_OK";
	case CPIO_END: return "CPIO_END";
	case CPIO_BAD_MAGIC: return "CPIO_BAD_MAGIC";
	case CPIO_TRUNCATED: return "CPIO_TRUNCATED";
	case CPIO_BAD_FIELD: return "CPIO_BAD_FIELD";
	case CPIO_BAD_NAME: return "CPIO_BAD_NAME";
	}
	return "?";
}
