/*
 * ktest suite shell: the parser on bad input. Each case feeds a line to
 * shell_execute and checks that it was refused with the right result (and
 * a message on the console) without running anything, and that the shell
 * still answers the next line.
 */
#include <string.h>
#include "kernel/ktest/ktest.h"
#include "kernel/lib/failpoint.h"
#include "kernel/shell/shell_internal.h"
#include "kernel/user/initramfs.h"
#include "mm/frame.h"
#include "mm/slab.h"

/* A command that works, run after each bad line: the shell goes on. */
static void shell_test_still_answers(struct ktest *t)
{
	KTEST_EXPECT_EQ(t, shell_execute("help help"), SHELL_OK);
}

KTEST(shell, empty_and_blank_lines)
{
	KTEST_EXPECT_EQ(t, shell_execute(""), SHELL_EMPTY);
	KTEST_EXPECT_EQ(t, shell_execute("   \t  "), SHELL_EMPTY);
	shell_test_still_answers(t);
}

KTEST(shell, unknown_command)
{
	KTEST_EXPECT_EQ(t, shell_execute("frobnicate 3"), SHELL_UNKNOWN);
	KTEST_EXPECT_EQ(t, shell_execute("HELP"), SHELL_UNKNOWN);
	KTEST_EXPECT_EQ(t, shell_execute("help frobnicate"), SHELL_BAD_ARGUMENT);
	shell_test_still_answers(t);
}

/* Every bad number is refused before the demo starts: none of these
 * creates a region. */
KTEST(shell, bad_numbers)
{
	static const char *const lines[] = {
		"run demo pages=12x", "run demo pages=0", "run demo pages=-1",
		"run demo pages=99999999999999999999999", "run demo accesses=",
		"run demo writes=101", "run demo limit=0x", "run demo pages=8 limit=9",
		"run demo nonsense", "run demo colour=blue", "run demo status=maybe",
		"run demo samples=0", "run demo samples=257",
		"run frobnicate", "wset 0x", "trace sideways", "scheme demo",
		"batch", "batch 0x", "batch demo 0", "batch demo 33",
		"batch demo 8x",
	};

	for (unsigned i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		int result = shell_execute(lines[i]);
		if (result != SHELL_BAD_ARGUMENT)
			ktest_log(t, "'%s' gave %d", lines[i], result);
		KTEST_EXPECT(t, result == SHELL_BAD_ARGUMENT);
	}
	shell_test_still_answers(t);
}

KTEST(shell, very_long_line)
{
	static char line[SHELL_LINE_MAX + 64];

	memset(line, 'x', sizeof(line) - 1);
	line[sizeof(line) - 1] = '\0';
	KTEST_EXPECT_EQ(t, shell_execute(line), SHELL_TOO_LONG);
	line[SHELL_LINE_MAX] = '\0';	/* exactly the limit: parsed */
	KTEST_EXPECT_EQ(t, shell_execute(line), SHELL_UNKNOWN);
	shell_test_still_answers(t);
}

KTEST(shell, too_many_words)
{
	KTEST_EXPECT_EQ(t, shell_execute("help a b c d e f g h i j k l m n o p q"),
			SHELL_TOO_MANY_WORDS);
	shell_test_still_answers(t);
}

KTEST(shell, split_words)
{
	char line[] = "  run\tdemo   pages=8  ";
	char *words[SHELL_WORDS_MAX];

	KTEST_ASSERT(t, shell_split(line, words, SHELL_WORDS_MAX) == 3);
	KTEST_EXPECT(t, strcmp(words[0], "run") == 0);
	KTEST_EXPECT(t, strcmp(words[1], "demo") == 0);
	KTEST_EXPECT(t, strcmp(words[2], "pages=8") == 0);
}

/* `test` with a filter that selects no case says so and fails, instead of
 * reporting that all (zero) selected cases passed. */
KTEST(shell, test_filter_selecting_nothing_fails)
{
	KTEST_EXPECT_EQ(t, shell_execute("test nosuch"), SHELL_BAD_ARGUMENT);
	KTEST_EXPECT_EQ(t, shell_execute("test ,"), SHELL_BAD_ARGUMENT);
	KTEST_EXPECT_EQ(t, shell_execute("test -all"), SHELL_BAD_ARGUMENT);
	shell_test_still_answers(t);
}

#if CONFIG_FAILPOINTS
/* `failpoints` sets the points (the failure lands on the call it names)
 * and refuses what it cannot read, leaving nothing armed. */
KTEST(shell, failpoints_command)
{
	KTEST_EXPECT_EQ(t, shell_execute("failpoints"), SHELL_OK);
	KTEST_EXPECT_EQ(t, shell_execute("failpoints frame_alloc:nth=2"), SHELL_OK);
	uint64_t first = frame_alloc();
	uint64_t second = frame_alloc();
	uint64_t third = frame_alloc();
	KTEST_EXPECT(t, first != FRAME_NONE);
	KTEST_EXPECT(t, second == FRAME_NONE);
	KTEST_EXPECT(t, third != FRAME_NONE);
	if (first != FRAME_NONE)
		frame_free(first);
	if (third != FRAME_NONE)
		frame_free(third);
	KTEST_EXPECT_EQ(t, shell_execute("failpoints slab_alloc:ppm=1000000"), SHELL_OK);
	KTEST_EXPECT(t, kmalloc(64) == NULL);
	KTEST_EXPECT_EQ(t, shell_execute("failpoints off"), SHELL_OK);
	KTEST_EXPECT(t, !failpoint_any_armed());
	void *object = kmalloc(64);
	KTEST_EXPECT(t, object != NULL);
	kfree(object);
	KTEST_EXPECT_EQ(t, shell_execute("failpoints nosuch:nth=1"), SHELL_BAD_ARGUMENT);
	KTEST_EXPECT_EQ(t, shell_execute("failpoints seal:ppm=2000000"), SHELL_BAD_ARGUMENT);
	KTEST_EXPECT_EQ(t, shell_execute("failpoints a b"), SHELL_BAD_ARGUMENT);
	KTEST_EXPECT(t, !failpoint_any_armed());
	shell_test_still_answers(t);
}
#endif

/* `cpus` takes no argument, and lists the CPUs it was given. */
KTEST(shell, cpus_refuses_arguments)
{
	KTEST_EXPECT_EQ(t, shell_execute("cpus"), SHELL_OK);
	KTEST_EXPECT_EQ(t, shell_execute("cpus 1"), SHELL_BAD_ARGUMENT);
	shell_test_still_answers(t);
}

/* `exec` takes its clear set in pages or in percent of the program's
 * resident pages, and refuses a share out of 1..100 before running
 * anything; a good one runs the program (when the boot carries it). */
KTEST(shell, exec_clear_in_pages_or_percent)
{
	static const char *const lines[] = {
		"exec clear=0% /bin/hello", "exec clear=101% /bin/hello",
		"exec clear=% /bin/hello", "exec clear=25%% /bin/hello",
		"exec clear=0 /bin/hello", "exec clear=x% /bin/hello",
	};
	struct cpio_entry file;

	for (unsigned i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		int result = shell_execute(lines[i]);
		if (result != SHELL_BAD_ARGUMENT)
			ktest_log(t, "'%s' gave %d", lines[i], result);
		KTEST_EXPECT(t, result == SHELL_BAD_ARGUMENT);
	}
	if (initramfs_find("/bin/hello", &file) == CPIO_OK) {
		KTEST_EXPECT_EQ(t, shell_execute("exec clear=25% /bin/hello"),
				SHELL_OK);
		KTEST_EXPECT_EQ(t, shell_execute("exec clear=8 /bin/hello"),
				SHELL_OK);
	} else {
		ktest_log(t, "no /bin/hello in this boot: the refusals only");
	}
	shell_test_still_answers(t);
}
