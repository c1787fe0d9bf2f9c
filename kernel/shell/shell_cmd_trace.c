/*
 * trace on|off|dump: the TLB event trace (mm/trace.h) from the shell. The
 * dump is preceded by the clock's rate, so tools/veil-plot can turn TSC
 * timestamps into seconds.
 */
#include <string.h>
#include "kernel/lib/printk.h"
#include "kernel/shell/shell_internal.h"
#include "kernel/lib/time.h"
#include "mm/trace.h"

static int shell_trace_result(const char *what, int result)
{
	if (result == TLB_HOOKS_OK) {
		printk("trace: %s\n", what);
		return SHELL_OK;
	}
	printk("trace: %s refused: %s\n", what, tlb_hooks_result_name(result));
	return SHELL_FAILED;
}

int shell_cmd_trace(int argc, char **argv)
{
	if (argc != 2)
		return shell_usage_of("trace");
	if (strcmp(argv[1], "on") == 0) {
		trace_clear();
		return shell_trace_result("on (rings cleared)",
					  trace_start(time_cycles));
	}
	if (strcmp(argv[1], "off") == 0)
		return shell_trace_result("off", trace_stop());
	if (strcmp(argv[1], "dump") == 0) {
		printk("trace-clock tsc_hz=%llu\n",
		       (unsigned long long)time_cycles_per_second());
		trace_dump_console();
		return SHELL_OK;
	}
	printk("trace: '%s' is not on, off or dump\n", argv[1]);
	return SHELL_BAD_ARGUMENT;
}
