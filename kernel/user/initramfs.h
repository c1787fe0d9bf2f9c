/*
 * The initramfs: a cpio "newc" archive the boot loader hands over as the
 * multiboot2 module named "initramfs". It holds the programs and their
 * input, read-only at "/" for processes (kernel/user/syscall_file.c).
 *
 * Locking: set once at boot (or by a test around its own use), read-only
 * afterwards.
 */
#ifndef VEIL_KERNEL_USER_INITRAMFS_H
#define VEIL_KERNEL_USER_INITRAMFS_H

#include <stdbool.h>
#include <stddef.h>
#include "kernel/user/cpio.h"

/* Finds the module and checks the archive; logs what it found. */
void initramfs_boot_init(void);
/* Whether there is one. */
bool initramfs_present(void);
/* The archive (NULL, 0 when there is none). */
void initramfs_archive(const void **archive, size_t *size);
/* Looks path up (absolute; "." and ".." are not resolved): CPIO_OK with
 * *entry, CPIO_END when absent (or no initramfs), or a negative cpio
 * error for a malformed archive. */
int initramfs_find(const char *path, struct cpio_entry *entry);

/* The NUL-terminated words of file (an argv file: /veil-exec/argv,
 * /veil-demo/argv), copied into copy (size bytes, the last words cut when
 * it is short) and pointed at from argv (max words, then NULL): how many. */
unsigned initramfs_words(const struct cpio_entry *file, char *copy,
			 size_t size, const char **argv, unsigned max);

#endif
