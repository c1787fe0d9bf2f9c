/*
 * The ktest runner (kernel/ktest/ktest.h): selects cases by the ktest= filter,
 * runs them suite by suite and prints KTAP version 1.
 *
 * Abandoning a case: every case, and every ktest_catch() inside one, runs
 * under a "catcher", a saved context with a deadline. A CPU exception goes
 * to the innermost catcher (trap_set_catch_handler); the timer tick checks
 * the innermost deadline (the watchdog). Either resumes the catcher's
 * context, which also drops the catchers nested inside it. A case whose own
 * catcher takes an exception or times out fails, and the run goes on.
 * The watchdog needs interrupts: a case that hangs with interrupts off is
 * left to the host runner's wall-clock timeout.
 *
 * One thread runs tests (the boot flow, thread "main"); the catcher stack is
 * its alone, but the watchdog's tick and an exception in a case's thread
 * may read it from another CPU: ktest_catcher_lock guards it. Cases may create
 * threads (kernel/sched). Each catcher records its owner, the thread that
 * saved it, and the first thread id created under it. A catcher is resumed
 * only on its owner's stack: when an exception or the deadline strikes
 * while another thread runs, that thread is ended (an exception) or left
 * running (the deadline), and the owner is asked through thread_interrupt
 * to resume its catcher the next time it gets its CPU (waking it if it
 * waits, for instance in thread_join). After a resume, and after a case
 * that returned with threads it did not join, every thread created under
 * the catcher is stopped and joined (thread_stop_from); the case fails if
 * it left any. A thread that spins with preemption off cannot be stopped:
 * that hang is the host runner's time-out to catch. A case's own threads
 * may use KTEST_EXPECT and KTEST_ASSERT (a failed ASSERT ends that thread,
 * not the case) but not ktest_catch. Until they are stopped, those threads
 * still run and read what the case gave them, often its own locals: the
 * abandoned frames must stay as they were meanwhile. So a catcher calls
 * its function KTEST_CLEANUP_ROOM bytes below its own frame
 * (ktest_call_below_room), and the cleanup after a resume runs in that
 * room, never over the abandoned frames. Before the stop, the
 * KTEST_CLEANUP subscribers end what the case made that a thread stop
 * would not end properly (user processes).
 *
 * With the lock-order checker (CONFIG_LOCK_CHECK=1), a case during which an
 * inversion was counted fails, an inversion outside any case fails the run,
 * and the run ends with the lock order the checker observed. Code abandoned
 * by a catcher may have held locks: the checker forgets them on resume.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include "kernel/build_config.h"
#include "kernel/cmdline.h"
#include "kernel/context.h"
#include "kernel/lib/backtrace.h"
#include "kernel/lib/cpu.h"
#include "kernel/lib/irq.h"
#include "kernel/lib/ksyms.h"
#include "kernel/lib/lock_check.h"
#include "kernel/lib/cpu.h"
#include "kernel/lib/preempt.h"
#include "kernel/ktest/ktest.h"
#include "kernel/lib/printk.h"
#include "kernel/lib/time.h"
#include "kernel/sched/sched.h"
#include "kernel/sched/wait.h"
#include "kernel/trap.h"

#define KTEST_DEFAULT_TIMEOUT_MS 10000u
#define KTEST_FILTER_MAX 1024
#define KTEST_CATCHERS_MAX 4
/* Stack the cleanup after a resume may use without reaching the abandoned
 * frames: the stop and join of the case's threads, and the interrupts
 * taken while the owner waits for them. */
#define KTEST_CLEANUP_ROOM 3072u

enum ktest_resume {
	KTEST_RESUME_EXCEPTION = 1,
	KTEST_RESUME_TIMEOUT,
	KTEST_RESUME_FAIL_NOW,
	KTEST_RESUME_SKIP,
};

struct ktest {
	const struct ktest_case *test_case;
	unsigned failures;
	const char *skip_reason;
};

struct ktest_catcher {
	struct cpu_context context;
	uint64_t deadline_ms;		/* 0: none */
	struct ktest_trap *trap;	/* where an exception is recorded */
	unsigned lock_depth;		/* locks held at the save (lock checker) */
	unsigned preempt_count;		/* this CPU's count at the save */
	struct thread *owner;		/* the thread that saved it (NULL: boot) */
	uint64_t first_thread_id;	/* threads created under it have ids >= */
	/* each KTEST_CLEANUP's mark at the save, in section order */
	uint64_t cleanup_marks[KTEST_CLEANUPS_MAX];
	bool owner_asked;		/* thread_interrupt sent to the owner,
					 * or resumed: the trap is written */
	bool struck;			/* resumed: its cleanup runs */
};

extern const struct ktest_case ktest_cases_start[], ktest_cases_end[];
extern const struct ktest_bench ktest_benches_start[], ktest_benches_end[];
extern const struct ktest_cleanup ktest_cleanups_start[], ktest_cleanups_end[];

static char ktest_filter[KTEST_FILTER_MAX];
static unsigned ktest_timeout_ms = KTEST_DEFAULT_TIMEOUT_MS;
static char ktest_bench_filter[KTEST_FILTER_MAX];

/* Protects the catcher stack, the pending resume and each catcher's
 * owner_asked (taken with interrupts off; the tick only tries it). */
static struct spinlock ktest_catcher_lock = SPINLOCK_INIT("ktest_catchers");
/* The catchers, innermost last; see the comment at the top. */
static struct ktest_catcher *ktest_catchers[KTEST_CATCHERS_MAX];
static unsigned ktest_catcher_depth;
/* The catcher an owner must resume when it next runs, and with what
 * (set with interrupts off before thread_interrupt). */
static struct ktest_catcher *ktest_pending_catcher;
static int ktest_pending_value;

/* ktest_catcher_lock with interrupts off, out of line (several callers). */
static __attribute__((noinline)) unsigned long ktest_catchers_lock(void)
{
	return spin_lock_irqsave(&ktest_catcher_lock);
}

static __attribute__((noinline)) void ktest_catchers_unlock(unsigned long flags)
{
	spin_unlock_irqrestore(&ktest_catcher_lock, flags);
}

bool ktest_filter_append(char *filter, size_t size, const char *value)
{
	size_t used = strlen(filter), length = strlen(value);

	if (!length || used + (used ? 1 : 0) + length >= size)
		return false;
	if (used)
		filter[used++] = ',';
	memcpy(filter + used, value, length + 1);
	return true;
}

/* Each ktest= word adds its words to the filter: a selection longer than
 * one command-line word (255 bytes) is given as several. */
static bool ktest_set_filter(const char *value)
{
	return ktest_filter_append(ktest_filter, sizeof(ktest_filter), value);
}
CMDLINE_OPTION(ktest, "ktest",
	       "all|SUITE|SUITE.CASE[,...], -WORD excludes: run in-kernel "
	       "tests, then exit (given again: adds its words)",
	       ktest_set_filter);

static bool ktest_set_timeout(const char *value)
{
	unsigned long long ms;

	if (!cmdline_parse_range(value, 1, 3600000, &ms))
		return false;
	ktest_timeout_ms = (unsigned)ms;
	return true;
}
CMDLINE_OPTION(ktest_timeout_ms, "ktest_timeout_ms",
	       "MS 1..3600000: default watchdog limit of one test case (10000)",
	       ktest_set_timeout);

static bool ktest_set_bench(const char *value)
{
	if (!*value || strlen(value) >= sizeof(ktest_bench_filter))
		return false;
	strlcpy(ktest_bench_filter, value, sizeof(ktest_bench_filter));
	return true;
}
CMDLINE_OPTION(bench, "bench", "all|NAME[,...]: run benchmarks, then exit",
	       ktest_set_bench);

bool ktest_requested(void)
{
	return ktest_filter[0] != '\0';
}

bool ktest_bench_requested(void)
{
	return ktest_bench_filter[0] != '\0';
}

/* True when one filter word names this item: "all", the suite, or
 * "SUITE.CASE". */
static bool ktest_word_matches(const char *word, size_t length,
			       const char *suite, const char *name)
{
	size_t suite_length = strlen(suite);

	if ((length == 3 && strncmp(word, "all", 3) == 0) ||
	    (length == suite_length && strncmp(word, suite, length) == 0))
		return true;
	return name && length > suite_length &&
	       strncmp(word, suite, suite_length) == 0 &&
	       word[suite_length] == '.' &&
	       length - suite_length - 1 == strlen(name) &&
	       strncmp(word + suite_length + 1, name,
		       length - suite_length - 1) == 0;
}

/* The comma-separated filter selects the item when a word names it and no
 * "-WORD" excludes it ("all,-region.stress" runs all but that case). */
bool ktest_filter_matches(const char *filter, const char *suite,
			  const char *name)
{
	bool selected = false;

	while (*filter) {
		const char *end = strchr(filter, ',');
		size_t length = end ? (size_t)(end - filter) : strlen(filter);
		if (filter[0] == '-') {
			if (ktest_word_matches(filter + 1, length - 1, suite, name))
				return false;
		} else if (ktest_word_matches(filter, length, suite, name)) {
			selected = true;
		}
		filter += length + (end ? 1 : 0);
	}
	return selected;
}

static bool ktest_selected(const struct ktest_case *c, const char *filter)
{
	return ktest_filter_matches(filter, c->suite, c->name);
}

/* Pushes a catcher (interrupts off while the stack changes). */
static void ktest_catcher_push(struct ktest_catcher *catcher)
{
	unsigned long flags = ktest_catchers_lock();

	ktest_catchers[ktest_catcher_depth++] = catcher;
	ktest_catchers_unlock(flags);
}

/* Drops catcher and anything nested inside it. */
static void ktest_catcher_pop(struct ktest_catcher *catcher)
{
	unsigned long flags = ktest_catchers_lock();

	while (ktest_catcher_depth > 0 &&
	       ktest_catchers[ktest_catcher_depth - 1] != catcher)
		ktest_catcher_depth--;
	if (ktest_catcher_depth > 0)
		ktest_catcher_depth--;
	/* A resume asked for and not yet taken must not outlive it. */
	if (ktest_pending_catcher == catcher)
		ktest_pending_catcher = NULL;
	ktest_catchers_unlock(flags);
}

/* The KTEST_CLEANUPs linked into the kernel. */
static unsigned ktest_cleanups_linked(void)
{
	return (unsigned)(ktest_cleanups_end - ktest_cleanups_start);
}

/* The KTEST_CLEANUPs a catcher marks (ktest_run refuses to start with
 * more than KTEST_CLEANUPS_MAX). */
static unsigned ktest_cleanup_count(void)
{
	unsigned count = ktest_cleanups_linked();

	return count < KTEST_CLEANUPS_MAX ? count : KTEST_CLEANUPS_MAX;
}

/* After catcher was abandoned: each KTEST_CLEANUP ends what was made
 * under it, each count said. */
static void ktest_cleanup_abandoned(const struct ktest_catcher *catcher)
{
	for (unsigned i = 0; i < ktest_cleanup_count(); i++) {
		const struct ktest_cleanup *cleanup = &ktest_cleanups_start[i];
		unsigned ended = cleanup->abandon(catcher->cleanup_marks[i]);

		if (ended)
			printk("        # %s: %u left by the abandoned code "
			       "ended\n", cleanup->name, ended);
	}
}

/* A catcher's state at its save, filled in for a new catcher. */
static __attribute__((noinline)) void
ktest_catcher_start(struct ktest_catcher *catcher)
{
	catcher->lock_depth = lock_check_held_depth();
	catcher->preempt_count = preempt_count();
	catcher->owner = thread_current();
	catcher->first_thread_id = catcher->owner ? thread_next_id() : 0;
	catcher->owner_asked = false;
	catcher->struck = false;
	for (unsigned i = 0; i < ktest_cleanup_count(); i++)
		catcher->cleanup_marks[i] = ktest_cleanups_start[i].mark();
}

/* Whether the running thread may resume catcher (it is on its stack). */
static bool ktest_on_owner(const struct ktest_catcher *catcher)
{
	return catcher->owner == NULL || catcher->owner == thread_current();
}

/* Before catcher is resumed, on its owner: a catcher strikes once. The
 * catchers nested in it leave the stack (their frames are abandoned), its
 * deadline is disarmed, and no other resume of it may be asked for or
 * stay pending. The cleanup after a resume runs with the catcher still
 * pushed: without this a tick during a slow cleanup (stopping the case's
 * threads) resumed it a second time, over the half-done cleanup and the
 * trap the first strike had recorded. */
static void ktest_catcher_strike(struct ktest_catcher *catcher)
{
	unsigned long flags = ktest_catchers_lock();

	for (unsigned depth = ktest_catcher_depth; depth > 0; depth--) {
		struct ktest_catcher *inner = ktest_catchers[depth - 1];

		if (ktest_pending_catcher == inner)
			ktest_pending_catcher = NULL;
		if (inner == catcher) {
			ktest_catcher_depth = depth;
			break;
		}
	}
	catcher->deadline_ms = 0;
	catcher->owner_asked = true;
	catcher->struck = true;
	ktest_catchers_unlock(flags);
}

/* Resumes catcher on its owner, which runs now. A wait the owner was
 * entering is cancelled first: the resume abandons its frame. */
static __attribute__((noreturn)) void
ktest_resume_on_owner(struct ktest_catcher *catcher, int value)
{
	ktest_catcher_strike(catcher);
	if (catcher->owner)
		wait_cancel(catcher->owner);
	context_resume(&catcher->context, value);
}

/* thread_interrupt's function on the owner: the pending resume, if its
 * catcher is still on the stack (popping one drops its pending resume).
 * A timeout the watchdog saw from another CPU records here where the
 * owner was: under the interrupt exit, or the switch back from a wait,
 * that runs this, the case's own code. */
static void ktest_resume_pending(void)
{
	unsigned long flags = ktest_catchers_lock();
	struct ktest_catcher *catcher = ktest_pending_catcher;
	int value = ktest_pending_value;

	ktest_pending_catcher = NULL;
	ktest_catchers_unlock(0);	/* interrupts stay off */
	if (catcher && value == KTEST_RESUME_TIMEOUT && catcher->trap &&
	    catcher->trap->hung_depth == 0)
		catcher->trap->hung_depth = backtrace_capture(
			(uint64_t)__builtin_frame_address(0),
			catcher->trap->hung_at, KTEST_TRACE_DEPTH);
	if (catcher)
		ktest_resume_on_owner(catcher, value);
	irq_restore(flags);
}

/* Records that catcher's owner, not running here, must resume it; true
 * when the caller must now tell the owner (thread_interrupt, once the
 * lock is released). Catcher lock held. */
static bool ktest_ask_owner_locked(struct ktest_catcher *catcher, int value)
{
	if (catcher->owner_asked)
		return false;
	catcher->owner_asked = true;
	ktest_pending_catcher = catcher;
	ktest_pending_value = value;
	return true;
}

/* After a resume: this CPU's preemption count as it was at the save
 * (abandoned code may have held spinlocks), what the KTEST_CLEANUPs end
 * ended (only after a resume: a case that returned may have left an
 * orphan process to end by itself), then the threads created under the
 * catcher stopped and joined. Returns how many threads there were. */
static __attribute__((noinline)) unsigned
ktest_catcher_cleanup(struct ktest_catcher *catcher)
{
	unsigned long flags = irq_save();

	cpu_local()->preempt_count = catcher->preempt_count;
	irq_restore(flags);
	if (!catcher->owner)
		return 0;
	if (catcher->struck)
		ktest_cleanup_abandoned(catcher);
	return thread_stop_from(catcher->first_thread_id);
}

/* Writes what the exception was into catcher's trap (catcher lock held). */
static void ktest_record_exception(struct ktest_catcher *catcher,
				   const struct trap_info *info)
{
	if (!catcher->trap)
		return;
	catcher->trap->vector = info->vector;
	catcher->trap->error_code = info->error_code;
	catcher->trap->fault_address = info->fault_address;
	catcher->trap->instruction = info->instruction;
	catcher->trap->fault_response = info->fault_response;
	catcher->trap->fault_owner = info->fault_owner;
}

/* An exception under the innermost catcher. The first strike's record
 * stands: once the owner is asked to resume (or has resumed), a later
 * exception in a thread of the case ends that thread without rewriting
 * the trap, and one on the owner during its cleanup (kernel code, not the
 * case's) is the kernel's to report. */
static void ktest_catch_exception(const struct trap_info *info)
{
	/* Interrupts are off in an exception handler. */
	bool calm = preempt_count() == 0;	/* no spinlock held */
	unsigned long flags = ktest_catchers_lock();
	struct ktest_catcher *catcher = ktest_catcher_depth ?
		ktest_catchers[ktest_catcher_depth - 1] : NULL;
	bool on_owner = catcher && ktest_on_owner(catcher);
	struct thread *self = thread_current();
	/* Threads the case created have ids from first_thread_id on; another
	 * CPU's idle thread or an older thread is none of the case's. */
	bool of_case = on_owner || (catcher && catcher->owner && !self->is_idle &&
				    self->id >= catcher->first_thread_id);

	/* Not in a test, not the case's thread, a thread of the case under a
	 * lock (it cannot be ended cleanly), or the owner's cleanup: the
	 * kernel reports it. */
	if (!catcher || !of_case || (!on_owner && !calm) ||
	    (on_owner && catcher->struck)) {
		ktest_catchers_unlock(flags);
		return;
	}
	if (!catcher->owner_asked)
		ktest_record_exception(catcher, info);
	bool tell = !on_owner &&
		    ktest_ask_owner_locked(catcher, KTEST_RESUME_EXCEPTION);
	ktest_catchers_unlock(flags);
	if (on_owner)
		ktest_resume_on_owner(catcher, KTEST_RESUME_EXCEPTION);
	/* A thread the case created: it ends here, its owner resumes. */
	if (tell)
		thread_interrupt(catcher->owner, ktest_resume_pending);
	printk("        # exception in thread %s: the thread is ended\n",
	       self->name);
	thread_exit();
}

/* Timer interrupt (on every CPU): the watchdog of the innermost catcher,
 * acting only on the CPU that runs the test. */
static void ktest_watchdog_tick(void)
{
	/* Interrupts are off; a busy lock (a push, a pop, an exception
	 * elsewhere) means trying again at the next tick. */
	if (ktest_catcher_depth == 0 || !spin_trylock(&ktest_catcher_lock))
		return;
	struct ktest_catcher *catcher = ktest_catcher_depth ?
		ktest_catchers[ktest_catcher_depth - 1] : NULL;
	bool expired = catcher && catcher->deadline_ms &&
		       time_ticks_ms() >= catcher->deadline_ms;
	bool on_owner = expired && ktest_on_owner(catcher);
	/* An owner already asked (an exception in a thread of the case) has
	 * that exception in its trap and resumes with it: the deadline only
	 * stands in for a request it cannot take (it spins with preemption
	 * off, so no interrupt exit runs the request). */
	bool asked = expired && catcher->owner_asked;
	int value = asked && ktest_pending_catcher == catcher ?
		    ktest_pending_value : KTEST_RESUME_TIMEOUT;
	bool tell = false;

	if (expired && !asked && catcher->trap)
		catcher->trap->vector = KTEST_TRAP_TIMEOUT;
	if (expired && !on_owner)
		tell = ktest_ask_owner_locked(catcher, KTEST_RESUME_TIMEOUT);
	spin_unlock(&ktest_catcher_lock);
	/* the interrupted code's callers, unless an exception is the record
	 * (a timeout another CPU asked for has none yet: it is this) */
	if (on_owner && value == KTEST_RESUME_TIMEOUT && catcher->trap &&
	    catcher->trap->hung_depth == 0)
		catcher->trap->hung_depth = backtrace_capture(
			(uint64_t)__builtin_frame_address(0),
			catcher->trap->hung_at, KTEST_TRACE_DEPTH);
	if (on_owner)
		ktest_resume_on_owner(catcher, value);
	/* The owner runs elsewhere or waits: it records where it was itself
	 * (ktest_resume_pending), so that only the owner writes the trap,
	 * which lives in its frames; a write from here raced its own record
	 * and could land after the case had read the trap. */
	if (tell)
		thread_interrupt(catcher->owner, ktest_resume_pending);
}

/*
 * Calls fn(arg) with KTEST_CLEANUP_ROOM bytes of stack between the
 * caller's frame and fn's. A catcher saved in the caller's frame and
 * resumed from inside fn cleans up in that room: fn's abandoned frames,
 * which threads it started may still read, stay intact until those
 * threads are stopped.
 */
static __attribute__((noinline)) void ktest_call_below_room(void (*fn)(void *arg),
							      void *arg)
{
	volatile uint8_t room[KTEST_CLEANUP_ROOM];

	room[0] = 0;
	fn(arg);
	room[sizeof(room) - 1] = 0;	/* the room lives across the call */
}

bool ktest_catch_timeout(void (*fn)(void *arg), void *arg,
			 struct ktest_trap *trap, unsigned timeout_ms)
{
	struct ktest_catcher catcher = {
		.deadline_ms = timeout_ms ? time_ticks_ms() + timeout_ms : 0,
		.trap = trap,
	};

	ktest_catcher_start(&catcher);
	memset(trap, 0, sizeof(*trap));
	trap->vector = -1;
	trap->fault_response = -1;
	if (context_save(&catcher.context) == 0) {
		ktest_catcher_push(&catcher);
		ktest_call_below_room(fn, arg);
		ktest_catcher_pop(&catcher);
		return false;
	}
	/* Cleanup before the pop: a thread of this catcher that takes an
	 * exception while the others are being stopped is still this
	 * catcher's (it is ended; the owner was asked once already), not the
	 * enclosing case's, which would fail the case. */
	lock_check_held_truncate(catcher.lock_depth);
	ktest_catcher_cleanup(&catcher);
	ktest_catcher_pop(&catcher);
	return true;
}

void ktest_read_byte(void *arg)
{
	(void)*(volatile uint8_t *)arg;
}

void ktest_write_byte(void *arg)
{
	*(volatile uint8_t *)arg = 0x77;
}

bool ktest_catch(void (*fn)(void *arg), void *arg, struct ktest_trap *trap)
{
	return ktest_catch_timeout(fn, arg, trap, 0);
}

/* The catcher of the running case, for fail_now and skip. */
static struct ktest_catcher *ktest_case_catcher;

void ktest_check(struct ktest *t, bool ok, const char *file, int line,
		 const char *expr)
{
	if (ok)
		return;
	__atomic_fetch_add(&t->failures, 1, __ATOMIC_RELAXED);
	printk("        # %s:%d: expectation failed: %s\n", file, line, expr);
}

void ktest_fail_now(struct ktest *t, const char *file, int line,
		    const char *expr)
{
	ktest_check(t, false, file, line, expr);
	if (!ktest_on_owner(ktest_case_catcher))
		thread_exit();	/* a thread of the case: it alone ends */
	ktest_catcher_strike(ktest_case_catcher);
	context_resume(&ktest_case_catcher->context, KTEST_RESUME_FAIL_NOW);
}

void ktest_skip(struct ktest *t, const char *reason)
{
	if (!ktest_on_owner(ktest_case_catcher)) {
		ktest_check(t, false, __FILE__, __LINE__,
			    "ktest_skip from a thread of the case");
		thread_exit();
	}
	t->skip_reason = reason;
	ktest_catcher_strike(ktest_case_catcher);
	context_resume(&ktest_case_catcher->context, KTEST_RESUME_SKIP);
}

void ktest_log(struct ktest *t, const char *fmt, ...)
{
	va_list args;

	(void)t;
	printk("        # ");
	va_start(args, fmt);
	vprintk(fmt, args);
	va_end(args);
	printk("\n");
}

bool ktest_trace_names(const uint64_t *trace, unsigned depth, const char *name)
{
	for (unsigned i = 0; i < depth; i++) {
		const char *found;
		uint64_t offset;

		if (ksym_lookup(trace[i], &found, &offset) &&
		    strcmp(found, name) == 0)
			return true;
	}
	return false;
}

void ktest_log_trace(struct ktest *t, const uint64_t *trace, unsigned depth)
{
	for (unsigned i = 0; i < depth; i++) {
		const char *name = "?";
		uint64_t offset = 0;

		ksym_lookup(trace[i], &name, &offset);
		ktest_log(t, "trace #%u %s+0x%llx", i, name,
			  (unsigned long long)offset);
	}
}

/* The watchdog's report, with where the case's thread was. */
static void ktest_report_timeout(const struct ktest_trap *trap)
{
	printk("        # watchdog: the case ran past its time limit\n");
	for (unsigned i = 0; i < trap->hung_depth; i++) {
		const char *name = "?";
		uint64_t offset = 0;

		ksym_lookup(trap->hung_at[i], &name, &offset);
		printk("        # watchdog: %s %s+0x%llx\n",
		       i ? "called from" : "the case's thread was at",
		       name, (unsigned long long)offset);
	}
}

static void ktest_report_trap(const struct ktest_trap *trap)
{
	const char *name = "?";
	uint64_t offset = 0;

	ksym_lookup(trap->instruction, &name, &offset);
	printk("        # unexpected CPU exception %s at %s+0x%llx (0x%llx), "
	       "error 0x%llx, address 0x%llx\n",
	       trap_vector_label(trap->vector), name,
	       (unsigned long long)offset,
	       (unsigned long long)trap->instruction,
	       (unsigned long long)trap->error_code,
	       (unsigned long long)trap->fault_address);
}

/* A case and its record, as ktest_call_below_room passes them. */
struct ktest_case_call {
	const struct ktest_case *test_case;
	struct ktest *t;
};

static void ktest_case_call_run(void *argument)
{
	struct ktest_case_call *call = argument;

	call->test_case->run(call->t);
}

/* Runs one case; returns 1 passed, 0 failed, -1 skipped (*skip_reason
 * then says why). */
static int ktest_run_case(const struct ktest_case *c, const char **skip_reason)
{
	struct ktest t = { .test_case = c };
	struct ktest_trap trap = { .vector = -1, .fault_response = -1 };
	unsigned timeout = c->timeout_ms ? c->timeout_ms : ktest_timeout_ms;
	struct ktest_catcher catcher = {
		.deadline_ms = time_ticks_ms() + timeout,
		.trap = &trap,
	};
	unsigned inversions = lock_check_inversion_count();

	ktest_catcher_start(&catcher);
	int resumed = context_save(&catcher.context);

	if (resumed == 0) {
		struct ktest_case_call call = { c, &t };

		ktest_case_catcher = &catcher;
		ktest_catcher_push(&catcher);
		ktest_call_below_room(ktest_case_call_run, &call);
	}
	ktest_catcher_pop(&catcher);
	ktest_case_catcher = NULL;
	if (resumed != 0)
		lock_check_held_truncate(catcher.lock_depth);
	if (resumed == KTEST_RESUME_TIMEOUT)	/* where its threads were */
		thread_print_waiting(catcher.first_thread_id);
	unsigned left = ktest_catcher_cleanup(&catcher);
	if (left && resumed == 0) {
		printk("        # the case left %u thread(s) not joined: "
		       "stopped and joined\n", left);
		t.failures++;
	} else if (left) {
		printk("        # %u thread(s) of the abandoned case stopped "
		       "and joined\n", left);
	}
	if (lock_check_inversion_count() != inversions) {
		printk("        # lock order: %u inversion(s) during this case\n",
		       lock_check_inversion_count() - inversions);
		t.failures++;
	}
	if (resumed == KTEST_RESUME_TIMEOUT) {
		ktest_report_timeout(&trap);
		t.failures++;
	} else if (resumed == KTEST_RESUME_EXCEPTION) {
		ktest_report_trap(&trap);
		t.failures++;
	}
	if (resumed == KTEST_RESUME_SKIP) {
		*skip_reason = t.skip_reason;
		return -1;
	}
	return t.failures == 0;
}

struct ktest_totals {
	unsigned passed, failed, skipped;
};

static unsigned ktest_count_suite(const struct ktest_case *first,
				  const char *filter)
{
	unsigned count = 0;

	for (const struct ktest_case *c = first; c < ktest_cases_end; c++) {
		if (strcmp(c->suite, first->suite) == 0 && ktest_selected(c, filter))
			count++;
	}
	return count;
}

/* True when an earlier case belongs to the same suite (suites are printed
 * at their first case). */
static bool ktest_suite_seen(const struct ktest_case *c)
{
	for (const struct ktest_case *p = ktest_cases_start; p < c; p++) {
		if (strcmp(p->suite, c->suite) == 0)
			return true;
	}
	return false;
}

/* Compilers emit a file's cases in any order; they run in line order
 * within a file, files in link order. */
static bool ktest_case_before(const struct ktest_case *a,
			      const struct ktest_case *b)
{
	if (strcmp(a->file, b->file) == 0)
		return a->line < b->line;
	return a < b;
}

#define KTEST_SUITE_MAX 256

/* The selected cases of first's suite, in running order. */
static unsigned ktest_collect_suite(const struct ktest_case *first,
				    const char *filter,
				    const struct ktest_case **cases)
{
	unsigned count = 0;

	for (const struct ktest_case *c = first; c < ktest_cases_end; c++) {
		if (strcmp(c->suite, first->suite) != 0 || !ktest_selected(c, filter))
			continue;
		if (count == KTEST_SUITE_MAX)
			break;
		unsigned at = count++;
		while (at > 0 && ktest_case_before(c, cases[at - 1])) {
			cases[at] = cases[at - 1];
			at--;
		}
		cases[at] = c;
	}
	return count;
}

static bool ktest_run_suite(const struct ktest_case *first, const char *filter,
			    unsigned number, struct ktest_totals *totals)
{
	static const struct ktest_case *cases[KTEST_SUITE_MAX];
	unsigned plan = ktest_collect_suite(first, filter, cases), index = 0;
	bool suite_ok = true;

	printk("    KTAP version 1\n    # Subtest: %s\n    1..%u\n",
	       first->suite, plan);
	for (unsigned i = 0; i < plan; i++) {
		const struct ktest_case *c = cases[i];
		const char *skip_reason = NULL;
		uint64_t started = time_ticks_ms();
		int result = ktest_run_case(c, &skip_reason);
		uint64_t took = time_ticks_ms() - started;
		if (took >= 1000)	/* slow cases say so, to keep runs short */
			printk("        # %s took %llu ms\n", c->name,
			       (unsigned long long)took);
		index++;
		if (result < 0) {
			totals->skipped++;
			printk("    ok %u %s # SKIP %s\n", index, c->name,
			       skip_reason);
		} else {
			printk("    %sok %u %s\n", result ? "" : "not ", index,
			       c->name);
			if (result)
				totals->passed++;
			else
				totals->failed++;
			suite_ok = suite_ok && result;
		}
	}
	printk("%sok %u %s\n", suite_ok ? "" : "not ", number, first->suite);
	return suite_ok;
}

/* CONFIG_KTEST (kernel/build_config.h): the release build (build/veil.iso)
 * has the runner and the benchmarks, not the cases. */
bool ktest_cases_linked(void)
{
	return CONFIG_KTEST;
}

unsigned ktest_count_selected(const char *filter)
{
	unsigned count = 0;

	for (const struct ktest_case *c = ktest_cases_start; c < ktest_cases_end; c++)
		count += ktest_selected(c, filter);
	return count;
}

/* Set by the shell around its own runs; read by the runner's loops. */
static bool (*ktest_stop_check)(void);
static bool ktest_stopped;

void ktest_set_stop_check(bool (*stop)(void))
{
	ktest_stop_check = stop;
}

bool ktest_was_stopped(void)
{
	return ktest_stopped;
}

/* True, once said, when the stop check asks to stop before item
 * done + 1 of total. */
static bool ktest_stop_requested(const char *what, unsigned done,
				 unsigned total)
{
	if (!ktest_stop_check || !ktest_stop_check())
		return false;
	ktest_stopped = true;
	printk("# stopped by Ctrl-C after %u of %u %s\n", done, total, what);
	return true;
}

bool ktest_run(const char *filter)
{
	unsigned suites = 0, number = 0;
	struct ktest_totals totals = { 0, 0, 0 };
	bool all_ok = true;

	if (!ktest_cases_linked()) {
		printk("ktest: %s\n", KTEST_NONE_MESSAGE);
		return false;
	}
	if (ktest_count_selected(filter) == 0) {
		/* A typo in a filter must not pass as an empty, green run. */
		printk("ktest: filter '%s' selects no test case: failed "
		       "(`test` in the shell lists the suites)\n", filter);
		return false;
	}
	if (ktest_cleanups_linked() > KTEST_CLEANUPS_MAX) {
		printk("ktest: %u KTEST_CLEANUPs, more than KTEST_CLEANUPS_MAX "
		       "(%u): failed\n", ktest_cleanups_linked(), KTEST_CLEANUPS_MAX);
		return false;
	}
	trap_set_catch_handler(ktest_catch_exception);
	for (const struct ktest_case *c = ktest_cases_start; c < ktest_cases_end; c++) {
		if (!ktest_suite_seen(c) && ktest_count_suite(c, filter))
			suites++;
	}
	printk("KTAP version 1\n1..%u\n", suites);
	ktest_stopped = false;
	for (const struct ktest_case *c = ktest_cases_start; c < ktest_cases_end; c++) {
		if (ktest_suite_seen(c) || !ktest_count_suite(c, filter))
			continue;
		if (number > 0 && ktest_stop_requested("suites", number, suites)) {
			all_ok = false;
			break;
		}
		all_ok = ktest_run_suite(c, filter, ++number, &totals) && all_ok;
	}
	if (CONFIG_LOCK_CHECK) {
		lock_check_dump();
		if (lock_check_inversion_count()) {
			printk("# lock order: %u inversion(s) since boot: the run fails\n",
			       lock_check_inversion_count());
			all_ok = false;
		}
	}
	printk("# ktest: %u passed, %u failed, %u skipped\n", totals.passed,
	       totals.failed, totals.skipped);
	return all_ok;
}

bool ktest_run_requested(void)
{
	return ktest_run(ktest_filter);
}

void ktest_init(void)
{
	time_set_tick_hook(ktest_watchdog_tick);
}

/* The benchmark running now, and how many of this run failed: one CPU
 * runs benchmarks, from the boot or the shell, one at a time. */
static const struct ktest_bench *ktest_bench_running;
static unsigned ktest_bench_failures;

void ktest_bench_fail(const char *fmt, ...)
{
	va_list args;

	printk("# bench %s: FAILED: ",
	       ktest_bench_running ? ktest_bench_running->name : "?");
	va_start(args, fmt);
	vprintk(fmt, args);
	va_end(args);
	printk("\n");
	ktest_bench_failures++;
}

bool ktest_benches_failed(void)
{
	return ktest_bench_failures != 0;
}

unsigned ktest_run_benches_matching(const char *filter)
{
	unsigned count = 0, total = 0;

	ktest_bench_failures = 0;
	ktest_stopped = false;
	for (const struct ktest_bench *b = ktest_benches_start;
	     b < ktest_benches_end; b++)
		total += ktest_filter_matches(filter, b->name, NULL);
	for (const struct ktest_bench *b = ktest_benches_start;
	     b < ktest_benches_end; b++) {
		if (!ktest_filter_matches(filter, b->name, NULL))
			continue;
		if (count > 0 && ktest_stop_requested("benchmarks", count, total))
			break;
		printk("# bench %s\n", b->name);
		ktest_bench_running = b;
		b->run();
		ktest_bench_running = NULL;
		count++;
	}
	printk("# bench: done%s\n", ktest_bench_failures ? " (with failures)" : "");
	return count;
}

bool ktest_run_benches(void)
{
	if (ktest_run_benches_matching(ktest_bench_filter) == 0) {
		/* Nothing measured is not a pass. */
		printk("# bench: filter '%s' selects no benchmark: failed\n",
		       ktest_bench_filter);
		return false;
	}
	return !ktest_benches_failed();
}

/* For the shell: what `test` and `bench` can run. */
void ktest_list(void)
{
	if (!ktest_cases_linked())
		printk("suites: none (%s)", KTEST_NONE_MESSAGE);
	else
		printk("suites:");
	for (const struct ktest_case *c = ktest_cases_start; c < ktest_cases_end; c++) {
		if (!ktest_suite_seen(c))
			printk(" %s(%u)", c->suite, ktest_count_suite(c, c->suite));
	}
	printk("\nbenchmarks:");
	for (const struct ktest_bench *b = ktest_benches_start;
	     b < ktest_benches_end; b++)
		printk(" %s", b->name);
	printk("\n");
}
