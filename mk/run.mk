# Running and testing: make run, make test, make debug, make bochs.
# Each first installs what is missing (tools/install-deps).
QEMU        ?= qemu-system-x86_64
QEMU_MEMORY ?= 512M
# CPUs of the guest (QEMU_CPUS=1 for a single-CPU machine; Veil runs 64).
QEMU_CPUS   ?= 2
# KVM=1 uses KVM (opt-in: TCG is the default everywhere).
QEMU_ACCEL  := $(if $(filter 1,$(KVM)),kvm,tcg)
QEMU_FLAGS  := -machine pc,accel=$(QEMU_ACCEL) -cpu max -m $(QEMU_MEMORY) -smp $(QEMU_CPUS) \
               -serial stdio -no-reboot -nic none -boot order=d \
               -device isa-debug-exit,iobase=0xf4,iosize=0x01

.PHONY: run test debug bochs
# QEMU's exit status 1 means the kernel powered off normally.
run: deps $(BUILD)/veil.iso
	@echo "Veil under QEMU: serial console here; quit with Ctrl-A X"
	$(QEMU) $(QEMU_FLAGS) -display none -monitor none -cdrom $(BUILD)/veil.iso; \
		status=$$?; [ $$status -eq 0 ] || [ $$status -eq 1 ]

# The whole suite: host unit tests, kernel boots (BIOS, UEFI, crash and
# bad-input boots), gdb, Bochs, the clang build. TESTS=step,step picks steps.
# It builds the debug test ISO (veil-test.iso), the release one with the
# ktest cases (veil-test-release.iso) and the release veil.iso. Steps that
# keep one core busy run side by side on JOBS cores (JOBS=1: one at a time).
test: deps host-tests-build $(BUILD)/veil-test.iso $(BUILD)/veil.iso $(BUILD)/veil.elf \
      $(BUILD)/veil-test-release.iso $(BUILD)/veil-test.elf
	@tests/run --jobs $(JOBS) $(if $(TESTS),--only $(TESTS))

# The long in-kernel cases (10^6 accesses for every policy and transform),
# about a quarter of an hour under TCG: not part of make test.
.PHONY: test-long
test-long: deps $(BUILD)/veil-test.iso
	@tests/run --only ktest-long

# QEMU waits at reset with its gdb stub on a port of the user's own (25000
# plus the user id modulo 5000, as xv6 does, so that several people on one
# machine do not meet; GDB_PORT=N to choose); gdb loads the symbols and the
# project's script (tools/veil.gdb), then breaks at kmain.
GDB_PORT ?= $(shell expr `id -u` % 5000 + 25000)
debug: deps $(BUILD)/veil.iso $(BUILD)/veil.elf
	@echo "gdb stub on port $(GDB_PORT) (GDB_PORT=N to choose another)"
	$(QEMU) $(QEMU_FLAGS) -display none -monitor none -cdrom $(BUILD)/veil.iso \
		-gdb tcp::$(GDB_PORT) -S > $(BUILD)/debug-serial.log 2>&1 & \
	qemu_pid=$$!; \
	echo "QEMU started (serial output in $(BUILD)/debug-serial.log)"; \
	gdb -q -x tools/veil.gdb -ex "veil-connect $(GDB_PORT)" $(BUILD)/veil.elf; \
	kill $$qemu_pid 2>/dev/null || true

# The same ISO under Bochs, headless (term display inside script(1)).
bochs: deps $(BUILD)/veil.iso
	tools/run-bochs $(BUILD)/veil.iso

# The window sweep (kernel/demo/demo_sweep.c), deterministic under -icount:
# slowdown and footprint ratio for clear sets of 1, 5, 25 and 100 % of a
# region, four schemes. Figures in build/bench-sweep.log.
.PHONY: bench-sweep plots
bench-sweep: deps $(BUILD)/veil.iso
	@tools/bench-sweep

# Each page codec as the kernel built it (kernel/demo/demo_codec_bench.c),
# under -icount: ratio and instructions a page to encode and to decode, on
# the demo's corpus. Figures in build/bench-codec-kernel.log.
.PHONY: bench-codec-kernel
bench-codec-kernel: deps $(BUILD)/veil.iso
	@tools/bench-codec-kernel

# TLB shootdowns per eviction (mm/region_shootdown_bench.c) with 1, 2, 4
# and 8 CPUs under -icount, eviction batches of 1 and the default: IPIs per
# 1000 evictions and instructions per eviction. Figures in
# build/bench-shootdown.log.
.PHONY: bench-shootdown
bench-shootdown: deps $(BUILD)/veil.iso
	@tools/bench-shootdown

# Live swaps under load (mm/region_swap_bench.c): for each kind of swap,
# the migration's instructions, the fault p99 before and during, the
# longest stall, with 2 and 4 CPUs under -icount. Figures in
# build/bench-swap.log.
.PHONY: bench-swap
bench-swap: deps $(BUILD)/veil.iso
	@tools/bench-swap

# Charts of a short scripted session (the boot demo, a traced demo run and
# two more runs under other codecs, each with 60 samples, and their stats)
# and of the window sweep and real programs' slowdown, as PNGs in
# build/plots/. Without a build/bench-sweep.log the sweep is run first
# (make bench-sweep, a few minutes under -icount); without a
# build/bench-user.log, a short bench-user (the memory workload alone).
PLOT_DEMO    := pages=512 accesses=6000 status=off samples=60
PLOT_SESSION := "trace on" "run demo $(PLOT_DEMO)" "trace off" "trace dump" "stats" \
                "run demo $(PLOT_DEMO) scheme=clock:lz4" "stats" \
                "run demo $(PLOT_DEMO) scheme=clock:wkdm" "stats" "poweroff"
plots: deps $(BUILD)/veil.iso
	@mkdir -p $(BUILD)/plots
	tools/veil-session --quiet --log $(BUILD)/plots/session.log $(PLOT_SESSION)
	@test -f $(BUILD)/bench-sweep.log || { echo "plots: no $(BUILD)/bench-sweep.log: running make bench-sweep first"; tools/bench-sweep >/dev/null; }
	@test -f $(BUILD)/bench-user.log || { echo "plots: no $(BUILD)/bench-user.log: running a short make bench-user first"; $(MAKE) --no-print-directory $(USER_BUILD)/memory $(TREE_CORPUS) >/dev/null; tools/bench-user --short >/dev/null; }
	tools/veil-plot -o $(BUILD)/plots $(BUILD)/plots/session.log $(BUILD)/bench-sweep.log $(BUILD)/bench-user.log

# make bench-user: real programs under each scheme and clear-set size,
# instructions under qemu -icount (tools/bench-user says what each field
# is); figures in build/bench-user.log.
.PHONY: bench-user
# BENCH_USER_ARGS="--only lua" (or busybox-gzip, busybox-sort, memory,
# comma-separated) runs those programs alone.
bench-user: deps $(BUILD)/veil.iso $(USER_BUILD)/memory $(USER_BUILD)/lua $(TREE_CORPUS)
	@tools/bench-user $(BENCH_USER_ARGS)
