/*
 * The shell's `exec` (runs a program of the initramfs in the foreground,
 * its memory under a scheme, the console as its stdin and stdout) and
 * `ps` (the processes alive).
 */
#include <string.h>
#include "kernel/lib/printk.h"
#include "kernel/shell/shell_internal.h"
#include "kernel/user/initramfs.h"
#include "kernel/user/process.h"

/* clear=N (pages over all the program's mappings) or clear=P% (of its
 * resident pages) into config; false (with a message) when bad. */
static bool shell_exec_clear(char *value, struct process_config *config)
{
	size_t length = strlen(value);
	unsigned long long amount;

	if (length > 1 && value[length - 1] == '%') {
		value[length - 1] = '\0';
		if (!shell_parse_number(value, "clear", 1, 100, &amount))
			return false;
		config->clear_percent = (uint32_t)amount;
		return true;
	}
	if (!shell_parse_number(value, "clear", 1, 1u << 20, &amount))
		return false;
	config->clear_pages = (uint32_t)amount;
	return true;
}

/* Takes the leading scheme=S and clear=N|P% words; false on a bad one. */
static bool shell_exec_options(int *argc, char ***argv,
			       struct process_config *config)
{
	while (*argc > 1 && strchr((*argv)[1], '=')) {
		char *key, *value;
		if (!shell_split_option((*argv)[1], &key, &value))
			return false;
		if (strcmp(key, "scheme") == 0) {
			config->scheme = value;
		} else if (strcmp(key, "clear") == 0) {
			if (!shell_exec_clear(value, config))
				return false;
		} else {
			printk("exec: unknown option %s\n", key);
			return false;
		}
		(*argc)--;
		(*argv)++;
	}
	return *argc > 1;
}

/* The wait status as a shell would say it. */
static void shell_exec_report(const char *path, int status,
			      const struct region_stats *stats)
{
	if ((status & 0x7f) == 0)
		printk("exec: %s exit=%d", path, (status >> 8) & 0xff);
	else
		printk("exec: %s signal=%d", path, status & 0x7f);
	printk(" faults=%llu zero_fills=%llu restores=%llu evictions=%llu\n",
	       (unsigned long long)stats->faults,
	       (unsigned long long)stats->zero_fills,
	       (unsigned long long)stats->restores,
	       (unsigned long long)stats->evictions);
}

int shell_cmd_exec(int argc, char **argv)
{
	struct process_config config = { 0 };
	struct process_result ended;
	struct process *process;

	if (!shell_exec_options(&argc, &argv, &config))
		return shell_usage_of("exec");
	if (!initramfs_present()) {
		printk("exec: no initramfs: boot with a module named "
		       "initramfs (a cpio newc archive)\n");
		return SHELL_BAD_ARGUMENT;
	}
	config.path = argv[1];
	config.argv = (const char *const *)&argv[1];
	int result = process_spawn(&config, &process);
	if (result) {
		printk("exec: cannot start %s: error %d\n", argv[1], -result);
		return SHELL_BAD_ARGUMENT;
	}
	process_wait(process, &ended);
	shell_exec_report(argv[1], ended.wait_status, &ended.stats);
	return SHELL_OK;
}

int shell_cmd_ps(int argc, char **argv)
{
	struct process_info processes[16];

	(void)argv;
	if (argc != 1)
		return shell_usage_of("ps");
	unsigned count = process_snapshot(processes, 16);
	for (unsigned i = 0; i < count && i < 16; i++) {
		/* A vfork child: its figures are its parent's, shown there. */
		char borrowed[24] = "";
		if (processes[i].memory_of)
			ksnprintf(borrowed, sizeof(borrowed), " memory-of=%d",
				  processes[i].memory_of);
		printk("process pid=%d name=%s scheme=%s clear=%u/%u "
		       "sealed=%llu faults=%llu%s\n", processes[i].pid,
		       processes[i].name, processes[i].scheme,
		       processes[i].clear_pages, processes[i].clear_limit,
		       (unsigned long long)processes[i].sealed_pages,
		       (unsigned long long)processes[i].faults, borrowed);
	}
	printk("processes: %u\n", count);
	return SHELL_OK;
}
