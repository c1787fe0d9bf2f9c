/*
 * The shell's `failpoints` command (test builds only, CONFIG_FAILPOINTS):
 * with no argument, one line per fault-injection point (its setting, calls
 * and injected failures); with one, a setting in failpoint_parse's syntax.
 */
#include "kernel/lib/failpoint.h"

#if CONFIG_FAILPOINTS

#include "kernel/lib/printk.h"
#include "kernel/shell/shell_internal.h"

int shell_cmd_failpoints(int argc, char **argv)
{
	char error[48];

	if (argc > 2)
		return shell_usage_of("failpoints");
	if (argc == 2 && !failpoint_parse(argv[1], error, sizeof(error))) {
		printk("failpoints: cannot apply \"%s\" (NAME:nth=N, NAME:ppm=P, "
		       "NAME:off, seed=N or off; NAME a point below or all)\n",
		       error);
		failpoint_print();
		return SHELL_BAD_ARGUMENT;
	}
	failpoint_print();
	return SHELL_OK;
}

#endif
