/*
 * One program as the machine's whole job (tools/veil-exec): with
 * `user_exec` on the command line the kernel boots, runs the program that
 * the initramfs's /veil-exec/argv names (NUL-terminated words, the path
 * first) with /veil-exec/stdin as its input when that file is there,
 * passes what it writes to the serial console in frames, prints one
 * summary line, and powers off. Frames keep the program's bytes apart
 * from the kernel's own log lines, byte for byte:
 *   "\x02veil-out FD LENGTH\x03" then LENGTH bytes.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include "kernel/cmdline.h"
#include "kernel/lib/printk.h"
#include "kernel/lib/time.h"
#include "kernel/power.h"
#include "kernel/user/initramfs.h"
#include "kernel/user/process.h"
#include "kernel/user/user_exec.h"

#define USER_EXEC_WORDS_MAX PROCESS_ARGUMENTS_MAX

static bool user_exec_on;

static bool user_exec_set(const char *value)
{
	return cmdline_parse_bool(value, &user_exec_on);
}
CMDLINE_OPTION(user_exec, "user_exec",
	       "[on|off] (bare: on): run the program /veil-exec/argv of the "
	       "initramfs names, print its summary and power off (tools/veil-exec)",
	       user_exec_set);

bool user_exec_requested(void)
{
	return user_exec_on;
}

static void user_exec_output(void *context, int fd, const char *bytes,
			     size_t length)
{
	char header[48];

	(void)context;
	int size = ksnprintf(header, sizeof(header), "\x02veil-out %d %zu\x03",
			     fd, length);
	/* Header and bytes in one piece: no log line comes between them. */
	printk_frame(header, (size_t)size, bytes, length);
}

/* The summary tools/veil-exec reads (store_ratio n/a when nothing was
 * sealed): the program with every descendant it waited for. */
static void user_exec_summary(const struct process_result *ended)
{
	const struct region_group *totals = &ended->tree_totals;
	uint64_t hundredths = process_store_ratio_hundredths(totals);
	char ratio[24] = "n/a";

	if (hundredths) {
		ksnprintf(ratio, sizeof(ratio), "%llu.%02llu",
			  (unsigned long long)(hundredths / 100),
			  (unsigned long long)(hundredths % 100));
	}
	printk("veil-exec: status=%d faults=%llu restores=%llu sealed_peak=%llu "
	       "store_ratio=%s clear_hit_pct=n/a runtime_ns=%llu\n",
	       process_shell_status(ended->wait_status),
	       (unsigned long long)ended->tree_stats.faults,
	       (unsigned long long)ended->tree_stats.restores,
	       (unsigned long long)totals->sealed_peak, ratio,
	       (unsigned long long)ended->runtime_ns);
}

void user_exec_run(void)
{
	static char words[4096];
	const char *argv[USER_EXEC_WORDS_MAX + 1];
	struct cpio_entry file, input;
	struct process *process;
	struct process_result ended;

	if (!process_boot_check()) {
		printk("veil-exec: refused: the scheme asked for is not one "
		       "this kernel has\n");
		machine_exit(MACHINE_FAILED);
	}
	/* What the program runs under, for veil-exec to check. */
	char scheme[64];
	process_default_scheme(scheme, sizeof(scheme));
	if (process_default_clear_percent())
		printk("veil-exec: scheme=%s clear=%u%%\n",
		       scheme, process_default_clear_percent());
	else
		printk("veil-exec: scheme=%s clear=%u\n",
		       scheme, process_default_clear());
	if (initramfs_find("/veil-exec/argv", &file) != CPIO_OK ||
	    initramfs_words(&file, words, sizeof(words), argv,
			    USER_EXEC_WORDS_MAX) == 0) {
		printk("veil-exec: no /veil-exec/argv in the initramfs: "
		       "nothing to run\n");
		machine_exit(MACHINE_FAILED);
	}
	struct process_config config = {
		.path = argv[0],
		.argv = argv,
		.output = user_exec_output,
		.input = "",
		.stdio_is_pipe = true,
	};
	if (initramfs_find("/veil-exec/stdin", &input) == CPIO_OK) {
		config.input = input.data;
		config.input_length = input.size;
	}
	int result = process_spawn(&config, &process);
	if (result) {
		printk("veil-exec: cannot start %s: error %d\n", argv[0], -result);
		machine_exit(MACHINE_FAILED);
	}
	process_wait(process, &ended);
	user_exec_summary(&ended);
	machine_exit(MACHINE_PASSED);
}
