/*
 * Path resolution for system calls (user_path.h): components appended
 * one at a time to the output, ".." taking the last one off again.
 */
#include <string.h>
#include "kernel/user/user_errno.h"
#include "kernel/user/user_path.h"

/* Appends the components of path to out (used bytes in *used, "" meaning
 * "/"): 0 or -ENAMETOOLONG. */
static int user_path_append(char *out, size_t size, size_t *used,
			    const char *path)
{
	while (*path) {
		while (*path == '/')
			path++;
		const char *end = path;
		while (*end && *end != '/')
			end++;
		size_t length = (size_t)(end - path);
		if (length == 2 && path[0] == '.' && path[1] == '.') {
			while (*used > 0 && out[*used - 1] != '/')
				(*used)--;
			if (*used > 0)
				(*used)--;	/* the '/' before it */
			out[*used] = '\0';
		} else if (length > 0 && !(length == 1 && path[0] == '.')) {
			if (*used + 1 + length + 1 > size)
				return -USER_ENAMETOOLONG;
			out[(*used)++] = '/';
			memcpy(out + *used, path, length);
			*used += length;
			out[*used] = '\0';
		}
		path = end;
	}
	return 0;
}

int user_path_resolve(const char *base, const char *path, char *out,
		      size_t size)
{
	size_t used = 0;

	if (size < 2)
		return -USER_ENAMETOOLONG;
	out[0] = '\0';
	int result = 0;
	if (path[0] != '/' && base)
		result = user_path_append(out, size, &used, base);
	if (result == 0)
		result = user_path_append(out, size, &used, path);
	if (result == 0 && used == 0) {
		out[0] = '/';
		out[1] = '\0';
	}
	return result;
}

bool user_path_within(const char *path, const char *directory)
{
	size_t length = strlen(directory);

	if (strcmp(directory, "/") == 0)
		return true;
	return strncmp(path, directory, length) == 0 &&
	       (path[length] == '\0' || path[length] == '/');
}

const char *user_path_last(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}
