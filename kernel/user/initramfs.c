/*
 * The initramfs module (initramfs.h): found among the boot modules by
 * name, walked once at boot so a malformed archive is reported then
 * rather than at a program's first open.
 */
#include <stddef.h>
#include <string.h>
#include "kernel/bootinfo.h"
#include "kernel/lib/printk.h"
#include "kernel/user/initramfs.h"
#include "mm/direct_map.h"

static const void *initramfs_bytes;
static size_t initramfs_size;

void initramfs_boot_init(void)
{
	for (unsigned i = 0; i < boot_info.module_count; i++) {
		const struct boot_module *module = &boot_info.modules[i];
		if (strcmp(module->name, "initramfs") != 0)
			continue;
		const void *bytes = phys_to_virt(module->start);
		size_t size = (size_t)(module->end - module->start);
		struct cpio_cursor cursor;
		struct cpio_entry entry;
		unsigned files = 0;
		int result;
		cpio_cursor_init(&cursor, bytes, size);
		while ((result = cpio_next(&cursor, &entry)) == CPIO_OK)
			files++;
		if (result != CPIO_END) {
			log_error("initramfs: the module is not a valid cpio "
				  "newc archive (%s after %u entries): no "
				  "programs", cpio_result_name(result), files);
			return;
		}
		initramfs_bytes = bytes;
		initramfs_size = size;
		log_info("initramfs: %u entries, %zu bytes", files, size);
		return;
	}
}

unsigned initramfs_words(const struct cpio_entry *file, char *copy,
			 size_t size, const char **argv, unsigned max)
{
	size_t length = file->size < size - 1 ? file->size : size - 1;
	unsigned count = 0;

	memcpy(copy, file->data, length);
	copy[length] = '\0';
	for (size_t at = 0; at < length && count < max;
	     at += strlen(copy + at) + 1)
		argv[count++] = copy + at;
	argv[count] = NULL;
	return count;
}

bool initramfs_present(void)
{
	return initramfs_bytes != NULL;
}

void initramfs_archive(const void **archive, size_t *size)
{
	*archive = initramfs_bytes;
	*size = initramfs_size;
}

int initramfs_find(const char *path, struct cpio_entry *entry)
{
	if (!initramfs_bytes)
		return CPIO_END;
	return cpio_find(initramfs_bytes, initramfs_size, path, entry);
}
