# (Named so it is read before kernel.mk, whose ISO rules name TEST_INITRAMFS.)
# User programs for the tests (tests/user/*.c), built as static Linux
# x86-64 executables with musl-gcc, and the initramfs the test ISO carries
# as module "initramfs": build/user/<name> at /bin/<name>, plus the input
# files the tests read (tests/user/motd.txt at /etc/motd; script.txt, a
# "#!" script for execve, at /bin/script).
USER_CC      ?= musl-gcc
USER_CFLAGS  := -static -O2 -Wall -Wextra -fno-stack-protector
USER_BUILD   := $(BUILD)/user
# (lua_main.c is the Lua interpreter, linked with gcc against Debian's
# liblua5.4.a: its rule is in mk/user.mk.)
USER_SRCS    := $(filter-out tests/user/lua_main.c,$(wildcard tests/user/*.c))
USER_PROGRAMS := $(patsubst tests/user/%.c,$(USER_BUILD)/%,$(USER_SRCS))
TEST_INITRAMFS := $(BUILD)/initramfs-test.cpio

$(USER_BUILD)/%: tests/user/%.c | deps
	@mkdir -p $(@D)
	$(USER_CC) $(USER_CFLAGS) -o $@ $<

$(TEST_INITRAMFS): $(USER_PROGRAMS) tests/user/motd.txt tests/user/script.txt tools/make-initramfs
	tools/make-initramfs $@ $(foreach p,$(USER_PROGRAMS),$(p):/bin/$(notdir $(p))) \
		tests/user/motd.txt:/etc/motd tests/user/script.txt:/bin/script \
		$(MODULE_INITRAMFS_FILES)

.PHONY: user-programs
user-programs: $(USER_PROGRAMS) $(TEST_INITRAMFS)

# make run's initramfs: the program the demo runs after its own workload
# (kernel/demo/demo_user.c reads /veil-demo/argv): Debian's busybox
# (package busybox-static) running a shell pipeline over 256 KiB of the
# page corpus when the machine has it (a gzip and gunzip round trip through
# /tmp, hashed, beside the piece's own hash), else the memory workload of
# tests/user. (A sort of the piece's bytes as lines took over a minute
# with 16 clear pages per mapping under encryption: too long for a demo.)
DEMO_PIPELINE := 'gzip -c /data/corpus-piece > /tmp/piece.gz && gunzip -c /tmp/piece.gz | sha256sum && sha256sum /data/corpus-piece'
RUN_INITRAMFS := $(BUILD)/initramfs-run.cpio
RUN_BUSYBOX   := $(wildcard /bin/busybox)

$(BUILD)/demo-piece.pages: $(TREE_CORPUS)
	head -c 262144 $< > $@

$(BUILD)/demo-argv: FORCE
	@mkdir -p $(@D)
	@printf '%s\0' $(if $(RUN_BUSYBOX),/bin/busybox sh -c $(DEMO_PIPELINE),/bin/memory 4) > $@.new
	@cmp -s $@.new $@ || mv $@.new $@; rm -f $@.new

$(RUN_INITRAMFS): $(BUILD)/demo-argv $(BUILD)/demo-piece.pages $(USER_BUILD)/memory tools/make-initramfs $(RUN_BUSYBOX)
	tools/make-initramfs $@ $(BUILD)/demo-argv:/veil-demo/argv \
		$(if $(RUN_BUSYBOX),$(RUN_BUSYBOX):/bin/busybox $(BUILD)/demo-piece.pages:/data/corpus-piece,$(USER_BUILD)/memory:/bin/memory) \
		$(MODULE_RUN_INITRAMFS_FILES)
