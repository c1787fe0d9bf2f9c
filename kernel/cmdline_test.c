/*
 * ktest suite "cmdline": words reach their options, unknown keys and bad
 * values are counted (and warned about) instead of crashing, an overlong
 * word is cut safely, numbers parse strictly.
 */
#include <string.h>
#include "kernel/cmdline.h"
#include "kernel/ktest/ktest.h"

static char seen_value[32];
static unsigned seen_count;

static bool record_value(const char *value)
{
	strlcpy(seen_value, value, sizeof(seen_value));
	seen_count++;
	return strcmp(value, "bad") != 0;
}

static const struct cmdline_option test_options[] = {
	{ "alpha", "test option", record_value },
};

KTEST(cmdline, words_reach_options)
{
	seen_count = 0;
	KTEST_EXPECT_EQ(t, cmdline_apply_table("  alpha=7   ", test_options, 1), 0);
	KTEST_EXPECT_EQ(t, seen_count, 1);
	KTEST_EXPECT(t, strcmp(seen_value, "7") == 0);
	KTEST_EXPECT_EQ(t, cmdline_apply_table("alpha", test_options, 1), 0);
	KTEST_EXPECT(t, strcmp(seen_value, "") == 0);
	KTEST_EXPECT_EQ(t, cmdline_apply_table("", test_options, 1), 0);
}

KTEST(cmdline, unknown_and_bad_values_are_counted)
{
	KTEST_EXPECT_EQ(t, cmdline_apply_table("beta=1 alpha=bad gamma alpha=2",
					       test_options, 1), 3);
	KTEST_EXPECT(t, strcmp(seen_value, "2") == 0);
}

KTEST(cmdline, overlong_word_is_cut)
{
	static char line[CMDLINE_WORD_MAX * 2];

	memset(line, 'a', sizeof(line) - 1);
	line[sizeof(line) - 1] = '\0';
	memcpy(line, "alpha=", 6);
	seen_count = 0;
	KTEST_EXPECT_EQ(t, cmdline_apply_table(line, test_options, 1), 0);
	KTEST_EXPECT_EQ(t, seen_count, 1);
	KTEST_EXPECT_EQ(t, strlen(seen_value), sizeof(seen_value) - 1);
}

KTEST(cmdline, numbers)
{
	unsigned long long v;

	KTEST_EXPECT(t, cmdline_parse_u64("123", &v) && v == 123);
	KTEST_EXPECT(t, cmdline_parse_u64("0x1F", &v) && v == 31);
	KTEST_EXPECT(t, cmdline_parse_u64("18446744073709551615", &v));
	KTEST_EXPECT(t, !cmdline_parse_u64("18446744073709551616", &v));
	KTEST_EXPECT(t, !cmdline_parse_u64("", &v));
	KTEST_EXPECT(t, !cmdline_parse_u64("12a", &v));
	KTEST_EXPECT(t, !cmdline_parse_u64("0x", &v));
	KTEST_EXPECT(t, !cmdline_parse_u64("-1", &v));
}
