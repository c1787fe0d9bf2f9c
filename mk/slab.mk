# Slab allocator (mm/slab*, mm/kmalloc*): host unit tests over a page
# provider built like the kernel's (the buddy over an mmap-backed arena),
# and the bench-slab benchmark against glibc, jemalloc and mimalloc.
SLAB_SRCS := mm/slab_cache.c mm/slab_magazine.c mm/slab_debug.c mm/kmalloc.c $(FAILPOINT_SRCS)

$(eval $(call host_test,slab,tests/host/test_slab.c $(SLAB_SRCS) mm/pmm.c,-pthread))

# Benchmark: optimised, no sanitizers; prints figures only. One binary per
# allocator, since jemalloc and mimalloc each take over malloc. Veil's is
# built with -flto so that the host stand-ins for irq_save/cpu_current
# (tests/host/host_shim.c) inline, as the others' fast paths are inlined
# inside their libraries; HOST_IRQ_FLAGS_MEASURED makes irq_save/irq_restore
# pay the kernel's flag handling (pushfq, and popfq for sti: see host_shim.c)
# where the slab still masks interrupts (its slow path; the fast path
# claims its CPU's magazines instead).
BENCH_SLAB_ALLOCATORS := veil glibc jemalloc mimalloc
BENCH_SLAB_LIBS_veil     := -DCONFIG_FAILPOINTS=0 -flto -DHOST_IRQ_FLAGS_MEASURED $(SLAB_SRCS) mm/pmm.c tests/host/host_shim.c
BENCH_SLAB_LIBS_glibc    :=
BENCH_SLAB_LIBS_jemalloc := -ljemalloc
BENCH_SLAB_LIBS_mimalloc := -lmimalloc
BENCH_SLAB_BINS := $(foreach a,$(BENCH_SLAB_ALLOCATORS),$(HOST_BUILD)/bench-slab-$(a))

$(HOST_BUILD)/bench-slab-%: tools/bench_slab.c $(SLAB_SRCS) mm/pmm.c tests/host/host_shim.c $(HEADERS)
	@mkdir -p $(@D)
	$(HOST_CC) $(HOST_CFLAGS) -DBENCH_$(shell echo $* | tr a-z A-Z) -o $@ \
		tools/bench_slab.c $(BENCH_SLAB_LIBS_$*) -pthread

.PHONY: bench-slab
bench-slab: $(BENCH_SLAB_BINS)
	@for a in $(BENCH_SLAB_ALLOCATORS); do $(HOST_BUILD)/bench-slab-$$a; done

# Side by side: every allocator's binary run in turn, BENCH_SLAB_REPEAT
# rounds (interleaved, so a noisy spell hits them alike), then the best
# figure (ns per op) of each line (threads, pattern, size: "t2 lifo 32") for
# each allocator in one table, with veil's ratio to
# the best of the others (below 1: veil is faster).
BENCH_SLAB_REPEAT ?= 5
.PHONY: bench-slab-table
bench-slab-table: $(BENCH_SLAB_BINS)
	@for r in $$(seq $(BENCH_SLAB_REPEAT)); do \
		for a in $(BENCH_SLAB_ALLOCATORS); do $(HOST_BUILD)/bench-slab-$$a; done; \
	done | awk '{ for (i = 1; i <= NF; i++) { split($$i, kv, "="); f[kv[1]] = kv[2] } \
	  line = "t" f["threads"] " " f["pattern"] " " f["size"]; key = line SUBSEP f["alloc"]; \
	  if (!(line in seen)) { seen[line] = 1; order[++n] = line } \
	  if (!(key in best) || f["ns_per_op"] + 0 < best[key]) best[key] = f["ns_per_op"] + 0 } \
	END { printf "%-15s %10s %10s %10s %10s %10s\n", "pattern/size", "veil-slab", "glibc", "jemalloc", "mimalloc", "veil/best"; \
	  for (i = 1; i <= n; i++) { l = order[i]; o = best[l SUBSEP "glibc"]; \
	    if (best[l SUBSEP "jemalloc"] < o) o = best[l SUBSEP "jemalloc"]; \
	    if (best[l SUBSEP "mimalloc"] < o) o = best[l SUBSEP "mimalloc"]; \
	    printf "%-15s %10.2f %10.2f %10.2f %10.2f %10.2f\n", l, best[l SUBSEP "veil-slab"], \
	      best[l SUBSEP "glibc"], best[l SUBSEP "jemalloc"], best[l SUBSEP "mimalloc"], \
	      best[l SUBSEP "veil-slab"] / o } }'
