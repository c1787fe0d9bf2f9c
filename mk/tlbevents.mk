# The TLB event layer (mm/region*, clearset*, policy*, hooks*, scheme*;
# transforms/xf*): host tests of the policies, and of regions simulated over
# a fake address space (tests/host/fake_vmm.c) with the real transforms and
# page store.
POLICY_SRCS := mm/policy.c mm/policy_fifo.c mm/policy_clock.c mm/policy_2q.c \
               mm/clearset.c

$(eval $(call host_test_linked,policy,tests/host/test_policy.c $(POLICY_SRCS)))

REGION_SRCS := mm/region.c mm/region_shared_copy.c mm/region_store.c mm/region_tier.c mm/clear_share.c mm/region_fault.c mm/region_transition.c mm/region_seal.c mm/region_fork.c mm/rmap.c mm/rmap_chains.c mm/rmap_family.c mm/rmap_designs.c mm/fault.c mm/scheme.c mm/hooks.c mm/trace.c \
               mm/event_counts.c \
               $(POLICY_SRCS) mm/store.c $(ZSTORE_SRCS) $(FAILPOINT_SRCS) \
               transforms/xf.c transforms/xf_identity.c transforms/xf_xor.c \
               transforms/xf_codec.c $(filter-out %_test.c,$(wildcard transforms/codec*.c))

$(eval $(call host_test_linked,region,tests/host/test_region.c tests/host/fake_vmm.c $(REGION_SRCS)))
$(eval $(call host_test_linked,transition,tests/host/test_transition.c tests/host/fake_vmm.c $(REGION_SRCS)))
$(eval $(call host_test_linked,hooks,tests/host/test_hooks.c tests/host/fake_vmm.c $(REGION_SRCS)))
# The reverse map of frames shared after fork (its kmalloc counted by the fake).
$(eval $(call host_test_linked,rmap,tests/host/test_rmap.c tests/host/fake_vmm.c $(REGION_SRCS)))

# Regions over the cipher transforms (key in memory), with the ciphers' sources.
$(eval $(call host_test_linked,xf-cipher,tests/host/test_xf_cipher.c tests/host/fake_vmm.c $(REGION_SRCS) transforms/xf_cipher.c $(CRYPT_SRCS),-lcrypto))
# Clear sets shared by several regions (a process's mappings).
$(eval $(call host_test_linked,clear-share,tests/host/test_clear_share.c tests/host/fake_vmm.c $(REGION_SRCS)))
# Tiers: tiered schemes, the age walk and RECOMPRESS (mm/region_tier.c),
# with the ciphers (key in memory) for the chains that end in one.
$(eval $(call host_test_linked,tier,tests/host/test_tier.c tests/host/fake_vmm.c $(REGION_SRCS) transforms/xf_cipher.c $(CRYPT_SRCS),-lcrypto))
