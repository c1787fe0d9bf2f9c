# The TLB event layer (mm/region*, clearset*, policy*, hooks*, trace*,
# scheme*, fault.c; transforms/xf*): host tests of everything that needs no
# page tables, plus the region simulated over a fake page table.
POLICY_SRCS := mm/policy.c mm/policy_fifo.c mm/policy_clock.c mm/policy_2q.c \
               mm/clearset.c

$(eval $(call host_test,policy,tests/host/test_policy.c $(POLICY_SRCS)))
