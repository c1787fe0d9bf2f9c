/*
 * The demo's second part: a real program (the one the boot's initramfs
 * names in /veil-demo/argv: `make run` puts Debian's busybox there, over a
 * piece of the page corpus) runs with its memory compressed and encrypted
 * and a quarter of each process's resident pages clear, while a status line shows its faults, seals and
 * sealed pages as they happen, then its summary.
 */
#include <stdint.h>
#include <string.h>
#include "kernel/demo/demo.h"
#include "kernel/demo/demo_internal.h"
#include "kernel/lib/printk.h"
#include "kernel/lib/time.h"
#include "kernel/sched/sched.h"
#include "kernel/user/initramfs.h"
#include "kernel/user/process.h"

#define DEMO_USER_CLEAR_PERCENT 25	/* of each process's resident pages */
#define DEMO_USER_STATUS_MS 250
#define DEMO_USER_PROCESSES 16		/* summed in the status line */

/* The counters of every process now (the program and the commands it
 * runs; atomics the regions update). */
static void demo_user_status(uint64_t start)
{
	static struct process_info live[DEMO_USER_PROCESSES];
	uint64_t ms = (time_uptime_ns() - start) / 1000000u;
	uint64_t faults = 0, seals = 0, sealed = 0;
	unsigned count = process_snapshot(live, DEMO_USER_PROCESSES);

	for (unsigned i = 0; i < count && i < DEMO_USER_PROCESSES; i++) {
		faults += live[i].faults;
		seals += live[i].seals;
		sealed += live[i].sealed_pages;
	}
	printk("demo-user: %3llu.%01llu s  %2u processes  %6llu faults  %6llu seals  "
	       "%5llu sealed now\n",
	       (unsigned long long)(ms / 1000), (unsigned long long)(ms % 1000 / 100),
	       count, (unsigned long long)faults, (unsigned long long)seals,
	       (unsigned long long)sealed);
}

static void demo_user_summary(const char *path, const struct process_result *ended)
{
	const struct region_group *totals = &ended->tree_totals;
	uint64_t hundredths = process_store_ratio_hundredths(totals);

	printk("demo-user: %s ended with status %d in %llu ms: %llu faults "
	       "(%llu restores), %llu pages sealed (at most %llu at once), "
	       "store ratio %llu.%02llux\n", path,
	       process_shell_status(ended->wait_status),
	       (unsigned long long)(ended->runtime_ns / 1000000u),
	       (unsigned long long)ended->tree_stats.faults,
	       (unsigned long long)ended->tree_stats.restores,
	       (unsigned long long)totals->seals,
	       (unsigned long long)totals->sealed_peak,
	       (unsigned long long)(hundredths / 100),
	       (unsigned long long)(hundredths % 100));
}

void demo_user_boot(void)
{
	static char words[1024];
	const char *argv[PROCESS_ARGUMENTS_MAX + 1];
	struct cpio_entry file;
	struct process *process;
	struct process_result ended;

	if (initramfs_find("/veil-demo/argv", &file) != CPIO_OK ||
	    initramfs_words(&file, words, sizeof(words), argv,
			    PROCESS_ARGUMENTS_MAX) == 0)
		return;	/* this boot carries no program for the demo */
	struct process_config config = {
		.path = argv[0],
		.argv = argv,
		.scheme = demo_default_scheme(false),
		.clear_percent = DEMO_USER_CLEAR_PERCENT,
		.input = "",
	};
	printk("\ndemo-user: a real program, its memory under %s, %u%% of each "
	       "process's resident pages clear:", config.scheme,
	       DEMO_USER_CLEAR_PERCENT);
	for (unsigned i = 0; argv[i]; i++)
		printk(" %s", argv[i]);
	printk("\n");
	uint64_t start = time_uptime_ns();
	if (process_spawn(&config, &process) != 0) {
		printk("demo-user: cannot start %s\n", argv[0]);
		return;
	}
	while (!process_ended(process)) {
		thread_sleep_ms(DEMO_USER_STATUS_MS);
		demo_user_status(start);
	}
	process_wait(process, &ended);
	demo_user_summary(argv[0], &ended);
}
