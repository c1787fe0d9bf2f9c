/*
 * ktest suite "printk": the formatting engine on every conversion and flag
 * it documents, and ksnprintf's bounds (truncation, return value).
 */
#include <string.h>
#include "kernel/ktest/ktest.h"
#include "kernel/lib/printk.h"

static bool formats_as(const char *expected, const char *fmt, ...)
{
	char buffer[128];
	va_list args;

	va_start(args, fmt);
	kvsnprintf(buffer, sizeof(buffer), fmt, args);
	va_end(args);
	return strcmp(buffer, expected) == 0;
}

KTEST(printk, conversions)
{
	KTEST_EXPECT(t, formats_as("42 -7 0", "%d %i %u", 42, -7, 0u));
	KTEST_EXPECT(t, formats_as("ff FF", "%x %X", 255u, 255u));
	KTEST_EXPECT(t, formats_as("18446744073709551615", "%llu", ~0ull));
	KTEST_EXPECT(t, formats_as("-9223372036854775808", "%lld",
				   (long long)(1ull << 63)));
	KTEST_EXPECT(t, formats_as("0x0000000000001000", "%p", (void *)0x1000));
	KTEST_EXPECT(t, formats_as("abc (null)", "%s %s", "abc", (char *)NULL));
	KTEST_EXPECT(t, formats_as("x%", "%c%%", 'x'));
	KTEST_EXPECT(t, formats_as("12345", "%zu", (size_t)12345));
	KTEST_EXPECT(t, formats_as("%q", "%q"));
}

KTEST(printk, width_and_flags)
{
	KTEST_EXPECT(t, formats_as("   42", "%5d", 42));
	KTEST_EXPECT(t, formats_as("00042", "%05d", 42));
	KTEST_EXPECT(t, formats_as("-0042", "%05d", -42));
	KTEST_EXPECT(t, formats_as("42   |", "%-5d|", 42));
	KTEST_EXPECT(t, formats_as("  ab", "%*s", 4, "ab"));
	KTEST_EXPECT(t, formats_as("ab", "%.2s", "abcdef"));
}

KTEST(printk, snprintf_bounds)
{
	char buffer[8];

	memset(buffer, 'z', sizeof(buffer));
	KTEST_EXPECT_EQ(t, ksnprintf(buffer, 4, "%s", "abcdef"), 6);
	KTEST_EXPECT(t, strcmp(buffer, "abc") == 0);
	KTEST_EXPECT_EQ(t, buffer[4], 'z');
	KTEST_EXPECT_EQ(t, ksnprintf(buffer, 0, "%d", 123), 3);
	KTEST_EXPECT_EQ(t, buffer[0], 'a');
}
