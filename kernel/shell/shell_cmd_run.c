/*
 * Shell commands that run things: `run` (workloads: the demo), `test`
 * (ktest suites, live: a failing case fails, the shell goes on) and
 * `bench` (KBENCH benchmarks). Options are checked in full before
 * anything starts, so a bad one never leaves half a run behind.
 */
#include <string.h>
#include "kernel/demo/demo.h"
#include "kernel/console.h"
#include "kernel/ktest/ktest.h"
#include "kernel/lib/printk.h"
#include "kernel/shell/shell_internal.h"

#define SHELL_FILTER_MAX 200
#define SHELL_ACCESSES_MAX 100000000ull

static bool shell_on_off(const char *value, bool *out)
{
	if (strcmp(value, "on") == 0)
		*out = true;
	else if (strcmp(value, "off") == 0)
		*out = false;
	else {
		printk("shell: '%s' is not on or off\n", value);
		return false;
	}
	return true;
}

/* One key=value of `run demo`; false with a message when it is bad. */
static bool shell_demo_option(struct demo_options *o, const char *key,
			      const char *value, bool *limit_given)
{
	unsigned long long n;

	if (strcmp(key, "scheme") == 0) {
		if (!*value || strlen(value) >= sizeof(o->scheme)) {
			printk("shell: scheme must be 1..%u characters\n",
			       (unsigned)sizeof(o->scheme) - 1);
			return false;
		}
		strlcpy(o->scheme, value, sizeof(o->scheme));
		return true;
	}
	if (strcmp(key, "status") == 0)
		return shell_on_off(value, &o->status_line);
	if (strcmp(key, "pages") == 0 &&
	    shell_parse_number(value, "pages", 1, DEMO_PAGES_MAX, &n))
		return o->pages = (uint32_t)n, true;
	if (strcmp(key, "limit") == 0 &&
	    shell_parse_number(value, "limit", 1, DEMO_PAGES_MAX, &n))
		return o->clear_limit = (uint32_t)n, *limit_given = true;
	if (strcmp(key, "accesses") == 0 &&
	    shell_parse_number(value, "accesses", 1, SHELL_ACCESSES_MAX, &n))
		return o->accesses = n, true;
	if (strcmp(key, "writes") == 0 &&
	    shell_parse_number(value, "writes (percent)", 0, 100, &n))
		return o->write_percent = (unsigned)n, true;
	if (strcmp(key, "threads") == 0 &&
	    shell_parse_number(value, "threads", 1, DEMO_THREADS_MAX, &n))
		return o->threads = (unsigned)n, true;
	if (strcmp(key, "samples") == 0 &&
	    shell_parse_number(value, "samples", 1, DEMO_SAMPLES_MAX, &n))
		return o->samples = (unsigned)n, true;
	if (strcmp(key, "seed") == 0 &&
	    shell_parse_number(value, "seed", 0, UINT64_MAX, &n))
		return o->seed = n, true;
	if (strcmp(key, "pages") && strcmp(key, "limit") &&
	    strcmp(key, "accesses") && strcmp(key, "writes") &&
	    strcmp(key, "seed") && strcmp(key, "samples") &&
	    strcmp(key, "threads"))
		printk("shell: run demo has no option '%s'\n", key);
	return false;
}

static int shell_run_demo(int argc, char **argv)
{
	struct demo_options options;
	bool limit_given = false;

	demo_options_default(&options);
	for (int i = 2; i < argc; i++) {
		char *key, *value;
		if (!shell_split_option(argv[i], &key, &value) ||
		    !shell_demo_option(&options, key, value, &limit_given))
			return shell_usage_of("run");
	}
	if (!limit_given)	/* the default share: an eighth */
		options.clear_limit = options.pages >= 8 ? options.pages / 8 : 1;
	if (options.clear_limit > options.pages) {
		printk("shell: limit %u is above pages %u\n", options.clear_limit,
		       options.pages);
		return SHELL_BAD_ARGUMENT;
	}
	return demo_run(&options) ? SHELL_OK : SHELL_FAILED;
}

int shell_cmd_run(int argc, char **argv)
{
	if (argc < 2) {
		printk("workloads: demo\n");
		return shell_usage_of("run");
	}
	if (strcmp(argv[1], "demo") == 0)
		return shell_run_demo(argc, argv);
	printk("run: no workload '%s' (workloads: demo)\n", argv[1]);
	return SHELL_BAD_ARGUMENT;
}

static bool shell_filter_ok(const char *filter)
{
	if (strlen(filter) <= SHELL_FILTER_MAX)
		return true;
	printk("shell: filter longer than %u characters\n", SHELL_FILTER_MAX);
	return false;
}

int shell_cmd_test(int argc, char **argv)
{
	if (argc == 1) {
		ktest_list();
		return SHELL_OK;
	}
	if (argc != 2 || !shell_filter_ok(argv[1]))
		return shell_usage_of("test");
	if (!ktest_cases_linked()) {	/* a release build: nothing to run */
		printk("test: %s\n", KTEST_NONE_MESSAGE);
		return SHELL_FAILED;
	}
	if (ktest_count_selected(argv[1]) == 0) {
		printk("test: '%s' selects no test case (`test` lists the "
		       "suites)\n", argv[1]);
		return SHELL_BAD_ARGUMENT;
	}
	ktest_set_stop_check(console_interrupt_pending);
	bool ok = ktest_run(argv[1]);
	ktest_set_stop_check(NULL);
	printk("test: %s\n", ok ? "all selected cases passed" :
	       ktest_was_stopped() ? "stopped by Ctrl-C (see above)" :
	       "some cases failed (see above)");
	return ok ? SHELL_OK : SHELL_FAILED;
}

int shell_cmd_bench(int argc, char **argv)
{
	if (argc == 1) {
		ktest_list();
		return SHELL_OK;
	}
	if (argc != 2 || !shell_filter_ok(argv[1]))
		return shell_usage_of("bench");
	ktest_set_stop_check(console_interrupt_pending);
	unsigned run = ktest_run_benches_matching(argv[1]);
	ktest_set_stop_check(NULL);
	if (run == 0) {
		printk("bench: no benchmark '%s' (`bench` lists them)\n", argv[1]);
		return SHELL_BAD_ARGUMENT;
	}
	if (ktest_was_stopped())
		return SHELL_FAILED;
	return ktest_benches_failed() ? SHELL_FAILED : SHELL_OK;
}
