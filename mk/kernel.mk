# The kernel: build/veil.elf (two-pass link, the second with the symbol
# table), build/veil.iso (boots to the kernel's normal start) and
# build/veil-test.iso (command line ktest=all; a runner may override it with
# a small FAT disk holding /veil.cfg, see tests/run).
#
#   make                 build with gcc (host gcc as a freestanding compiler)
#   make CC=clang        the same with clang --target=x86_64-unknown-elf
#   make TLB_HOOKS=0     hook sites compiled out (CONFIG_TLB_HOOKS=0)
#   make LOCK_CHECK=1    the lock-order checker on (CONFIG_LOCK_CHECK=1,
#                        docs/locking.md); objects go to a separate directory

CC        ?= gcc
ifeq ($(origin CC),default)
CC        := gcc
endif
NASM      ?= nasm
TLB_HOOKS ?= 1
LOCK_CHECK ?= 0

ifneq ($(findstring clang,$(CC)),)
KERNEL_TARGET := --target=x86_64-unknown-elf
LD            := ld.lld
else
KERNEL_TARGET :=
LD            := ld
# The boot segment is writable and executable on purpose (32-bit code and
# its data, paging off): the kernel's own tables never map it.
LD_EXTRA      := --no-warn-rwx-segments
endif

# The LOCK_CHECK value of the last make, rewritten only when it changes, so
# the ISOs and build/veil.elf (one file each for every configuration) are
# rebuilt when it does, even if the other configuration's ELF is older.
LOCK_CHECK_CONFIG := $(BUILD)/lock_check.config
$(shell mkdir -p $(BUILD) && { echo $(LOCK_CHECK) | cmp -s - $(LOCK_CHECK_CONFIG) || echo $(LOCK_CHECK) > $(LOCK_CHECK_CONFIG); })

# Where this configuration's objects go, so gcc/clang and hook builds can
# sit side by side.
KBUILD := $(BUILD)/kernel-$(notdir $(firstword $(CC)))-hooks$(TLB_HOOKS)$(if $(filter-out 0,$(LOCK_CHECK)),-lockcheck)

KERNEL_CFLAGS := $(KERNEL_TARGET) -std=gnu11 -O2 -g -Wall -Wextra \
	-Werror=implicit-function-declaration \
	-ffreestanding -nostdlib -fno-pic -fno-pie -mcmodel=kernel \
	-mno-red-zone -fno-stack-protector -fno-omit-frame-pointer \
	-mno-omit-leaf-frame-pointer -fno-asynchronous-unwind-tables \
	-fno-strict-aliasing -I. $(ARCH_INCLUDE) -Ikernel/lib/libc/include \
	-DCONFIG_TLB_HOOKS=$(TLB_HOOKS) -DCONFIG_LOCK_CHECK=$(LOCK_CHECK) -MMD -MP
KERNEL_GENERAL := -mgeneral-regs-only
KERNEL_SIMD    := -msse4.1 -mssse3 -maes -mpclmul

# KERNEL_EXCLUDE: files left out of the kernel (work in progress).
KERNEL_C_SRCS := $(filter-out $(KERNEL_EXCLUDE),$(sort $(wildcard \
                   arch/x86/*.c mm/*.c kernel/*.c kernel/*/*.c kernel/*/*/*.c transforms/*.c)))
KERNEL_ASM_SRCS := $(sort $(wildcard boot/*.asm arch/x86/*.asm))
KERNEL_OBJS := $(patsubst %.c,$(KBUILD)/%.o,$(KERNEL_C_SRCS)) \
               $(patsubst %.asm,$(KBUILD)/%.o,$(KERNEL_ASM_SRCS))

# V=1 shows the full commands.
Q := $(if $(V),,@)

$(KBUILD)/%_simd.o: %_simd.c
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(KERNEL_CFLAGS) $(KERNEL_SIMD) -c $< -o $@

$(KBUILD)/%.o: %.c
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(KERNEL_CFLAGS) $(KERNEL_GENERAL) -c $< -o $@

$(KBUILD)/%.o: %.asm boot/memlayout.inc
	@mkdir -p $(@D)
	@$(if $(Q),echo "  NASM    $<")
	$(Q)$(NASM) -f elf64 -g -F dwarf -I. -o $@ $<

-include $(KERNEL_OBJS:.o=.d)

KERNEL_LDFLAGS := -nostdlib -z max-page-size=4096 -z noexecstack $(LD_EXTRA) \
                  -T linker.ld

# Pass 1 has no symbol table; the table generated from it is linked last in
# pass 2, so no other symbol moves (checked below).
$(KBUILD)/veil.pass1.elf: $(KERNEL_OBJS) linker.ld
	$(LD) $(KERNEL_LDFLAGS) -o $@ $(KERNEL_OBJS)

$(KBUILD)/ksyms.bin: $(KBUILD)/veil.pass1.elf tools/gen-ksyms
	nm -n -S --defined-only $< | tools/gen-ksyms $@

$(KBUILD)/ksyms.o: $(KBUILD)/ksyms.bin
	printf 'section .ksyms progbits alloc noexec nowrite align=8\nincbin "%s"\n' $< > $(@:.o=.asm)
	$(NASM) -f elf64 -o $@ $(@:.o=.asm)

$(KBUILD)/veil.elf: $(KBUILD)/veil.pass1.elf $(KBUILD)/ksyms.o
	$(LD) $(KERNEL_LDFLAGS) -o $@ $(KERNEL_OBJS) $(KBUILD)/ksyms.o
	@nm -n $(KBUILD)/veil.pass1.elf | grep -i ' t ' > $(KBUILD)/syms.pass1
	@nm -n $@ | grep -i ' t ' > $(KBUILD)/syms.pass2
	@cmp -s $(KBUILD)/syms.pass1 $(KBUILD)/syms.pass2 || \
		{ echo "kernel: symbols moved between link passes"; exit 1; }
	@./tools/check-layout-constants

$(BUILD)/veil.elf: $(KBUILD)/veil.elf $(LOCK_CHECK_CONFIG)
	cp $< $@

# ISOs. The test ISO carries a small module (bootcheck) whose fingerprint
# the runner compares with what the kernel reports.
GRUB_MKRESCUE ?= grub-mkrescue

$(BUILD)/bootcheck.bin: tools/make-bootcheck
	@mkdir -p $(@D)
	tools/make-bootcheck $@

# $(call make_iso,ISO,DIR,GRUB_CFG[,MODULE[,ELF]])
define make_iso
	rm -rf $(2)
	mkdir -p $(2)/boot/grub
	cp $(or $(5),$(KBUILD)/veil.elf) $(2)/boot/veil.elf
	cp $(3) $(2)/boot/grub/grub.cfg
	$(if $(4),cp $(4) $(2)/boot/)
	$(GRUB_MKRESCUE) -o $(1) $(2) >$(2).log 2>&1 || { cat $(2).log; exit 1; }
endef

# The demo's page corpus (DEMO_CORPUS, mk/run.mk) rides on the ISO as
# /boot/corpus.pages when the file exists; without it the demo synthesises.
$(BUILD)/veil.iso: $(KBUILD)/veil.elf tools/grub/veil.cfg $(DEMO_CORPUS_ISO) $(LOCK_CHECK_CONFIG)
	$(call make_iso,$@,$(BUILD)/iso,tools/grub/veil.cfg,$(DEMO_CORPUS_ISO))

$(BUILD)/veil-test.iso: $(KBUILD)/veil.elf tools/grub/veil-test.cfg $(BUILD)/bootcheck.bin $(LOCK_CHECK_CONFIG)
	$(call make_iso,$@,$(BUILD)/iso-test,tools/grub/veil-test.cfg,$(BUILD)/bootcheck.bin)

.PHONY: all kernel iso test-iso deps
all: deps $(BUILD)/veil.elf $(BUILD)/veil.iso
kernel: $(KBUILD)/veil.elf
iso: $(BUILD)/veil.iso
test-iso: $(BUILD)/veil-test.iso

deps:
	@tools/install-deps

# The test ISO of a TLB_HOOKS=0 or 1 kernel, for the fault-path benchmark.
$(BUILD)/veil-test-hooks%.iso: tools/grub/veil-test.cfg $(BUILD)/bootcheck.bin FORCE
	$(MAKE) -s TLB_HOOKS=$* kernel
	$(call make_iso,$@,$(BUILD)/iso-test-hooks$*,tools/grub/veil-test.cfg,$(BUILD)/bootcheck.bin,$(BUILD)/kernel-$(notdir $(firstword $(CC)))-hooks$*/veil.elf)

.PHONY: bench-faults FORCE
FORCE:
bench-faults: deps $(BUILD)/veil-test-hooks0.iso $(BUILD)/veil-test-hooks1.iso
	@tools/bench-faults
