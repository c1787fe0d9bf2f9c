/*
 * libFuzzer target: the cpio "newc" reader (kernel/user/cpio.c) on arbitrary
 * bytes. The initramfs is untrusted input: walking it and looking names up
 * must never read outside it, every entry must lie inside it, a failed walk
 * must stay failed, and what cpio_find returns must carry the name asked.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "kernel/user/cpio.h"

static void entry_check(const uint8_t *archive, size_t size, const struct cpio_entry *entry)
{
	const uint8_t *name = (const uint8_t *)entry->name, *data = entry->data;

	if (name < archive || entry->name_length >= size || name > archive + size - entry->name_length - 1 ||
	    name[entry->name_length] != '\0' || data < archive || entry->size > size ||
	    data > archive + size - entry->size)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *bytes, size_t size)
{
	/* an exact-size heap copy, so ASan sees any read past the end */
	uint8_t *archive = malloc(size ? size : 1);
	struct cpio_cursor cursor;
	struct cpio_entry entry, found;
	unsigned entries = 0;
	int result, find_error = 0;

	memcpy(archive, bytes, size);
	cpio_cursor_init(&cursor, archive, size);
	while ((result = cpio_next(&cursor, &entry)) == CPIO_OK) {
		entry_check(archive, size, &entry);
		/* look the first entries up by their own names: found, with that
		 * name (maybe an earlier entry of the same name) */
		if (entries++ < 4) {
			char path[64];
			size_t length = entry.name_length < sizeof(path) - 1 ? entry.name_length
									     : sizeof(path) - 1;
			memcpy(path, entry.name, length);
			path[length] = '\0';
			if (strlen(path) == entry.name_length) {
				int found_result = cpio_find(archive, size, path, &found);
				/* found; or (a hard link without data is looked
				 * for in the whole archive) the error the walk
				 * meets further on */
				if (found_result == CPIO_OK) {
					if (!cpio_name_matches(&found, path, length))
						abort();
					entry_check(archive, size, &found);
				} else if (found_result > 0) {
					abort();
				} else {
					find_error = found_result;
				}
			}
		}
	}
	if ((result != CPIO_END && result >= 0) || (find_error && find_error != result))
		abort();
	if (cpio_next(&cursor, &entry) != result || strcmp(cpio_result_name(result), "?") == 0)
		abort();
	/* lookups of fixed names agree with the walk's outcome */
	int lookup = cpio_find(archive, size, "/bin/busybox", &found);
	if (lookup == CPIO_OK)
		entry_check(archive, size, &found);
	else if (lookup != result && lookup >= 0)
		abort();
	free(archive);
	return 0;
}
