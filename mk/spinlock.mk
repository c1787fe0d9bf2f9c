# Ticket spinlocks (kernel/lib/spinlock.h) on several host threads, each its
# own CPU index, with the lock-order checker linked: under ASan/UBSan like
# every host test, and again under ThreadSanitizer (which cannot share a
# binary with ASan), so a data race in the lock or the checker is reported.
# The allocators' concurrency tests get a ThreadSanitizer build too
# (mk/alloc_smp.mk).
SPINLOCK_TEST_SRCS := tests/host/test_spinlock.c kernel/lib/lock_check.c
SPINLOCK_TEST_FLAGS := -DCONFIG_LOCK_CHECK=1 -pthread
HOST_TSAN := -fsanitize=thread -fno-omit-frame-pointer

$(eval $(call host_test,spinlock,$(SPINLOCK_TEST_SRCS),$(SPINLOCK_TEST_FLAGS)))

HOST_TESTS += $(HOST_BUILD)/test-spinlock-tsan
$(HOST_BUILD)/test-spinlock-tsan: $(SPINLOCK_TEST_SRCS) $(HTEST_SRCS) $(HEADERS)
	@mkdir -p $(@D)
	$(HOST_CC) $(HOST_CFLAGS) $(HOST_TSAN) -o $@ $(SPINLOCK_TEST_SRCS) $(HTEST_SRCS) $(SPINLOCK_TEST_FLAGS)
