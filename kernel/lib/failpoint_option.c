/*
 * The failpoints= command-line option (test builds only): the same text
 * the shell's `failpoints` command takes (kernel/lib/failpoint.h), applied
 * before anything runs, so a ktest or a demo boot meets the failures from
 * its first call.
 */
#include "kernel/lib/failpoint.h"

#if CONFIG_FAILPOINTS

#include "kernel/cmdline.h"
#include "kernel/lib/printk.h"

static bool failpoint_set_option(const char *value)
{
	char error[48];

	if (failpoint_parse(value, error, sizeof(error)))
		return true;
	log_warn("failpoints: cannot apply \"%s\"", error);
	return false;
}
CMDLINE_OPTION(failpoints, "failpoints",
	       "fault injection (test builds): NAME:nth=N|NAME:ppm=P|NAME:off|"
	       "seed=N|off, comma-separated", failpoint_set_option);

#endif
