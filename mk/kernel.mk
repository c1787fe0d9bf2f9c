# The kernel: build/veil.elf (two-pass link, the second with the symbol
# table), build/veil.iso (boots to the kernel's normal start) and
# build/veil-test.iso (command line ktest=all; a runner may override it with
# a small FAT disk holding /veil.cfg, see tests/run).
#
#   make                 build with gcc (host gcc as a freestanding compiler)
#   make CC=clang        the same with clang --target=x86_64-unknown-elf
#   make TLB_HOOKS=0     hook sites compiled out (CONFIG_TLB_HOOKS=0)
#   make DEBUG=1         build/veil.elf and veil.iso as a debug build
#   make KTEST=1         build/veil.elf and veil.iso with the ktest cases
#
# Build configurations. Each has its own object folder,
# build/kernel-<compiler>-hooks<0|1>-<configuration>, so that one make can
# build several without one clobbering another:
#   release        CONFIG_MM_DEBUG=0, no ktest cases: build/veil.elf,
#                  build/veil.iso (make, make run), the release benchmarks
#   debug-ktest    CONFIG_MM_DEBUG=1, CONFIG_LOCK_CHECK=1, ktest cases
#                  (CONFIG_KTEST=1): build/veil-test.iso (make test)
#   release-ktest  release with the ktest cases: build/veil-test-release.iso
#                  (step ktest-release proves the release build works)
# "debug" sets the per-page checksums on every seal and restore
# (CONFIG_MM_DEBUG) and the lock-order checker (CONFIG_LOCK_CHECK); "ktest"
# links the ktest cases (the *_test.c files). Benchmarks (KBENCH) and the
# ktest runner itself are in every configuration: a build without cases
# says so when asked for tests.

CC        ?= gcc
ifeq ($(origin CC),default)
CC        := gcc
endif
NASM      ?= nasm
TLB_HOOKS ?= 1
DEBUG     ?= 0
KTEST     ?= 0

ifneq ($(findstring clang,$(CC)),)
KERNEL_TARGET := --target=x86_64-unknown-elf
LD            := ld.lld
else
KERNEL_TARGET :=
LD            := ld
# The boot segment is writable and executable on purpose (32-bit code and
# its data, paging off): the kernel's own tables never map it.
LD_EXTRA      := --no-warn-rwx-segments
# Copies and clears of unknown or large size call kernel/lib/libc/string.c
# (clang does so already): one page copy is one rep movsb everywhere.
KERNEL_STRINGOP := -mstringop-strategy=libcall
endif

KERNEL_COMPILER := $(notdir $(firstword $(CC)))
# A configuration's name: hooks<0|1>-<debug|release>[-ktest].
MAIN_CONFIG := hooks$(TLB_HOOKS)-$(if $(filter 1,$(DEBUG)),debug,release)$(if $(filter 1,$(KTEST)),-ktest)
TEST_CONFIG := hooks$(TLB_HOOKS)-debug-ktest
RELEASE_TEST_CONFIG := hooks$(TLB_HOOKS)-release-ktest

# $(call kbuild_dir,CONFIG): where a configuration's objects go.
kbuild_dir = $(BUILD)/kernel-$(KERNEL_COMPILER)-$(1)
# $(call kconfig_flags,CONFIG): the macros a configuration sets.
kconfig_flags = -DCONFIG_TLB_HOOKS=$(if $(findstring hooks0,$(1)),0,1) \
	-DCONFIG_MM_DEBUG=$(if $(findstring -debug,$(1)),1,0) \
	-DCONFIG_LOCK_CHECK=$(if $(findstring -debug,$(1)),1,0) \
	-DCONFIG_KTEST=$(if $(findstring -ktest,$(1)),1,0)

# Where the configuration make, make kernel and build/veil.elf name goes.
KBUILD := $(call kbuild_dir,$(MAIN_CONFIG))
TEST_KBUILD := $(call kbuild_dir,$(TEST_CONFIG))
RELEASE_TEST_KBUILD := $(call kbuild_dir,$(RELEASE_TEST_CONFIG))

KERNEL_CFLAGS := $(KERNEL_TARGET) -std=gnu11 -O2 -g -Wall -Wextra \
	-Werror=implicit-function-declaration \
	-ffreestanding -nostdlib -fno-pic -fno-pie -mcmodel=kernel \
	-mno-red-zone -fno-stack-protector -fno-omit-frame-pointer \
	-mno-omit-leaf-frame-pointer -fno-asynchronous-unwind-tables \
	-fno-strict-aliasing -I. $(ARCH_INCLUDE) -Ikernel/lib/libc/include \
	$(KERNEL_STRINGOP) -MMD -MP
KERNEL_GENERAL := -mgeneral-regs-only
KERNEL_SIMD    := -msse4.1 -mssse3 -maes -mpclmul

# KERNEL_EXCLUDE: files left out of the kernel (work in progress).
KERNEL_C_SRCS := $(filter-out $(KERNEL_EXCLUDE),$(sort $(wildcard \
                   arch/x86/*.c mm/*.c kernel/*.c kernel/*/*.c kernel/*/*/*.c transforms/*.c)))
KERNEL_ASM_SRCS := $(sort $(wildcard boot/*.asm arch/x86/*.asm))
# The ktest cases: linked only into configurations named "-ktest".
KERNEL_TEST_SRCS := $(filter %_test.c,$(KERNEL_C_SRCS))
# $(call kernel_objs,CONFIG): the objects of a configuration's kernel.
kernel_objs = $(patsubst %.c,$(call kbuild_dir,$(1))/%.o,$(if $(findstring -ktest,$(1)),$(KERNEL_C_SRCS),$(filter-out $(KERNEL_TEST_SRCS),$(KERNEL_C_SRCS)))) \
              $(patsubst %.asm,$(call kbuild_dir,$(1))/%.o,$(KERNEL_ASM_SRCS))

# V=1 shows the full commands.
Q := $(if $(V),,@)

KERNEL_LDFLAGS := -nostdlib -z max-page-size=4096 -z noexecstack $(LD_EXTRA) \
                  -T linker.ld

# $(call kernel_config_rules,CONFIG): compiling and linking one
# configuration into $(call kbuild_dir,CONFIG)/veil.elf. Pass 1 has no
# symbol table; the table generated from it is linked last in pass 2, so no
# other symbol moves (checked).
define kernel_config_rules
$(call kbuild_dir,$(1))/%_simd.o: %_simd.c
	@mkdir -p $$(@D)
	@$$(if $$(Q),echo "  CC      $$< ($(1))")
	$$(Q)$$(CC) $$(KERNEL_CFLAGS) $(call kconfig_flags,$(1)) $$(KERNEL_SIMD) -c $$< -o $$@

$(call kbuild_dir,$(1))/%.o: %.c
	@mkdir -p $$(@D)
	@$$(if $$(Q),echo "  CC      $$< ($(1))")
	$$(Q)$$(CC) $$(KERNEL_CFLAGS) $(call kconfig_flags,$(1)) $$(KERNEL_GENERAL) -c $$< -o $$@

$(call kbuild_dir,$(1))/%.o: %.asm boot/memlayout.inc arch/x86/trap_frame.inc
	@mkdir -p $$(@D)
	@$$(if $$(Q),echo "  NASM    $$<")
	$$(Q)$$(NASM) -f elf64 -g -F dwarf -I. -o $$@ $$<

-include $(patsubst %.o,%.d,$(call kernel_objs,$(1)))

$(call kbuild_dir,$(1))/veil.pass1.elf: $(call kernel_objs,$(1)) linker.ld
	@$$(if $$(Q),echo "  LD      $$@")
	$$(Q)$$(LD) $$(KERNEL_LDFLAGS) -o $$@ $(call kernel_objs,$(1))

$(call kbuild_dir,$(1))/ksyms.bin: $(call kbuild_dir,$(1))/veil.pass1.elf tools/gen-ksyms
	nm -n -S --defined-only $$< | tools/gen-ksyms $$@

$(call kbuild_dir,$(1))/ksyms.o: $(call kbuild_dir,$(1))/ksyms.bin
	printf 'section .ksyms progbits alloc noexec nowrite align=8\nincbin "%s"\n' $$< > $$(@:.o=.asm)
	$$(NASM) -f elf64 -o $$@ $$(@:.o=.asm)

$(call kbuild_dir,$(1))/veil.elf: $(call kbuild_dir,$(1))/veil.pass1.elf $(call kbuild_dir,$(1))/ksyms.o
	@$$(if $$(Q),echo "  LD      $$@")
	$$(Q)$$(LD) $$(KERNEL_LDFLAGS) -o $$@ $(call kernel_objs,$(1)) $(call kbuild_dir,$(1))/ksyms.o
	@nm -n $(call kbuild_dir,$(1))/veil.pass1.elf | grep -i ' t ' > $(call kbuild_dir,$(1))/syms.pass1
	@nm -n $$@ | grep -i ' t ' > $(call kbuild_dir,$(1))/syms.pass2
	@cmp -s $(call kbuild_dir,$(1))/syms.pass1 $(call kbuild_dir,$(1))/syms.pass2 || \
		{ echo "kernel: symbols moved between link passes"; exit 1; }
	@./tools/check-layout-constants
endef

# Every configuration some target of this make names: the main one, the
# two test ones, and the four make bench-faults boots.
KERNEL_CONFIGS := $(sort $(MAIN_CONFIG) $(TEST_CONFIG) $(RELEASE_TEST_CONFIG) \
                    $(foreach h,0 1,hooks$(h)-release hooks$(h)-debug-ktest))
$(foreach c,$(KERNEL_CONFIGS),$(eval $(call kernel_config_rules,$(c))))

# build/veil-config names the configuration build/veil.elf and veil.iso
# hold; it changes (and they are remade) when make is given another one.
$(BUILD)/veil-config: FORCE
	@mkdir -p $(@D)
	@echo "$(KBUILD)" | cmp -s - $@ || echo "$(KBUILD)" > $@

$(BUILD)/veil.elf: $(KBUILD)/veil.elf $(BUILD)/veil-config
	cp $< $@

# The test kernel's ELF (with symbols), what gdb reads for the test ISO.
$(BUILD)/veil-test.elf: $(TEST_KBUILD)/veil.elf
	cp $< $@

# ISOs. The test ISOs carry a small module (bootcheck) whose fingerprint
# the runner compares with what the kernel reports.
GRUB_MKRESCUE ?= grub-mkrescue

$(BUILD)/bootcheck.bin: tools/make-bootcheck
	@mkdir -p $(@D)
	tools/make-bootcheck $@

# $(call make_iso,ISO,DIR,GRUB_CFG,MODULE,ELF)
define make_iso
	rm -rf $(2)
	mkdir -p $(2)/boot/grub
	cp $(5) $(2)/boot/veil.elf
	cp $(3) $(2)/boot/grub/grub.cfg
	$(if $(4),cp $(4) $(2)/boot/)
	$(GRUB_MKRESCUE) -o $(1) $(2) >$(2).log 2>&1 || { cat $(2).log; exit 1; }
endef

# The demo's page corpus (DEMO_CORPUS, mk/demo.mk) rides on the ISO as
# /boot/corpus.pages; with DEMO_CORPUS empty the demo synthesises.
$(BUILD)/veil.iso: $(KBUILD)/veil.elf $(BUILD)/veil-config tools/grub/veil.cfg $(DEMO_CORPUS_ISO) $(RUN_INITRAMFS)
	$(call make_iso,$@,$(BUILD)/iso,tools/grub/veil.cfg,$(DEMO_CORPUS_ISO) $(RUN_INITRAMFS),$(KBUILD)/veil.elf)

$(BUILD)/veil-test.iso: $(TEST_KBUILD)/veil.elf tools/grub/veil-test.cfg $(BUILD)/bootcheck.bin $(TEST_INITRAMFS)
	$(call make_iso,$@,$(BUILD)/iso-test,tools/grub/veil-test.cfg,$(BUILD)/bootcheck.bin $(TEST_INITRAMFS),$(TEST_KBUILD)/veil.elf)

# The release configuration with the ktest cases (step ktest-release).
$(BUILD)/veil-test-release.iso: $(RELEASE_TEST_KBUILD)/veil.elf tools/grub/veil-test.cfg $(BUILD)/bootcheck.bin $(TEST_INITRAMFS)
	$(call make_iso,$@,$(BUILD)/iso-test-release,tools/grub/veil-test.cfg,$(BUILD)/bootcheck.bin $(TEST_INITRAMFS),$(RELEASE_TEST_KBUILD)/veil.elf)

.PHONY: all kernel test-kernels iso test-iso deps FORCE
FORCE:
all: deps $(BUILD)/veil.elf $(BUILD)/veil.iso
# make kernel: the configuration build/veil.elf holds and the test kernel,
# so that one command compiles every file (the ktest cases included).
kernel: $(KBUILD)/veil.elf $(TEST_KBUILD)/veil.elf
# The three kernels make test boots.
test-kernels: $(KBUILD)/veil.elf $(TEST_KBUILD)/veil.elf $(RELEASE_TEST_KBUILD)/veil.elf
iso: $(BUILD)/veil.iso
test-iso: $(BUILD)/veil-test.iso

deps:
	@tools/install-deps

# make bench-faults: the fault path of the debug build (the test kernel)
# and of the release build (the kernel of veil.iso), each with the hooks
# compiled out and in: build/veil-bench-<debug|release>-hooks<0|1>.iso.
# The pages are filled from BENCH_CORPUS, given to the kernel as module
# "corpus" (the shared python corpus when it is there, else the in-tree
# one); there is no figure without it.
BENCH_CORPUS ?= $(or $(wildcard ../shared/corpus/python.pages),$(TREE_CORPUS))
BENCH_FAULT_ISOS := $(foreach b,debug release,$(foreach h,0 1,$(BUILD)/veil-bench-$(b)-hooks$(h).iso))

define bench_iso_rules
$(BUILD)/veil-bench-debug-hooks$(1).iso: $(call kbuild_dir,hooks$(1)-debug-ktest)/veil.elf tools/grub/veil-test.cfg $(BUILD)/bootcheck.bin $(TEST_INITRAMFS)
	$$(call make_iso,$$@,$(BUILD)/iso-bench-debug-hooks$(1),tools/grub/veil-test.cfg,$(BUILD)/bootcheck.bin $(TEST_INITRAMFS),$(call kbuild_dir,hooks$(1)-debug-ktest)/veil.elf)

$(BUILD)/veil-bench-release-hooks$(1).iso: $(call kbuild_dir,hooks$(1)-release)/veil.elf tools/grub/veil.cfg
	$$(call make_iso,$$@,$(BUILD)/iso-bench-release-hooks$(1),tools/grub/veil.cfg,,$(call kbuild_dir,hooks$(1)-release)/veil.elf)
endef
$(foreach h,0 1,$(eval $(call bench_iso_rules,$(h))))

.PHONY: bench-faults bench-faults-corpus
bench-faults-corpus:
	@test -f "$(BENCH_CORPUS)" || { echo "bench-faults needs a page corpus: $(BENCH_CORPUS) does not exist (make bench-faults BENCH_CORPUS=FILE, a file of raw 4096-byte pages)" >&2; exit 1; }
bench-faults: deps $(TREE_CORPUS) bench-faults-corpus
	@$(MAKE) --no-print-directory $(BENCH_FAULT_ISOS)
	@tools/bench-faults "$(BENCH_CORPUS)"
