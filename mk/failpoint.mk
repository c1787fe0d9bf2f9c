# Fault injection points (kernel/lib/failpoint.c): host unit tests of the
# module. The page paths' files that call FAILPOINT() link FAILPOINT_SRCS
# in their host tests too (mk/store.mk, slab.mk, tlbevents.mk).
FAILPOINT_SRCS := kernel/lib/failpoint.c

$(eval $(call host_test,failpoint,tests/host/test_failpoint.c $(FAILPOINT_SRCS)))
