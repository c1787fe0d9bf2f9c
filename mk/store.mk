# Page store (mm/store*, mm/zstore*): host unit tests over an mmap-backed
# frame provider; the corpus case uses liblz4 for realistic object sizes.
STORE_SRCS := mm/store.c mm/zstore.c

$(eval $(call host_test,store,tests/host/test_store.c $(STORE_SRCS),-pthread -llz4))

# Benchmark: optimised, no sanitizers; prints figures only.
# make bench-store [CORPUS="FILE..."] [STORE_REPEAT=N]
# The corpora of ../shared/corpus when there, else the in-tree one.
STORE_CORPUS ?= $(or $(SHARED_CORPUS),$(TREE_CORPUS))
STORE_REPEAT ?= 8
.PHONY: bench-store
$(HOST_BUILD)/bench-store: tools/bench_store.c $(STORE_SRCS) tests/host/host_shim.c $(HEADERS)
	@mkdir -p $(@D)
	$(HOST_CC) $(HOST_CFLAGS) -o $@ tools/bench_store.c $(STORE_SRCS) tests/host/host_shim.c -llz4

bench-store: $(HOST_BUILD)/bench-store $(TREE_CORPUS)
	$(HOST_BUILD)/bench-store $(STORE_REPEAT) $(or $(CORPUS),$(STORE_CORPUS))
