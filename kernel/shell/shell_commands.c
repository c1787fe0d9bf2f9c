/*
 * The shell's command table, `help`, and the commands that end the
 * machine. The commands themselves live by concern in shell_cmd_*.c.
 */
#include "kernel/power.h"
#include "kernel/lib/failpoint.h"
#include "kernel/lib/printk.h"
#include "kernel/shell/shell_internal.h"

const struct shell_command shell_commands[] = {
	{ "help", "[COMMAND]", "list the commands, or say how to use one",
	  shell_cmd_help },
	{ "mem", "", "frames by owner, the page store, slab totals",
	  shell_cmd_mem },
	{ "slabinfo", "", "one line per slab cache", shell_cmd_slabinfo },
	{ "regions", "", "every transformed region and its counters",
	  shell_cmd_regions },
	{ "scheme", "[REGION POLICY[:XF,...] | REGION rate PAGES PAUSE_MS | "
	  "REGION tier THRESHOLD PAGES PAUSE_MS | REGION store KIND | all POLICY[:XF,...]]",
	  "show schemes, policies, transforms, migrations and tiers, set a "
	  "region's scheme (its old pages migrate), its migration rate or its "
	  "tier walk (FAST>DENSE schemes)",
	  shell_cmd_scheme },
	{ "rekey", "[status]",
	  "rotate the page-encryption key: a new key in every CPU's key "
	  "registers, every region's pages moved to it, the old key wiped",
	  shell_cmd_rekey },
	{ "rmap", "[DESIGN]",
	  "the reverse map's design (chains or family) and a swap's progress; "
	  "with a design, swap to it live",
	  shell_cmd_rmap },
	{ "wset", "REGION", "the clear set (resident pages) of a region",
	  shell_cmd_wset },
	{ "batch", "REGION [N]",
	  "show or set how many pages a region evicts at once (one TLB round)",
	  shell_cmd_batch },
	{ "trace", "on|off|dump", "record TLB events, stop, print them",
	  shell_cmd_trace },
	{ "stats", "", "regions, the store and the last demo run's figures",
	  shell_cmd_stats },
	{ "threads", "", "every thread: id, name, CPU, state, run time",
	  shell_cmd_threads },
	{ "exec", "[scheme=S] [clear=N|P%] PROGRAM [ARGS...]",
	  "run a program of the initramfs, its memory under a scheme",
	  shell_cmd_exec },
	{ "ps", "", "the processes running: pid, name, scheme, clear pages "
	  "of the budget, sealed pages, faults", shell_cmd_ps },
	{ "cpus", "", "each CPU: APIC id, state, ticks, idle share, and those not up",
	  shell_cmd_cpus },
	{ "run", "demo [pages=N] [limit=N] [accesses=N] [writes=PCT] [seed=N] "
	  "[scheme=S] [status=on|off] [samples=N] [threads=N]", "run a workload", shell_cmd_run },
	{ "modload", "NAME", "load module NAME (/lib/modules/NAME.o of the "
	  "initramfs): its transforms and policies register", shell_cmd_modload },
	{ "modunload", "NAME", "unload a module no region's scheme uses any more",
	  shell_cmd_modunload },
	{ "modules", "", "the loaded modules: address, size, what they provide, "
	  "who uses them", shell_cmd_modules },
	{ "test", "[all|SUITE|SUITE.CASE,...]", "run ktest suites (no argument: list them)",
	  shell_cmd_test },
	{ "bench", "[NAME]", "run a benchmark (no argument: list them)",
	  shell_cmd_bench },
#if CONFIG_FAILPOINTS
	{ "failpoints", "[off|seed=N|NAME:nth=N|NAME:ppm=P|NAME:off,...]",
	  "fault injection (test builds): show the points, or set them",
	  shell_cmd_failpoints },
#endif
	{ "reboot", "", "restart the machine", shell_cmd_reboot },
	{ "poweroff", "", "switch off (QEMU exits)", shell_cmd_poweroff },
};
const unsigned shell_command_count =
	sizeof(shell_commands) / sizeof(shell_commands[0]);

int shell_cmd_help(int argc, char **argv)
{
	if (argc > 2)
		return shell_usage_of("help");
	if (argc == 2) {
		const struct shell_command *command = shell_find_command(argv[1]);
		if (!command) {
			printk("help: no command '%s'\n", argv[1]);
			return SHELL_BAD_ARGUMENT;
		}
		printk("%s: %s\n", command->name, command->help);
		return shell_usage(command), SHELL_OK;
	}
	for (unsigned i = 0; i < shell_command_count; i++)
		printk("  %-9s %s\n", shell_commands[i].name,
		       shell_commands[i].help);
	printk("Keys: backspace, Ctrl-C, Ctrl-U, up/down for history.\n");
	return SHELL_OK;
}

int shell_cmd_reboot(int argc, char **argv)
{
	(void)argv;
	if (argc != 1)
		return shell_usage_of("reboot");
	printk("rebooting\n");
	machine_reboot();
}

int shell_cmd_poweroff(int argc, char **argv)
{
	(void)argv;
	if (argc != 1)
		return shell_usage_of("poweroff");
	printk("powering off\n");
	machine_poweroff();
}
