# (After mk/slab.mk, whose SLAB_SRCS it uses.) Allocators under concurrency (mm/alloc_torture.c): every host "CPU" (a
# pthread) allocating and freeing through kmalloc, a slab cache and a buddy
# at once. Built under ASan/UBSan like every host test, and again under
# ThreadSanitizer (HOST_TSAN, mk/spinlock.mk) to catch data races.
ALLOC_SMP_SRCS := tests/host/test_alloc_smp.c mm/alloc_torture.c $(SLAB_SRCS) mm/pmm.c

$(eval $(call host_test,alloc_smp,$(ALLOC_SMP_SRCS),-pthread))

HOST_TESTS += $(HOST_BUILD)/test-alloc_smp-tsan
$(HOST_BUILD)/test-alloc_smp-tsan: $(ALLOC_SMP_SRCS) $(HTEST_SRCS) $(HEADERS)
	@mkdir -p $(@D)
	$(HOST_CC) $(HOST_CFLAGS) $(HOST_TSAN) -o $@ $(ALLOC_SMP_SRCS) $(HTEST_SRCS) -pthread
