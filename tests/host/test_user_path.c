/*
 * Host tests of path resolution (kernel/user/user_path.c): relative paths
 * against a working directory, ".", ".." (which stops at "/"), repeated
 * and trailing slashes, results that do not fit, and the /tmp prefix
 * test the system calls route by.
 */
#include <string.h>
#include "kernel/user/user_errno.h"
#include "kernel/user/user_path.h"
#include "tests/host/htest.h"

/* Resolves path against base and compares with expected. */
static bool resolves(const char *base, const char *path, const char *expected)
{
	char out[USER_PATH_MAX];

	if (user_path_resolve(base, path, out, sizeof(out)) != 0)
		return false;
	if (strcmp(out, expected) != 0)
		htest_log("%s + %s: %s, not %s", base ? base : "(null)", path,
			  out, expected);
	return strcmp(out, expected) == 0;
}

HTEST(absolute_paths_ignore_the_base)
{
	HCHECK(resolves("/tmp", "/etc/motd", "/etc/motd"));
	HCHECK(resolves(NULL, "/", "/"));
	HCHECK(resolves("/a", "///", "/"));
	HCHECK(resolves("/a", "//etc//motd/", "/etc/motd"));
}

HTEST(relative_paths_join_the_base)
{
	HCHECK(resolves("/tmp", "a", "/tmp/a"));
	HCHECK(resolves("/tmp/", "a/b", "/tmp/a/b"));
	HCHECK(resolves("/", "a", "/a"));
	HCHECK(resolves("", "a", "/a"));
	HCHECK(resolves(NULL, "a", "/a"));
	HCHECK(resolves("/tmp", ".", "/tmp"));
	HCHECK(resolves("/tmp", "./x/./y/.", "/tmp/x/y"));
}

HTEST(dot_dot_removes_a_component_and_stops_at_the_root)
{
	HCHECK(resolves("/tmp/t", "..", "/tmp"));
	HCHECK(resolves("/tmp/t", "../..", "/"));
	HCHECK(resolves("/tmp/t", "../../../../etc", "/etc"));
	HCHECK(resolves("/", "..", "/"));
	HCHECK(resolves("/a/b", "../c/../d", "/a/d"));
	HCHECK(resolves("/a", "b/..", "/a"));
	HCHECK(resolves("/a", "/x/../..", "/"));
	/* Names that only start with dots are names. */
	HCHECK(resolves("/a", "...", "/a/..."));
	HCHECK(resolves("/a", "..b/.c", "/a/..b/.c"));
}

HTEST(results_that_do_not_fit_are_refused)
{
	char out[8];
	char long_path[2 * USER_PATH_MAX];

	HCHECK_EQ(user_path_resolve("/", "abcdef", out, sizeof(out)), 0);
	HCHECK(strcmp(out, "/abcdef") == 0);
	HCHECK_EQ(user_path_resolve("/", "abcdefg", out, sizeof(out)),
		  -USER_ENAMETOOLONG);
	HCHECK_EQ(user_path_resolve("/abc", "defg", out, sizeof(out)),
		  -USER_ENAMETOOLONG);
	/* A long way that ends short fits: ".." is applied as it comes. */
	HCHECK_EQ(user_path_resolve("/", "abc/../abc/../x", out, sizeof(out)), 0);
	HCHECK(strcmp(out, "/x") == 0);
	HCHECK_EQ(user_path_resolve("/", "x", out, 1), -USER_ENAMETOOLONG);
	memset(long_path, 'a', sizeof(long_path) - 1);
	long_path[sizeof(long_path) - 1] = '\0';
	char big[USER_PATH_MAX];
	HCHECK_EQ(user_path_resolve("/", long_path, big, sizeof(big)),
		  -USER_ENAMETOOLONG);
}

HTEST(within_tells_a_directory_from_a_name_sharing_its_prefix)
{
	HCHECK(user_path_within("/tmp", "/tmp"));
	HCHECK(user_path_within("/tmp/a", "/tmp"));
	HCHECK(!user_path_within("/tmpx", "/tmp"));
	HCHECK(!user_path_within("/", "/tmp"));
	HCHECK(!user_path_within("/etc/tmp", "/tmp"));
	HCHECK(user_path_within("/etc", "/"));
	HCHECK(strcmp(user_path_last("/tmp/a"), "a") == 0);
	HCHECK(strcmp(user_path_last("/"), "") == 0);
}
