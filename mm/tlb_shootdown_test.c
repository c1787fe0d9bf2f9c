/*
 * ktest suite "tlb_smp": an invalidation on one CPU reaches the others.
 * A thread kept on one CPU reads a kernel-half page (its TLB now holds the
 * translation); a thread on another CPU points the page at another frame
 * through vmm_exchange; the reader then reads again and must see the new
 * frame. Under QEMU each virtual CPU keeps its own TLB, so without the
 * shootdown the second read would still reach the old frame.
 */
#include <stdint.h>
#include "kernel/ktest/ktest.h"
#include "kernel/lib/cpu.h"
#include "kernel/sched/sched.h"
#include "mm/frame.h"
#include "mm/tlb.h"
#include "mm/vmm.h"

#define TLB_SMP_OLD 0x01d01d01d01d01d0ull
#define TLB_SMP_NEW 0x0e30e30e30e30e30ull

struct tlb_smp_test {
	uintptr_t va;
	uint64_t new_frame;
	unsigned read_first, changed;	/* the steps, in order */
	uint64_t seen_before, seen_after;
	int exchange_result;
};

static void tlb_smp_wait(const unsigned *flag)
{
	while (!__atomic_load_n(flag, __ATOMIC_ACQUIRE))
		cpu_answer_requests();
}

/* On one CPU: reads, lets the other CPU remap, reads again. */
static void tlb_smp_reader(void *argument)
{
	struct tlb_smp_test *test = argument;

	test->seen_before = *(volatile uint64_t *)test->va;
	__atomic_store_n(&test->read_first, 1, __ATOMIC_RELEASE);
	tlb_smp_wait(&test->changed);
	test->seen_after = *(volatile uint64_t *)test->va;
}

/* On another CPU: once the reader holds the translation, remaps. */
static void tlb_smp_changer(void *argument)
{
	struct tlb_smp_test *test = argument;
	struct vmm_entry entry = vmm_entry_present(test->new_frame,
						   VMM_READ | VMM_WRITE);

	tlb_smp_wait(&test->read_first);
	test->exchange_result = vmm_exchange(vmm_kernel_space(), test->va,
					     NULL, &entry, NULL);
	__atomic_store_n(&test->changed, 1, __ATOMIC_RELEASE);
}

KTEST(tlb_smp, stale_translation_is_shot_down)
{
	uintptr_t base, size;
	struct tlb_stats before, after;

	if (cpu_count() < 2)
		ktest_skip(t, "needs two CPUs online (boot with -smp 2 or more)");
	vmm_region_area(&base, &size);
	struct tlb_smp_test test = { .va = base + size - 4096 };
	uint64_t old_frame = frame_alloc();
	test.new_frame = frame_alloc();
	KTEST_ASSERT(t, old_frame != FRAME_NONE && test.new_frame != FRAME_NONE);
	*(uint64_t *)frame_address(old_frame) = TLB_SMP_OLD;
	*(uint64_t *)frame_address(test.new_frame) = TLB_SMP_NEW;
	KTEST_ASSERT(t, vmm_map(vmm_kernel_space(), test.va, old_frame,
				VMM_READ | VMM_WRITE) == VMM_OK);
	tlb_get_stats(&before);

	struct thread *reader = thread_create_on("tlb_reader", tlb_smp_reader,
						 &test, 1ull << 1);
	struct thread *changer = thread_create_on("tlb_changer", tlb_smp_changer,
						  &test, 1ull << 0);
	KTEST_ASSERT(t, reader && changer);
	thread_join(reader);
	thread_join(changer);
	tlb_get_stats(&after);
	ktest_log(t, "before 0x%llx, after 0x%llx; shootdown rounds %llu -> %llu",
		  (unsigned long long)test.seen_before,
		  (unsigned long long)test.seen_after,
		  (unsigned long long)before.shootdown_rounds,
		  (unsigned long long)after.shootdown_rounds);
	KTEST_EXPECT_EQ(t, test.exchange_result, VMM_OK);
	KTEST_EXPECT_EQ(t, test.seen_before, TLB_SMP_OLD);
	KTEST_EXPECT_EQ(t, test.seen_after, TLB_SMP_NEW);
	KTEST_EXPECT(t, after.shootdown_rounds > before.shootdown_rounds);
	vmm_unmap(vmm_kernel_space(), test.va, NULL);
	frame_free(old_frame);
	frame_free(test.new_frame);
}
