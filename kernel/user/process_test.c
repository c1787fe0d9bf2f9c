/*
 * ktest suite "user": real static programs (tests/user, built with
 * musl-gcc -static into the test ISO's initramfs) run in ring 3 under a
 * scheme; their output is captured and compared, their exit status
 * checked, and everything a process held is given back.
 */
#include <stdint.h>
#include <string.h>
#include "kernel/cmdline.h"
#include "kernel/ktest/ktest.h"
#include "kernel/lib/printk.h"
#include "kernel/lib/cpu.h"
#include "kernel/smp.h"
#include "kernel/user/initramfs.h"
#include "kernel/sched/sched.h"
#include "kernel/user/process.h"
#include "kernel/user/user_memory.h"
#include "kernel/user/user_test_util.h"
#include "mm/mm.h"
#include "mm/pmm.h"
#include "mm/region_shared_copy.h"
#include "mm/slab.h"


/* MiB of heap and of mmap the memory workload writes and reads back: 4 by
 * default; the Bochs boot gives 1 (a slower CPU model, one time limit). */
static unsigned long long user_test_mib = 4;

static bool user_test_set_mib(const char *value)
{
	return cmdline_parse_range(value, 1, 64, &user_test_mib);
}
/* The out-of-memory case fills the machine's RAM: it runs in a boot of
 * its own with little memory (runner step bad-input), asked for by this. */
static bool user_test_oom;

static bool user_test_set_oom(const char *value)
{
	return cmdline_parse_bool(value, &user_test_oom);
}
CMDLINE_OPTION(user_test_oom, "user_test_oom",
	       "[on|off] (bare: on): run the user suite's out-of-memory case (a small machine's boot)",
	       user_test_set_oom);

CMDLINE_OPTION(user_test_mib, "user_test_mib",
	       "1..64: MiB of heap and of mmap the user suite's memory workload uses (4)",
	       user_test_set_mib);

/* Serializes the appends of user_test_capture: a parent and its children
 * write to one capture, from several CPUs at once (two appends that read
 * the same length lost a line of a Bochs boot). */
static struct spinlock user_test_capture_lock = SPINLOCK_INIT("user_test_capture");

void user_test_capture(void *context, int fd, const char *bytes, size_t length)
{
	struct user_test_output *output = context;

	(void)fd;
	unsigned long flags = spin_lock_irqsave(&user_test_capture_lock);
	if (length > sizeof(output->bytes) - 1 - output->length) {
		output->overflowed = true;
		length = sizeof(output->bytes) - 1 - output->length;
	}
	memcpy(output->bytes + output->length, bytes, length);
	output->length += length;
	output->bytes[output->length] = '\0';
	spin_unlock_irqrestore(&user_test_capture_lock, flags);
}

struct process_config user_test_config(const char *path,
				       const char *const *argv,
				       struct user_test_output *output)
{
	return (struct process_config){
		.path = path,
		.argv = argv,
		.output = user_test_capture,
		.output_context = output,
		.input = "",
	};
}

static int user_test_run_config(struct ktest *t, struct process_config *config,
				struct user_test_output *output,
				struct region_stats *stats);

/* Runs path with argv under scheme (NULL: the default) and clear limit,
 * capturing its output; returns its wait status. */
static int user_test_run(struct ktest *t, const char *path,
			 const char *const *argv, const char *scheme,
			 uint32_t clear, struct user_test_output *output,
			 struct region_stats *stats)
{
	struct process_config config = {
		.path = path,
		.argv = argv,
		.scheme = scheme,
		.clear_pages = clear,
	};

	return user_test_run_config(t, &config, output, stats);
}

/* Runs the program config names, its output captured and stdin at its
 * end; returns its wait status. */
static int user_test_run_config(struct ktest *t, struct process_config *config,
				struct user_test_output *output,
				struct region_stats *stats)
{
	const char *path = config->path;
	struct process *process;
	struct process_result ended;

	config->output = user_test_capture;
	config->output_context = output;
	config->input = "";	/* stdin at its end at once */
	memset(output, 0, sizeof(*output));
	if (!initramfs_present())
		ktest_skip(t, "no initramfs module (tests/user programs)");
	int result = process_spawn(config, &process);
	KTEST_ASSERT(t, result == 0);
	process_wait(process, &ended);
	if (stats)
		*stats = ended.stats;
	ktest_log(t, "%s: status 0x%x, %zu bytes of output", path,
		  ended.wait_status, output->length);
	return ended.wait_status;
}

/* Logs every line of output that is not an "ok" line, a KTAP comment or
 * empty, to find a check line lost or merged into another. */
static void user_test_log_other_lines(struct ktest *t,
				      const struct user_test_output *output)
{
	for (const char *line = output->bytes; *line;) {
		const char *end = strchr(line, '\n');
		int length = end ? (int)(end - line) : (int)strlen(line);

		if (length && strncmp(line, "ok ", 3) != 0 && line[0] != '#')
			ktest_log(t, "other line: %.*s", length > 120 ? 120 : length, line);
		if (!end)
			break;
		line = end + 1;
	}
}

unsigned long long user_test_check_summary(struct ktest *t,
					   const struct user_test_output *output)
{
	unsigned long long checks = 0, passed = 0;

	KTEST_EXPECT(t, !output->overflowed);
	/* The program's own count of its checks, against its "ok" lines. */
	const char *summary = strstr(output->bytes, "# checks ");
	if (!summary) {
		KTEST_EXPECT(t, summary != NULL);
		return 0;
	}
	for (const char *p = summary + 9; *p >= '0' && *p <= '9'; p++)
		checks = checks * 10 + (unsigned)(*p - '0');
	for (const char *line = output->bytes; line; line = strchr(line, '\n')) {
		line += *line == '\n';
		passed += strncmp(line, "ok ", 3) == 0;
	}
	ktest_log(t, "%llu checks, %llu passed", checks, passed);
	if (passed != checks)	/* what stood where an "ok" line should */
		user_test_log_other_lines(t, output);
	KTEST_EXPECT_EQ(t, passed, checks);
	KTEST_EXPECT(t, strstr(summary, "failures 0") != NULL);
	for (const char *line = strstr(output->bytes, "not ok"); line;
	     line = strstr(line + 1, "not ok")) {
		const char *end = strchr(line, '\n');
		ktest_log(t, "%.*s", end ? (int)(end - line) : 40, line);
	}
	return checks;
}

static void user_test_flush_here(void *argument)
{
	(void)argument;
	slab_cpu_flush();
}

uint64_t user_test_free_frames(void)
{
	struct pmm_stats stats;

	for (unsigned cpu = 0; cpu < cpu_count(); cpu++)
		smp_call_on(cpu, user_test_flush_here, NULL);
	slab_reap();
	pmm_get_stats(&pmm_kernel, &stats);
	return stats.free_frames;
}

/* Runs the program twice and checks that the second run gave back every
 * frame it took (the first makes what stays: the page tables of its
 * kernel stack slot); returns the second run's wait status. */
static int user_test_run_gives_back(struct ktest *t, const char *path,
				    const char *const *argv,
				    const char *scheme, uint32_t clear,
				    struct user_test_output *output,
				    struct region_stats *stats)
{
	user_test_run(t, path, argv, scheme, clear, output, stats);
	uint64_t before = user_test_free_frames();
	int status = user_test_run(t, path, argv, scheme, clear, output, stats);
	KTEST_EXPECT_EQ(t, user_test_free_frames(), before);
	return status;
}

static const char user_test_hello_expected[] =
	"hello from ring 3\n"
	"argv[0]=hello\n"
	"argv[1]=two words\n"
	"argv[2]=x\n"
	"motd: Veil initramfs: programs and their input.\n";

KTEST(user, hello_prints_its_arguments_and_a_file)
{
	static struct user_test_output output;
	const char *argv[] = { "hello", "two words", "x", NULL };
	struct region_stats stats;

	int status = user_test_run(t, "/bin/hello", argv, NULL, 0, &output,
				   &stats);
	KTEST_EXPECT_EQ(t, status, PROCESS_STATUS_EXITED(0));
	KTEST_EXPECT(t, strcmp(output.bytes, user_test_hello_expected) == 0);
	if (strcmp(output.bytes, user_test_hello_expected) != 0)
		ktest_log(t, "output was: %s", output.bytes);
	KTEST_EXPECT(t, stats.faults > 0);
	KTEST_EXPECT_EQ(t, stats.faults, stats.zero_fills + stats.restores);
}

KTEST(user, exit_status_reaches_the_waiter)
{
	static struct user_test_output output;
	const char *argv[] = { "hello", "fail", NULL };

	KTEST_EXPECT_EQ(t, user_test_run(t, "/bin/hello", argv, NULL, 0,
					 &output, NULL),
			PROCESS_STATUS_EXITED(3));
}

KTEST(user, a_missing_program_is_refused)
{
	static struct user_test_output output;

	KTEST_EXPECT_EQ(t, user_test_run(t, "/bin/no-such-program", NULL, NULL,
					 0, &output, NULL),
			PROCESS_STATUS_EXITED(127));
	KTEST_EXPECT_EQ(t, output.length, 0);
}

KTEST(user, a_file_that_is_not_elf_is_refused)
{
	static struct user_test_output output;

	KTEST_EXPECT_EQ(t, user_test_run(t, "/etc/motd", NULL, NULL, 0,
					 &output, NULL),
			PROCESS_STATUS_EXITED(127));
}

/* Under each scheme, with a clear set far smaller than the program: the
 * same output, and everything given back (the second run is measured:
 * the first makes the page tables of its kernel stack slot). */
static void user_test_schemes(struct ktest *t, const char *scheme)
{
	static struct user_test_output output;
	const char *argv[] = { "hello", "two words", "x", NULL };
	struct region_stats stats;

	int status = user_test_run_gives_back(t, "/bin/hello", argv, scheme,
					      USER_CLEAR_MIN, &output, &stats);
	KTEST_EXPECT_EQ(t, status, PROCESS_STATUS_EXITED(0));
	KTEST_EXPECT(t, strcmp(output.bytes, user_test_hello_expected) == 0);
	KTEST_EXPECT(t, stats.evictions > 0);
	ktest_log(t, "%s: %llu faults, %llu evictions, %llu restores", scheme,
		  (unsigned long long)stats.faults,
		  (unsigned long long)stats.evictions,
		  (unsigned long long)stats.restores);
}

KTEST(user, same_output_under_identity)
{
	user_test_schemes(t, "clock:identity");
}

KTEST(user, same_output_under_compression)
{
	user_test_schemes(t, "clock:lz4");
}

KTEST(user, same_output_under_compression_and_encryption)
{
	user_test_schemes(t, "clock:lz4,aes128-xts-mac");
}

/* Every system call the programs use, checked from user mode with bad
 * pointers, bad descriptors, huge lengths and invalid flags
 * (tests/user/syscalls.c prints a KTAP line per check). */
KTEST(user, system_calls_answer_as_linux_does)
{
	static struct user_test_output output;
	const char *argv[] = { "syscalls", NULL };

	int status = user_test_run(t, "/bin/syscalls", argv, NULL, 0, &output,
				   NULL);
	KTEST_EXPECT_EQ(t, status, PROCESS_STATUS_EXITED(0));
	KTEST_EXPECT(t, user_test_check_summary(t, &output) >= 80);
}

/* A program that ends badly is reported and ended as the signal Linux
 * would send, the kernel goes on, and every frame comes back. */
static void user_test_crash(struct ktest *t, const char *how, int signal)
{
	static struct user_test_output output;
	const char *argv[] = { "crash", how, NULL };

	int status = user_test_run_gives_back(t, "/bin/crash", argv, NULL, 8,
					      &output, NULL);
	KTEST_EXPECT_EQ(t, status, signal);
	KTEST_EXPECT(t, strstr(output.bytes, "still alive") == NULL);
}

KTEST(user, null_pointer_write_is_sigsegv)
{
	user_test_crash(t, "null", PROCESS_SIGNAL_SEGV);
}

KTEST(user, write_to_read_only_data_is_sigsegv)
{
	user_test_crash(t, "rodata", PROCESS_SIGNAL_SEGV);
}

KTEST(user, write_to_a_page_made_read_only_is_sigsegv)
{
	user_test_crash(t, "protected", PROCESS_SIGNAL_SEGV);
}

KTEST(user, access_outside_every_mapping_is_sigsegv)
{
	user_test_crash(t, "unmapped", PROCESS_SIGNAL_SEGV);
}

KTEST(user, access_to_kernel_memory_is_sigsegv)
{
	user_test_crash(t, "kernel", PROCESS_SIGNAL_SEGV);
}

KTEST(user, executing_the_heap_is_sigsegv)
{
	user_test_crash(t, "execute", PROCESS_SIGNAL_SEGV);
}

KTEST(user, divide_error_is_sigfpe)
{
	user_test_crash(t, "divide", PROCESS_SIGNAL_FPE);
}

KTEST(user, invalid_instruction_is_sigill)
{
	user_test_crash(t, "illegal", PROCESS_SIGNAL_ILL);
}

/* user_test_mib MiB of heap and as much of mmap written and read back
 * twice, with 16 pages clear per mapping: most pages are sealed and
 * restored (at least half of those it touches, each time), none is
 * wrong. */
static void user_test_memory(struct ktest *t, const char *scheme)
{
	static struct user_test_output output;
	char size[8];
	const char *argv[] = { "memory", size, NULL };
	struct region_stats stats;
	uint64_t touched = user_test_mib * 256 * 2;	/* pages, both areas */

	ksnprintf(size, sizeof(size), "%llu", user_test_mib);
	int status = user_test_run(t, "/bin/memory", argv, scheme, 16, &output,
				   &stats);
	KTEST_EXPECT_EQ(t, status, PROCESS_STATUS_EXITED(0));
	KTEST_EXPECT(t, strstr(output.bytes, "0 wrong words") != NULL);
	KTEST_EXPECT(t, stats.evictions > touched);
	KTEST_EXPECT(t, stats.restores > touched);
	KTEST_EXPECT_EQ(t, stats.corrupt, 0);
	ktest_log(t, "%s: %llu faults, %llu evictions, %llu restores", scheme,
		  (unsigned long long)stats.faults,
		  (unsigned long long)stats.evictions,
		  (unsigned long long)stats.restores);
}

KTEST_SLOW(user, memory_workload_under_identity, 60000)
{
	user_test_memory(t, "clock:identity");
}

KTEST_SLOW(user, memory_workload_under_compression, 60000)
{
	user_test_memory(t, "clock:lz4");
}

KTEST_SLOW(user, memory_workload_under_compression_and_encryption, 60000)
{
	user_test_memory(t, "clock:lz4,aes128-xts-mac");
}

/* "memory fork": the child pushes out pages whose frames its parent still
 * maps, so they leave into shared copies; the parent pushes the same
 * frames out last, which seals each once; the child reads them back from
 * those copies. Every word reads right, and once both have ended no copy
 * is left and every frame is back (a first run makes what stays). */
static int user_test_fork_reads(struct ktest *t, const char *scheme)
{
	static struct user_test_output output;
	const char *argv[] = { "memory", "fork", "1", NULL };
	struct region_stats stats;
	int status = user_test_run(t, "/bin/memory", argv, scheme, 64, &output,
				   &stats);

	KTEST_EXPECT(t, strstr(output.bytes, "0 wrong words in the parent, "
					     "child status 0") != NULL);
	return status;
}

static void user_test_seal_once(struct ktest *t, const char *scheme)
{
	struct region_shared_copy_stats before, after;

	KTEST_EXPECT_EQ(t, user_test_fork_reads(t, scheme),
			PROCESS_STATUS_EXITED(0));
	uint64_t frames = user_test_free_frames();
	region_shared_copy_get_stats(&before);
	KTEST_EXPECT_EQ(t, user_test_fork_reads(t, scheme),
			PROCESS_STATUS_EXITED(0));
	region_shared_copy_get_stats(&after);
	KTEST_EXPECT(t, after.parks - before.parks >= 32);
	KTEST_EXPECT(t, after.seals - before.seals >= 32);
	KTEST_EXPECT_EQ(t, after.copies, before.copies);
	KTEST_EXPECT_EQ(t, after.bytes_stored, before.bytes_stored);
	KTEST_EXPECT_EQ(t, user_test_free_frames(), frames);
	ktest_log(t, "%s: %llu pages parked, %llu shared copies sealed once",
		  scheme, (unsigned long long)(after.parks - before.parks),
		  (unsigned long long)(after.seals - before.seals));
}

KTEST_SLOW(user, forked_pages_sealed_once_under_compression, 60000)
{
	user_test_seal_once(t, "clock:lz4");
}

KTEST_SLOW(user, forked_pages_sealed_once_under_compression_and_encryption,
	   60000)
{
	user_test_seal_once(t, "clock:lz4,aes128-xts-mac");
}

/* With the clear set in percent of the resident pages (user_clear=P%):
 * at 100 % the memory workload seals nothing; at 25 % most of its pages
 * are sealed and restored, and every word reads back right. */
static void user_test_memory_percent(struct ktest *t, uint32_t percent,
				     struct region_stats *stats)
{
	static struct user_test_output output;
	const char *argv[] = { "memory", "1", NULL };
	struct process_config config = {
		.path = "/bin/memory", .argv = argv, .scheme = "clock:lz4",
		.clear_percent = percent,
	};

	KTEST_EXPECT_EQ(t, user_test_run_config(t, &config, &output, stats),
			PROCESS_STATUS_EXITED(0));
	KTEST_EXPECT(t, strstr(output.bytes, "0 wrong words") != NULL);
}

KTEST_SLOW(user, clear_set_in_percent_of_resident_pages, 60000)
{
	struct region_stats all, quarter;

	user_test_memory_percent(t, 100, &all);
	KTEST_EXPECT_EQ(t, all.evictions, 0);
	KTEST_EXPECT_EQ(t, all.restores, 0);
	user_test_memory_percent(t, 25, &quarter);
	/* 1 MiB of heap and of mmap, each written and read twice: with a
	 * quarter clear, most of its 512 pages leave and come back */
	KTEST_EXPECT(t, quarter.evictions > 256);
	KTEST_EXPECT(t, quarter.restores > 256);
	KTEST_EXPECT_EQ(t, quarter.corrupt, 0);
	ktest_log(t, "100%%: %llu faults; 25%%: %llu faults, %llu restores",
		  (unsigned long long)all.faults,
		  (unsigned long long)quarter.faults,
		  (unsigned long long)quarter.restores);
}

/* Whether every process now keeps within its clear set's budget (the
 * share bounds the present pages of all its mappings together). */
static bool user_test_clear_sets_bounded(struct ktest *t, unsigned *seen)
{
	static struct process_info live[16];
	unsigned count = process_snapshot(live, 16);
	bool bounded = true;

	for (unsigned i = 0; i < count && i < 16; i++) {
		if (live[i].clear_pages > live[i].clear_limit ||
		    live[i].clear_limit < USER_CLEAR_MIN) {
			ktest_log(t, "pid %d: %u pages clear of a budget of %u",
				  live[i].pid, live[i].clear_pages,
				  live[i].clear_limit);
			bounded = false;
		}
		*seen += live[i].clear_pages > 0;
	}
	return bounded;
}

/* One clear set per process: sampled while the memory workload runs with
 * a quarter of its resident pages clear, its present pages over all its
 * mappings never pass the budget, and the budget follows its pages. */
KTEST_SLOW(user, one_clear_set_bounds_all_mappings_of_a_process, 60000)
{
	static struct user_test_output output;
	const char *argv[] = { "memory", "1", NULL };
	struct process_config config = {
		.path = "/bin/memory", .argv = argv, .scheme = "clock:lz4",
		.clear_percent = 25, .output = user_test_capture,
		.output_context = &output, .input = "",
	};
	struct process *process;
	struct process_result ended;
	unsigned samples = 0, seen = 0;
	bool bounded = true;

	memset(&output, 0, sizeof(output));
	if (!initramfs_present())
		ktest_skip(t, "no initramfs module (tests/user programs)");
	KTEST_ASSERT(t, process_spawn(&config, &process) == 0);
	while (!process_ended(process)) {
		bounded &= user_test_clear_sets_bounded(t, &seen);
		samples++;
		thread_sleep_ms(2);
	}
	process_wait(process, &ended);
	KTEST_EXPECT_EQ(t, ended.wait_status, PROCESS_STATUS_EXITED(0));
	KTEST_EXPECT(t, strstr(output.bytes, "0 wrong words") != NULL);
	KTEST_EXPECT(t, bounded);
	KTEST_EXPECT(t, seen > 0);
	KTEST_EXPECT(t, ended.stats.evictions > 0);
	ktest_log(t, "%u samples, %u with pages clear; %llu evictions",
		  samples, seen, (unsigned long long)ended.stats.evictions);
}

/* A process that fills every frame with incompressible pages is ended as
 * the out-of-memory killer would (SIGKILL, with its report), every frame
 * comes back, and the kernel goes on (the next program runs). */
KTEST_SLOW(user, out_of_memory_is_sigkill, 120000)
{
	static struct user_test_output output;
	const char *argv[] = { "crash", "oom", NULL };
	const char *hello[] = { "hello", NULL };

	if (!user_test_oom)
		ktest_skip(t, "fills the machine's RAM: runs in a boot of its "
			      "own (user_test_oom)");
	/* The first fill of the machine leaves 32 frames taken (their
	 * owner not traced yet: a table grown once, as a second fill gives
	 * back every frame); the helper measures the second. */
	int status = user_test_run_gives_back(t, "/bin/crash", argv,
					      "clock:identity", 16, &output,
					      NULL);
	KTEST_EXPECT_EQ(t, status, PROCESS_SIGNAL_KILL);
	KTEST_EXPECT_EQ(t, user_test_run(t, "/bin/hello", hello, NULL, 0,
					 &output, NULL),
			PROCESS_STATUS_EXITED(0));
}
