# Slab allocator (mm/slab*, mm/kmalloc*): host unit tests over a page
# provider built like the kernel's (the buddy over an mmap-backed arena),
# and the bench-slab benchmark against glibc, jemalloc and mimalloc.
SLAB_SRCS := mm/slab_cache.c mm/slab_magazine.c mm/slab_debug.c mm/kmalloc.c

$(eval $(call host_test,slab,tests/host/test_slab.c $(SLAB_SRCS) mm/pmm.c,-pthread))

# Benchmark: optimised, no sanitizers; prints figures only. One binary per
# allocator, since jemalloc and mimalloc each take over malloc. Veil's is
# built with -flto so that the host stand-ins for irq_save/cpu_current
# (tests/host/host_shim.c) inline, as the others' fast paths are inlined
# inside their libraries.
BENCH_SLAB_ALLOCATORS := veil glibc jemalloc mimalloc
BENCH_SLAB_LIBS_veil     := -flto $(SLAB_SRCS) mm/pmm.c tests/host/host_shim.c
BENCH_SLAB_LIBS_glibc    :=
BENCH_SLAB_LIBS_jemalloc := -ljemalloc
BENCH_SLAB_LIBS_mimalloc := -lmimalloc
BENCH_SLAB_BINS := $(foreach a,$(BENCH_SLAB_ALLOCATORS),$(HOST_BUILD)/bench-slab-$(a))

$(HOST_BUILD)/bench-slab-%: tools/bench_slab.c $(SLAB_SRCS) mm/pmm.c tests/host/host_shim.c $(HEADERS)
	@mkdir -p $(@D)
	$(HOST_CC) $(HOST_CFLAGS) -DBENCH_$(shell echo $* | tr a-z A-Z) -o $@ \
		tools/bench_slab.c $(BENCH_SLAB_LIBS_$*)

.PHONY: bench-slab
bench-slab: $(BENCH_SLAB_BINS)
	@for a in $(BENCH_SLAB_ALLOCATORS); do $(HOST_BUILD)/bench-slab-$$a; done
