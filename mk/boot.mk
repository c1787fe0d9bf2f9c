# Boot information: host tests of the multiboot2 parser (its fuzz target is
# in mk/fuzz.mk).
$(eval $(call host_test,multiboot2,tests/host/test_multiboot2.c kernel/multiboot2.c))
# ACPI: the MADT reader over tables built by the test (fuzz target
# tests/fuzz/fuzz_acpi.c).
$(eval $(call host_test,acpi,tests/host/test_acpi.c kernel/acpi.c))
