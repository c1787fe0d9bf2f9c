/*
 * ktest suite "trace": the dump's header describes the machine it ran on
 * (a tool sizing per-CPU tables from it must not see 16 CPUs on one).
 */
#include <string.h>
#include "kernel/ktest/ktest.h"
#include "kernel/lib/cpu.h"
#include "kernel/lib/printk.h"
#include "mm/trace.h"

struct trace_test_capture {
	char first[96];
	unsigned lines;
};

static void trace_test_emit(void *context, const char *line)
{
	struct trace_test_capture *capture = context;

	if (capture->lines++ == 0)
		strlcpy(capture->first, line, sizeof(capture->first));
}

KTEST(trace, dump_header_counts_running_cpus)
{
	struct trace_test_capture capture = { .lines = 0 };
	char expected[32];

	trace_dump(trace_test_emit, &capture);
	ksnprintf(expected, sizeof(expected), "tlbev-begin cpus=%u ", cpu_count());
	KTEST_EXPECT(t, capture.lines >= 2);	/* header and end line */
	KTEST_EXPECT(t, strncmp(capture.first, expected, strlen(expected)) == 0);
	ktest_log(t, "header: %s", capture.first);
}
