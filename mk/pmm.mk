# Physical frame allocator (mm/pmm*): the buddy system, portable C; host
# unit tests over fake physical addresses (holes, RAM above 4 GiB).
PMM_SRCS := mm/pmm.c

$(eval $(call host_test,pmm,tests/host/test_pmm.c $(PMM_SRCS)))
