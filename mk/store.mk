# Page store (mm/store*, mm/zstore*): host unit tests over an mmap-backed
# frame provider; the corpus case uses liblz4 for realistic object sizes.
# The size-class store's files (the TLB event layer's tests link them too).
ZSTORE_SRCS := mm/zstore.c mm/zstore_frame.c mm/zstore_handle.c mm/zstore_mixed.c \
               mm/zstore_class.c mm/zstore_compact.c mm/zstore_adopt.c
# The log-structured store's files.
LOGSTORE_SRCS := mm/logstore.c mm/logstore_table.c mm/logstore_log.c mm/logstore_compact.c
STORE_SRCS := mm/store.c $(ZSTORE_SRCS) $(LOGSTORE_SRCS) $(FAILPOINT_SRCS)

$(eval $(call host_test,store,tests/host/test_store.c tests/host/test_store_adopt.c tests/host/test_store_density.c $(STORE_SRCS),-pthread -llz4))
# Logstore's own cases; the file includes test_store.c, whose cases that
# hold for any store then run on logstore too.
$(eval $(call host_test,logstore,tests/host/test_logstore.c $(STORE_SRCS),-pthread -llz4))
$(HOST_BUILD)/test-logstore: tests/host/test_store.c

# Benchmark: optimised, no sanitizers; prints figures only.
# make bench-store [CORPUS="FILE..."] [STORE_REPEAT=N]
# The corpora of ../shared/corpus when there, else the in-tree one.
STORE_CORPUS ?= $(or $(SHARED_CORPUS),$(TREE_CORPUS))
STORE_REPEAT ?= 8
.PHONY: bench-store
$(HOST_BUILD)/bench-store: tools/bench_store.c $(STORE_SRCS) tests/host/host_shim.c $(HEADERS)
	@mkdir -p $(@D)
	$(HOST_CC) $(HOST_CFLAGS) -DCONFIG_FAILPOINTS=0 -o $@ tools/bench_store.c $(STORE_SRCS) tests/host/host_shim.c -llz4

bench-store: $(HOST_BUILD)/bench-store $(TREE_CORPUS)
	$(HOST_BUILD)/bench-store $(STORE_REPEAT) $(or $(CORPUS),$(STORE_CORPUS))

# Instructions per call of the store's hot paths (put, read, map+unmap,
# size, free) under callgrind; prints one line per op and store.
.PHONY: bench-store-ops
$(HOST_BUILD)/bench-store-ops: tools/bench_store_ops.c $(STORE_SRCS) tests/host/host_shim.c $(HEADERS)
	@mkdir -p $(@D)
	$(HOST_CC) $(HOST_CFLAGS) -DCONFIG_FAILPOINTS=0 -o $@ tools/bench_store_ops.c $(STORE_SRCS) tests/host/host_shim.c

bench-store-ops: $(HOST_BUILD)/bench-store-ops
	tools/bench-store-ops.sh $(HOST_BUILD)/bench-store-ops
	tools/bench-store-ops.sh $(HOST_BUILD)/bench-store-ops log
