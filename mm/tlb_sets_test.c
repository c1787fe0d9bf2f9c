/*
 * ktest suite "tlb_sets": who may hold a translation (docs/tlb-events.md).
 * A thread in a space on CPU 1 reads a page (CPU 1's TLB now holds it),
 * then CPU 1 goes lazy (its idle thread keeps the space loaded) or runs
 * another space; a thread on CPU 0 changes the page: CPU 1 gets no TLB
 * interrupt, yet reads the new frame when the thread comes back. A CPU
 * that never loaded a space gets nothing for it; freed page tables reach
 * a lazy CPU; a batch of kernel-half pages reaches every CPU in one round.
 * Under QEMU each virtual CPU keeps its own TLB, so a missed flush shows
 * as the old frame's contents.
 */
#include <stdint.h>
#include "kernel/ktest/ktest.h"
#include "kernel/lib/time.h"
#include "kernel/lib/cpu.h"
#include "kernel/sched/sched.h"
#include "kernel/sched/wait.h"
#include "mm/frame.h"
#include "mm/tlb.h"
#include "mm/vmm.h"

#define TLB_SETS_VA      0x0000100000000000ull	/* user half, in a space */
#define TLB_SETS_VA_LONE 0x0000180000000000ull	/* alone in its tables */
#define TLB_SETS_OLD 0x01d01d01d01d0000ull
#define TLB_SETS_NEW 0x0e30e30e30e30000ull
/* A bound on waiting for CPU 1 to be away (it takes a few milliseconds,
 * Bochs included): below the case's default watchdog limit (10 s), so a
 * CPU 1 that never gets there fails the check, not the watchdog. */
#define TLB_SETS_WAIT_MS 5000u
#define TLB_SETS_MAX_PAGES 40u

/* What CPU 1 does while CPU 0 changes the page. */
enum tlb_sets_away {
	TLB_SETS_LAZY,		/* its idle thread: the space stays loaded */
	TLB_SETS_OTHER_SPACE,	/* a thread of another space runs */
};

struct tlb_sets_test {
	enum tlb_sets_away away;
	struct vmm_space *space, *other;
	uintptr_t va;
	uint64_t old_frame, new_frame;
	bool unmap;			/* the change: unmap, else a new frame */
	struct completion read_first;	/* the user read the page */
	struct completion come_back;	/* the change is made */
	unsigned other_done;		/* the other space's thread may end */
	uint64_t seen_before, seen_after;
	/* The changer's figures. */
	bool ready;			/* CPU 1 was away as away says */
	uint64_t waited_ms;		/* for it */
	int result;
	uint64_t received_before, received_after;
	/* CPU 1's lazy skips around the change: the global figure of
	 * tlb_get_stats moves with other CPUs' spaces too */
	uint64_t skipped_before, skipped_after;
	struct tlb_stats before, after;
	struct tlb_stats end;		/* once the user thread came back */
};

static void tlb_sets_test_init(struct tlb_sets_test *test,
			       enum tlb_sets_away away)
{
	*test = (struct tlb_sets_test){ .va = TLB_SETS_VA, .away = away };
	completion_init(&test->read_first, "tlb_sets_read");
	completion_init(&test->come_back, "tlb_sets_back");
}

/* In the space, on CPU 1: reads, blocks while the page changes, and (for
 * a remap) reads again. */
static void tlb_sets_user(void *argument)
{
	struct tlb_sets_test *test = argument;

	test->seen_before = *(volatile uint64_t *)test->va;
	complete_all(&test->read_first);
	completion_wait(&test->come_back);
	if (!test->unmap)
		test->seen_after = *(volatile uint64_t *)test->va;
}

/* In the other space, on CPU 1: runs (not lazily) until told to end. */
static void tlb_sets_other(void *argument)
{
	struct tlb_sets_test *test = argument;

	while (!__atomic_load_n(&test->other_done, __ATOMIC_ACQUIRE))
		thread_yield();
}

/* Waits (sleeping) until CPU 1 has want loaded, lazily or not; false
 * after TLB_SETS_WAIT_MS. Call it from another CPU: a kernel thread that
 * polls on CPU 1 makes CPU 1 lazy itself while it looks. */
static bool tlb_sets_wait_cpu1(struct vmm_space *want, bool lazy)
{
	uint64_t deadline = time_uptime_ns() + TLB_SETS_WAIT_MS * 1000000ull;

	do {
		bool is_lazy;
		if (tlb_cpu_space(1, &is_lazy) == want && is_lazy == lazy)
			return true;
		thread_sleep_ms(1);
	} while (time_uptime_ns() < deadline);
	return false;
}

/* On CPU 0: waits until CPU 1 is away as test->away says, then makes the
 * change, with CPU 1's interrupt count around it. The wait is here, on a
 * thread pinned to CPU 0, not on the case's thread: nothing pins that one,
 * and it does run on CPU 1 at times (an idle CPU takes a thread queued on
 * another); polling from there, it kept CPU 1 lazy and never saw CPU 1
 * run the other space. */
static void tlb_sets_changer(void *argument)
{
	struct tlb_sets_test *test = argument;
	struct vmm_entry entry = vmm_entry_present(test->new_frame,
						   VMM_READ | VMM_WRITE);
	uint64_t start = time_uptime_ns();

	test->ready = test->away == TLB_SETS_LAZY ?
		      tlb_sets_wait_cpu1(test->space, true) :
		      tlb_sets_wait_cpu1(test->other, false);
	test->waited_ms = (time_uptime_ns() - start) / 1000000u;
	tlb_get_stats(&test->before);
	test->received_before = tlb_interrupts_received(1);
	test->skipped_before = tlb_lazy_skips_of(1);
	if (test->unmap)
		test->result = vmm_unmap(test->space, test->va, NULL);
	else
		test->result = vmm_exchange(test->space, test->va, NULL, &entry,
					    NULL);
	test->received_after = tlb_interrupts_received(1);
	test->skipped_after = tlb_lazy_skips_of(1);
	tlb_get_stats(&test->after);
}

/* The scenario of the file comment, CPU 1 away as away says. */
static void tlb_sets_run(struct ktest *t, struct tlb_sets_test *test)
{
	struct thread *other = NULL;

	test->space = vmm_space_create();
	test->old_frame = frame_alloc();
	test->new_frame = frame_alloc();
	KTEST_ASSERT(t, test->space && test->old_frame != FRAME_NONE &&
			test->new_frame != FRAME_NONE);
	*(uint64_t *)frame_address(test->old_frame) = TLB_SETS_OLD;
	*(uint64_t *)frame_address(test->new_frame) = TLB_SETS_NEW;
	KTEST_ASSERT(t, vmm_map(test->space, test->va, test->old_frame,
				VMM_READ | VMM_WRITE) == VMM_OK);
	struct thread *user = thread_create_in(test->space, "tlb_sets_user",
					       tlb_sets_user, test, 1ull << 1);
	KTEST_ASSERT(t, user);
	completion_wait(&test->read_first);
	if (test->away == TLB_SETS_OTHER_SPACE) {
		test->other = vmm_space_create();
		KTEST_ASSERT(t, test->other);
		other = thread_create_in(test->other, "tlb_sets_other",
					 tlb_sets_other, test, 1ull << 1);
		KTEST_ASSERT(t, other);
	}
	struct thread *changer = thread_create_on("tlb_sets_changer",
						  tlb_sets_changer, test, 1ull);
	KTEST_ASSERT(t, changer);
	thread_join(changer);
	KTEST_EXPECT(t, test->ready);
	__atomic_store_n(&test->other_done, 1, __ATOMIC_RELEASE);
	if (other)
		thread_join(other);
	complete_all(&test->come_back);
	thread_join(user);
	tlb_get_stats(&test->end);
	ktest_log(t, "CPU 1 away after %llu ms; CPU 1 interrupts %llu -> %llu, "
		  "lazy skips %llu -> %llu, switch flushes %llu -> %llu, "
		  "set of the space 0x%llx, PCID %d",
		  (unsigned long long)test->waited_ms,
		  (unsigned long long)test->received_before,
		  (unsigned long long)test->received_after,
		  (unsigned long long)test->skipped_before,
		  (unsigned long long)test->skipped_after,
		  (unsigned long long)test->before.switch_flushes,
		  (unsigned long long)test->end.switch_flushes,
		  (unsigned long long)tlb_space_cpus(test->space),
		  (int)test->after.pcid);
}

/* Frees what tlb_sets_run made; CPU 1 stops holding the spaces. */
static void tlb_sets_finish(struct ktest *t, struct tlb_sets_test *test)
{
	vmm_unmap(test->space, test->va, NULL);
	vmm_space_destroy(test->space);
	KTEST_EXPECT(t, tlb_cpu_space(1, NULL) != test->space);
	if (test->other) {
		vmm_space_destroy(test->other);
		KTEST_EXPECT(t, tlb_cpu_space(1, NULL) != test->other);
	}
	frame_free(test->old_frame);
	frame_free(test->new_frame);
}

static void tlb_sets_need_cpus(struct ktest *t, unsigned count)
{
	if (cpu_count() < count)
		ktest_skip(t, "needs more CPUs online (boot with -smp 2 or more)");
}

KTEST(tlb_sets, lazy_cpu_is_skipped_and_flushes_on_return)
{
	struct tlb_sets_test test;

	tlb_sets_need_cpus(t, 2);
	tlb_sets_test_init(&test, TLB_SETS_LAZY);
	tlb_sets_run(t, &test);
	KTEST_EXPECT_EQ(t, test.result, VMM_OK);
	KTEST_EXPECT_EQ(t, test.seen_before, TLB_SETS_OLD);
	KTEST_EXPECT_EQ(t, test.seen_after, TLB_SETS_NEW);
	/* CPU 1 held the space lazily: no interrupt, a flush owed. */
	KTEST_EXPECT_EQ(t, test.received_after, test.received_before);
	KTEST_EXPECT(t, test.skipped_after > test.skipped_before);
	KTEST_EXPECT(t, test.end.switch_flushes > test.before.switch_flushes);
	tlb_sets_finish(t, &test);
}

KTEST(tlb_sets, cpu_running_another_space_is_skipped)
{
	struct tlb_sets_test test;

	tlb_sets_need_cpus(t, 2);
	tlb_sets_test_init(&test, TLB_SETS_OTHER_SPACE);
	tlb_sets_run(t, &test);
	KTEST_EXPECT_EQ(t, test.result, VMM_OK);
	KTEST_EXPECT_EQ(t, test.seen_before, TLB_SETS_OLD);
	KTEST_EXPECT_EQ(t, test.seen_after, TLB_SETS_NEW);
	KTEST_EXPECT_EQ(t, test.received_after, test.received_before);
	if (test.after.pcid) {
		/* The tag kept its entries: in the set, a flush owed. */
		KTEST_EXPECT(t, test.skipped_after > test.skipped_before);
	} else {
		/* The CR3 load dropped them: CPU 1 left the set then. */
		KTEST_EXPECT_EQ(t, test.skipped_after, test.skipped_before);
	}
	tlb_sets_finish(t, &test);
}

KTEST(tlb_sets, freed_tables_reach_a_lazy_cpu)
{
	struct tlb_sets_test test;

	tlb_sets_need_cpus(t, 2);
	tlb_sets_test_init(&test, TLB_SETS_LAZY);
	test.va = TLB_SETS_VA_LONE;
	test.unmap = true;
	tlb_sets_run(t, &test);
	KTEST_EXPECT_EQ(t, test.result, VMM_OK);
	KTEST_EXPECT_EQ(t, test.seen_before, TLB_SETS_OLD);
	/* The unmap emptied (and freed) the page's tables: CPU 1, lazy with
	 * the space loaded, was interrupted. */
	KTEST_EXPECT(t, test.received_after > test.received_before);
	KTEST_EXPECT(t, !vmm_translate(test.space, test.va, NULL, NULL));
	tlb_sets_finish(t, &test);
}

/* A thread of a fresh space on CPU 0 changes its own page: no other CPU
 * was ever in the space's set, none is interrupted. */
struct tlb_sets_alone {
	uint64_t new_frame;
	uint64_t seen_before, seen_after, cpus;
	uint64_t received_before[CONFIG_MAX_CPUS], received_after[CONFIG_MAX_CPUS];
	int result;
};

static void tlb_sets_alone_thread(void *argument)
{
	struct tlb_sets_alone *alone = argument;
	struct vmm_entry entry = vmm_entry_present(alone->new_frame,
						   VMM_READ | VMM_WRITE);
	unsigned cpus = cpu_count();

	alone->seen_before = *(volatile uint64_t *)TLB_SETS_VA;
	for (unsigned i = 0; i < cpus; i++)
		alone->received_before[i] = tlb_interrupts_received(i);
	alone->result = vmm_exchange(thread_current()->space, TLB_SETS_VA,
				     NULL, &entry, NULL);
	for (unsigned i = 0; i < cpus; i++)
		alone->received_after[i] = tlb_interrupts_received(i);
	alone->seen_after = *(volatile uint64_t *)TLB_SETS_VA;
	alone->cpus = tlb_space_cpus(thread_current()->space);
}

KTEST(tlb_sets, cpu_outside_the_set_gets_nothing)
{
	struct tlb_sets_alone alone = { 0 };

	tlb_sets_need_cpus(t, 2);
	struct vmm_space *space = vmm_space_create();
	uint64_t old_frame = frame_alloc();
	alone.new_frame = frame_alloc();
	KTEST_ASSERT(t, space && old_frame != FRAME_NONE &&
			alone.new_frame != FRAME_NONE);
	*(uint64_t *)frame_address(old_frame) = TLB_SETS_OLD;
	*(uint64_t *)frame_address(alone.new_frame) = TLB_SETS_NEW;
	KTEST_ASSERT(t, vmm_map(space, TLB_SETS_VA, old_frame,
				VMM_READ | VMM_WRITE) == VMM_OK);
	struct thread *thread = thread_create_in(space, "tlb_sets_alone",
						 tlb_sets_alone_thread, &alone,
						 1ull);
	KTEST_ASSERT(t, thread);
	thread_join(thread);
	KTEST_EXPECT_EQ(t, alone.result, VMM_OK);
	KTEST_EXPECT_EQ(t, alone.seen_before, TLB_SETS_OLD);
	KTEST_EXPECT_EQ(t, alone.seen_after, TLB_SETS_NEW);
	KTEST_EXPECT_EQ(t, alone.cpus, 1);
	for (unsigned i = 1; i < cpu_count(); i++)
		KTEST_EXPECT_EQ(t, alone.received_after[i],
				alone.received_before[i]);
	vmm_unmap(space, TLB_SETS_VA, NULL);
	vmm_space_destroy(space);
	frame_free(old_frame);
	frame_free(alone.new_frame);
}

/* A batch of kernel-half pages remapped while every CPU holds them. */
struct tlb_sets_batch {
	uintptr_t base;
	unsigned pages;
	unsigned ready;			/* readers that read the old frames */
	unsigned changed;		/* the batch is finished */
	unsigned stale[CONFIG_MAX_CPUS];	/* old values read after */
	unsigned wrong_before[CONFIG_MAX_CPUS];
};

static uint64_t tlb_sets_value(bool new_frame, unsigned page)
{
	return (new_frame ? TLB_SETS_NEW : TLB_SETS_OLD) + page;
}

/* One per CPU: reads every page, waits for the batch, reads again. */
static void tlb_sets_batch_reader(void *argument)
{
	struct tlb_sets_batch *batch = argument;
	unsigned cpu = cpu_current();

	for (unsigned i = 0; i < batch->pages; i++)
		if (*(volatile uint64_t *)(batch->base + i * 4096) !=
		    tlb_sets_value(false, i))
			batch->wrong_before[cpu]++;
	__atomic_fetch_add(&batch->ready, 1, __ATOMIC_ACQ_REL);
	while (!__atomic_load_n(&batch->changed, __ATOMIC_ACQUIRE))
		thread_yield();
	for (unsigned i = 0; i < batch->pages; i++)
		if (*(volatile uint64_t *)(batch->base + i * 4096) !=
		    tlb_sets_value(true, i))
			batch->stale[cpu]++;
}

static void tlb_sets_batch_case(struct ktest *t, unsigned pages)
{
	struct vmm_space *kernel = vmm_kernel_space();
	struct tlb_sets_batch batch = { .pages = pages };
	uint64_t old_frames[TLB_SETS_MAX_PAGES], new_frames[TLB_SETS_MAX_PAGES];
	struct thread *readers[CONFIG_MAX_CPUS];
	unsigned cpus = cpu_count();
	uintptr_t area, size;
	struct tlb_stats before, after;

	tlb_sets_need_cpus(t, 2);
	vmm_region_area(&area, &size);
	batch.base = area + size - (uintptr_t)(TLB_SETS_MAX_PAGES + 1) * 4096;
	for (unsigned i = 0; i < pages; i++) {
		old_frames[i] = frame_alloc();
		new_frames[i] = frame_alloc();
		KTEST_ASSERT(t, old_frames[i] != FRAME_NONE &&
				new_frames[i] != FRAME_NONE);
		*(uint64_t *)frame_address(old_frames[i]) = tlb_sets_value(false, i);
		*(uint64_t *)frame_address(new_frames[i]) = tlb_sets_value(true, i);
		KTEST_ASSERT(t, vmm_map(kernel, batch.base + i * 4096,
					old_frames[i], VMM_READ) == VMM_OK);
	}
	for (unsigned cpu = 0; cpu < cpus; cpu++) {
		readers[cpu] = thread_create_on("tlb_sets_reader",
						tlb_sets_batch_reader, &batch,
						1ull << cpu);
		KTEST_ASSERT(t, readers[cpu]);
	}
	while (__atomic_load_n(&batch.ready, __ATOMIC_ACQUIRE) < cpus)
		thread_yield();
	struct tlb_batch tlb;
	int failed = 0;
	tlb_get_stats(&before);
	tlb_batch_begin(&tlb, kernel);
	for (unsigned i = 0; i < pages; i++) {
		struct vmm_entry entry = vmm_entry_present(new_frames[i], VMM_READ);
		failed += vmm_exchange_batched(kernel, batch.base + i * 4096, NULL,
					       &entry, NULL, &tlb) != VMM_OK;
	}
	tlb_batch_finish(&tlb);
	tlb_get_stats(&after);
	__atomic_store_n(&batch.changed, 1, __ATOMIC_RELEASE);
	for (unsigned cpu = 0; cpu < cpus; cpu++)
		thread_join(readers[cpu]);
	ktest_log(t, "%u pages, %u CPUs: rounds %llu -> %llu, interrupts sent "
		  "%llu -> %llu, full flushes %llu -> %llu", pages, cpus,
		  (unsigned long long)before.shootdown_rounds,
		  (unsigned long long)after.shootdown_rounds,
		  (unsigned long long)before.shootdown_ipis,
		  (unsigned long long)after.shootdown_ipis,
		  (unsigned long long)before.full_flushes,
		  (unsigned long long)after.full_flushes);
	KTEST_EXPECT_EQ(t, failed, 0);
	KTEST_EXPECT_EQ(t, after.shootdown_rounds - before.shootdown_rounds, 1);
	for (unsigned cpu = 0; cpu < cpus; cpu++) {
		KTEST_EXPECT_EQ(t, batch.wrong_before[cpu], 0);
		KTEST_EXPECT_EQ(t, batch.stale[cpu], 0);
	}
	for (unsigned i = 0; i < pages; i++) {
		vmm_unmap(kernel, batch.base + i * 4096, NULL);
		frame_free(old_frames[i]);
		frame_free(new_frames[i]);
	}
}

KTEST(tlb_sets, batch_below_the_ceiling_reaches_every_cpu)
{
	tlb_sets_batch_case(t, 8);
}

KTEST(tlb_sets, batch_above_the_ceiling_reaches_every_cpu)
{
	tlb_sets_batch_case(t, TLB_SETS_MAX_PAGES);
}
