/*
 * Path names of processes: a path given to a system call, resolved
 * against a working directory into the one absolute form the file systems
 * look names up by ("/" or "/a/b": no empty, "." or ".." components, no
 * trailing '/'). Pure logic, tested on the host (tests/host/
 * test_user_path.c); no symbolic links are followed (Veil's file systems
 * make none).
 */
#ifndef VEIL_KERNEL_USER_USER_PATH_H
#define VEIL_KERNEL_USER_USER_PATH_H

#include <stdbool.h>
#include <stddef.h>

/* Resolved paths, working directories and directory records hold at
 * most this many bytes with their NUL. */
#define USER_PATH_MAX 256

/* Writes into out[size] the absolute form of path, taken relative to base
 * (itself absolute; NULL or "" means "/") unless path starts with '/'.
 * ".." of "/" is "/". Returns 0, or -ENAMETOOLONG when the result does
 * not fit. */
int user_path_resolve(const char *base, const char *path, char *out,
		      size_t size);
/* Whether the absolute form path is directory or lies below it. */
bool user_path_within(const char *path, const char *directory);
/* The last component of an absolute form ("" for "/"). */
const char *user_path_last(const char *path);

#endif
