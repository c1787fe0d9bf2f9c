/*
 * htest runner: runs the registered cases in registration order and prints
 * KTAP version 1. The exit status is 0 only when every case passed.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include "tests/host/htest.h"

static struct htest_case *htest_first;
static struct htest_case **htest_tail = &htest_first;
static unsigned htest_case_failures;
static bool htest_case_skipped;
static const char *htest_skip_reason;

void htest_register(struct htest_case *c)
{
	c->next = NULL;
	*htest_tail = c;
	htest_tail = &c->next;
}

void htest_check(bool ok, const char *file, int line, const char *expr)
{
	if (ok)
		return;
	htest_case_failures++;
	printf("    # %s:%d: check failed: %s\n", file, line, expr);
	fflush(stdout);
}

void htest_log(const char *fmt, ...)
{
	va_list args;

	va_start(args, fmt);
	printf("    # ");
	vprintf(fmt, args);
	printf("\n");
	va_end(args);
	fflush(stdout);
}

void htest_skip(const char *reason)
{
	htest_case_skipped = true;
	htest_skip_reason = reason;
}

static bool htest_selected(const struct htest_case *c, int argc, char **argv)
{
	if (argc < 2)
		return true;
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], c->name) == 0)
			return true;
	return false;
}

int main(int argc, char **argv)
{
	unsigned planned = 0, number = 0, failed = 0;
	const char *suite = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (struct htest_case *c = htest_first; c; c = c->next)
		planned += htest_selected(c, argc, argv);
	printf("KTAP version 1\n# Subtest: %s\n1..%u\n", suite, planned);
	for (struct htest_case *c = htest_first; c; c = c->next) {
		if (!htest_selected(c, argc, argv))
			continue;
		htest_case_failures = 0;
		htest_case_skipped = false;
		c->run();
		number++;
		if (htest_case_skipped && !htest_case_failures) {
			printf("ok %u %s # SKIP %s\n", number, c->name, htest_skip_reason);
		} else if (htest_case_failures) {
			printf("not ok %u %s\n", number, c->name);
			failed++;
		} else {
			printf("ok %u %s\n", number, c->name);
		}
	}
	return failed ? 1 : 0;
}
