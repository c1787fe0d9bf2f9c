# Slab allocator (mm/slab*, mm/kmalloc*): host unit tests over a page
# provider built like the kernel's (the buddy over an mmap-backed arena),
# and the bench-slab benchmark against glibc, jemalloc and mimalloc.
SLAB_SRCS := mm/slab_cache.c mm/slab_magazine.c mm/slab_debug.c mm/kmalloc.c

$(eval $(call host_test,slab,tests/host/test_slab.c $(SLAB_SRCS) mm/pmm.c,-pthread))
