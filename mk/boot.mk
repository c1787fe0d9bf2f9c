# Boot information: host tests of the multiboot2 parser (its fuzz target is
# in mk/fuzz.mk).
$(eval $(call host_test,multiboot2,tests/host/test_multiboot2.c kernel/multiboot2.c))
