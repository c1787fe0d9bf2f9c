# Loadable modules (kernel/module/, docs/live-swap.md "Modules"):
# modules/*.c built as relocatable objects (ET_REL) with the kernel's own
# freestanding flags, -mcmodel=kernel included (modules live within 2 GiB
# of the kernel's text), by the kernel's compiler into build/modules/ and
# by clang into build/modules/clang/ (so one boot loads both compilers'
# output). The test initramfs carries them at /lib/modules/NAME.o (the
# clang ones as NAME_clang.o), make run's the two examples only.
MODULE_BUILD := $(BUILD)/modules
MODULE_SRCS  := $(sort $(wildcard modules/*.c))
# The kernel's flags without the compiler-specific ones and dependency files.
MODULE_CFLAGS := $(filter-out $(KERNEL_TARGET) $(KERNEL_STRINGOP) -MMD -MP,$(KERNEL_CFLAGS)) \
                 $(KERNEL_GENERAL) -fno-common
MODULE_CLANG ?= clang
MODULE_OBJECTS := $(patsubst modules/%.c,$(MODULE_BUILD)/%.o,$(MODULE_SRCS))
MODULE_CLANG_OBJECTS := $(patsubst modules/%.c,$(MODULE_BUILD)/clang/%.o,$(MODULE_SRCS))
MODULE_HEADERS := kernel/module/module_abi.h transforms/xf.h mm/policy.h mm/store.h mm/store_kind.h

$(MODULE_BUILD)/%.o: modules/%.c $(MODULE_HEADERS)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $< (module)")
	$(Q)$(CC) $(KERNEL_TARGET) $(KERNEL_STRINGOP) $(MODULE_CFLAGS) -c $< -o $@

$(MODULE_BUILD)/clang/%.o: modules/%.c $(MODULE_HEADERS)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CLANG   $< (module)")
	$(Q)$(MODULE_CLANG) --target=x86_64-unknown-elf $(MODULE_CFLAGS) -c $< -o $@

# (The initramfs rules of mk/initramfs.mk name these in their recipes.)
MODULE_INITRAMFS_FILES := $(foreach m,$(MODULE_SRCS:modules/%.c=%),\
	$(MODULE_BUILD)/$(m).o:/lib/modules/$(m).o \
	$(MODULE_BUILD)/clang/$(m).o:/lib/modules/$(m)_clang.o)
MODULE_RUN_EXAMPLES := xf_example policy_example store_example
MODULE_RUN_INITRAMFS_FILES := $(foreach m,$(MODULE_RUN_EXAMPLES),$(MODULE_BUILD)/$(m).o:/lib/modules/$(m).o)
$(TEST_INITRAMFS): $(MODULE_OBJECTS) $(MODULE_CLANG_OBJECTS)
$(RUN_INITRAMFS): $(MODULE_RUN_EXAMPLES:%=$(MODULE_BUILD)/%.o)

.PHONY: modules
modules: $(MODULE_OBJECTS) $(MODULE_CLANG_OBJECTS)

# Host tests of the decoder and relocator on the example as built here.
$(eval $(call host_test,module-elf,tests/host/test_module_elf.c kernel/module/module_elf.c kernel/module/module_reloc.c,-DMODULE_OBJECT_GCC='"$(abspath $(MODULE_BUILD))/xf_example.o"' -DMODULE_OBJECT_CLANG='"$(abspath $(MODULE_BUILD))/clang/xf_example.o"'))
$(HOST_BUILD)/test-module-elf: $(MODULE_BUILD)/xf_example.o $(MODULE_BUILD)/clang/xf_example.o
