# Page store (mm/store*, mm/zstore*): host unit tests over an mmap-backed
# frame provider; the corpus case uses liblz4 for realistic object sizes.
STORE_SRCS := mm/store.c mm/zstore.c

$(eval $(call host_test,store,tests/host/test_store.c $(STORE_SRCS),-pthread -llz4))
