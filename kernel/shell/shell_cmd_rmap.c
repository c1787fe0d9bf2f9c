/*
 * The shell's rmap command: the reverse map's design, the frames each
 * side of a swap holds and how far the swap's walk is; `rmap DESIGN`
 * starts a live swap to another design (mm/rmap.h, docs/live-swap.md,
 * "Reverse map swap").
 */
#include <string.h>
#include "kernel/lib/printk.h"
#include "kernel/shell/shell_internal.h"
#include "mm/rmap.h"

/* The designs' names on one line, after text. */
static void shell_rmap_designs(const char *text)
{
	printk("%s", text);
	for (unsigned i = 0; rmap_design_name(i); i++)
		printk(" %s", rmap_design_name(i));
	printk("\n");
}

/* Prints the design in use and the swap under way, if any. */
static void shell_rmap_status(void)
{
	struct rmap_status status;

	rmap_get_status(&status);
	printk("rmap: design %s, %llu shared frame(s)", status.right,
	       (unsigned long long)(status.right_frames + status.left_frames));
	if (status.left)
		printk("; swap from %s under way: %llu of %llu frame(s) moved, "
		       "%llu left in %s, %llu in %s\n", status.left,
		       (unsigned long long)status.moved,
		       (unsigned long long)status.left_at_start,
		       (unsigned long long)status.left_frames, status.left,
		       (unsigned long long)status.right_frames, status.right);
	else
		printk("; no swap under way, %llu swap(s) done since boot\n",
		       (unsigned long long)status.swaps);
	shell_rmap_designs("rmap: designs:");
}

int shell_cmd_rmap(int argc, char **argv)
{
	if (argc == 1) {
		shell_rmap_status();
		return SHELL_OK;
	}
	if (argc != 2)
		return shell_usage_of("rmap");
	struct rmap_status before;
	rmap_get_status(&before);
	switch (rmap_swap(argv[1])) {
	case RMAP_OK:
		if (before.right_frames == 0) {	/* done at once */
			printk("rmap: swap %s -> %s done: no frame to move\n",
			       before.right, argv[1]);
			return SHELL_OK;
		}
		printk("rmap: swap %s -> %s begun: %llu frame(s) to move, one "
		       "at a time beside the workload (rmap shows how far)\n",
		       before.right, argv[1],
		       (unsigned long long)before.right_frames);
		return SHELL_OK;
	case RMAP_SAME:
		printk("rmap: the map is in design %s already\n", argv[1]);
		return SHELL_OK;
	case RMAP_BUSY:
		printk("rmap: a swap from %s to %s is under way (%llu of %llu "
		       "frame(s) moved): try again when it is done\n",
		       before.left, before.right,
		       (unsigned long long)before.moved,
		       (unsigned long long)before.left_at_start);
		return SHELL_FAILED;
	case RMAP_UNKNOWN:
		printk("rmap: no design '%s'; ", argv[1]);
		shell_rmap_designs("designs:");
		return SHELL_BAD_ARGUMENT;
	default:
		printk("rmap: swap to %s refused\n", argv[1]);
		return SHELL_FAILED;
	}
}
