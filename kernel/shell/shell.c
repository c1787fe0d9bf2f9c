/*
 * The shell's loop: prompt, read a line, run it. A line that overflowed
 * the editor is reported and dropped rather than run cut short: half a
 * command could do something else than the whole one meant.
 */
#include "kernel/lib/printk.h"
#include "kernel/shell/shell_internal.h"

#define SHELL_PROMPT "veil> "

void shell_run(void)
{
	static char line[SHELL_LINE_MAX + 1];

	printk("\nVeil shell: `help` lists the commands, `poweroff` leaves.\n");
	for (;;) {
		int length = shell_line_read(SHELL_PROMPT, line);
		if (length == SHELL_LINE_TOO_LONG) {
			printk("shell: line longer than %u characters: cut, not run\n",
			       SHELL_LINE_MAX);
			continue;
		}
		if (length < 0)
			continue;	/* refused, and said why */
		shell_execute(line);
	}
}
