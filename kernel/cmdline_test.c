/*
 * ktest suite "cmdline": words reach their options, unknown keys and bad
 * values are counted (and warned about) instead of crashing, an overlong
 * word is refused whole, numbers and switches parse strictly.
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

/* A word longer than the buffer is refused whole, never applied cut short
 * (a cut value can mean another one); a word that fits exactly is applied
 * whole and not counted as cut. */
KTEST(cmdline, overlong_word_is_refused)
{
	static char line[CMDLINE_WORD_MAX * 2];

	memset(line, 'a', sizeof(line) - 1);
	line[sizeof(line) - 1] = '\0';
	memcpy(line, "alpha=", 6);
	seen_count = 0;
	KTEST_EXPECT_EQ(t, cmdline_apply_table(line, test_options, 1), 1);
	KTEST_EXPECT_EQ(t, seen_count, 0);

	line[CMDLINE_WORD_MAX] = '\0';		/* one byte over: refused */
	KTEST_EXPECT_EQ(t, cmdline_apply_table(line, test_options, 1), 1);
	KTEST_EXPECT_EQ(t, seen_count, 0);

	line[CMDLINE_WORD_MAX - 1] = '\0';	/* exactly the limit: applied */
	KTEST_EXPECT_EQ(t, cmdline_apply_table(line, test_options, 1), 0);
	KTEST_EXPECT_EQ(t, seen_count, 1);

	/* A refused word does not swallow the next one. */
	line[CMDLINE_WORD_MAX - 1] = 'a';
	line[CMDLINE_WORD_MAX] = 'a';
	line[CMDLINE_WORD_MAX + 4] = ' ';
	memcpy(line + CMDLINE_WORD_MAX + 5, "alpha=9", 8);
	seen_count = 0;
	KTEST_EXPECT_EQ(t, cmdline_apply_table(line, test_options, 1), 1);
	KTEST_EXPECT_EQ(t, seen_count, 1);
	KTEST_EXPECT(t, strcmp(seen_value, "9") == 0);
}

/* Switches take a bare key, on/off or 1/0, nothing else. */
KTEST(cmdline, switches_are_strict)
{
	bool value = false;

	KTEST_EXPECT(t, cmdline_parse_bool("", &value) && value);
	KTEST_EXPECT(t, cmdline_parse_bool("off", &value) && !value);
	KTEST_EXPECT(t, cmdline_parse_bool("on", &value) && value);
	KTEST_EXPECT(t, cmdline_parse_bool("0", &value) && !value);
	KTEST_EXPECT(t, cmdline_parse_bool("1", &value) && value);
	static const char *const bad[] = { "no", "yes", "2", "On", "off ", "00" };
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		value = true;
		KTEST_EXPECT(t, !cmdline_parse_bool(bad[i], &value) && value);
	}
}

KTEST(cmdline, ranges_are_strict)
{
	unsigned long long v = 42;

	KTEST_EXPECT(t, cmdline_parse_range("3", 3, 7, &v) && v == 3);
	KTEST_EXPECT(t, cmdline_parse_range("7", 3, 7, &v) && v == 7);
	KTEST_EXPECT(t, !cmdline_parse_range("2", 3, 7, &v) && v == 7);
	KTEST_EXPECT(t, !cmdline_parse_range("8", 3, 7, &v) && v == 7);
	KTEST_EXPECT(t, !cmdline_parse_range("77", 3, 7, &v) && v == 7);
	KTEST_EXPECT(t, !cmdline_parse_range("", 3, 7, &v) && v == 7);
}

/* The linked options refuse what their help does not offer: loglevel
 * below 3 would hide error reports; switches take no other word. */
KTEST(cmdline, linked_options_refuse_undocumented_values)
{
	static const char *const bad[] = {
		"loglevel=0", "loglevel=1", "loglevel=2", "loglevel=8",
		"loglevel=77", "slab_debug=no", "meminfo=no", "meminfo=2",
		"demo=maybe", "store_share=0", "store_share=91",
		"ktest_timeout_ms=0", "help=me",
	};

	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		unsigned rejected = cmdline_apply(bad[i]);
		if (rejected != 1)
			ktest_log(t, "'%s' was accepted", bad[i]);
		KTEST_EXPECT_EQ(t, rejected, 1);
	}
	/* the documented ones still work; these only matter at boot, so
	 * setting them now changes nothing the other cases see */
	KTEST_EXPECT_EQ(t, cmdline_apply("meminfo=off slab_debug=0"), 0);
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
