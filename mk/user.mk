# Programs of users (kernel/user/): host tests of the cpio "newc" reader, the
# ELF checks and the initial stack builder (fuzz targets tests/fuzz/
# fuzz_cpio.c and fuzz_elf.c, their sources listed in mk/fuzz.mk).
# The tests read real files built here at test-build time: a small program
# linked statically by gcc (ET_EXEC and static-PIE) and musl-gcc, the same
# linked dynamically (refused), and a cpio archive written by GNU cpio
# (packages cpio and musl-tools in tools/packages.txt).
USER_SRCS := kernel/user/cpio.c kernel/user/elf.c kernel/user/user_stack.c
USER_SAMPLES := $(HOST_BUILD)/user-samples
USER_SAMPLE_PROGRAMS := $(addprefix $(USER_SAMPLES)/,gcc-static gcc-static-pie musl-static gcc-dynamic)
USER_SAMPLE_FILES := $(USER_SAMPLE_PROGRAMS) $(USER_SAMPLES)/archive.cpio $(USER_SAMPLES)/archive-crc.cpio

$(USER_SAMPLES)/gcc-static: tests/host/user_sample.c
	@mkdir -p $(@D)
	gcc -static -O1 -o $@ $<
$(USER_SAMPLES)/gcc-static-pie: tests/host/user_sample.c
	@mkdir -p $(@D)
	gcc -static-pie -fPIE -O1 -o $@ $<
$(USER_SAMPLES)/musl-static: tests/host/user_sample.c
	@mkdir -p $(@D)
	musl-gcc -static -O1 -o $@ $<
$(USER_SAMPLES)/gcc-dynamic: tests/host/user_sample.c
	@mkdir -p $(@D)
	gcc -O1 -o $@ $<

# The archive's tree: the programs in bin/, a symbolic link, a hard link
# (cpio writes the data with the last link only) and a data file whose
# size is not a multiple of 4. Names as `find . | cpio` gives them.
$(USER_SAMPLES)/tree.stamp: $(USER_SAMPLE_PROGRAMS)
	rm -rf $(USER_SAMPLES)/tree && mkdir -p $(USER_SAMPLES)/tree/bin $(USER_SAMPLES)/tree/etc
	cp $(USER_SAMPLE_PROGRAMS) $(USER_SAMPLES)/tree/bin/
	printf 'seven\n' > $(USER_SAMPLES)/tree/etc/motd
	ln -s gcc-static $(USER_SAMPLES)/tree/bin/sample
	ln $(USER_SAMPLES)/tree/etc/motd $(USER_SAMPLES)/tree/etc/motd-link
	touch $@
$(USER_SAMPLES)/archive.cpio: $(USER_SAMPLES)/tree.stamp
	cd $(USER_SAMPLES)/tree && find . | LC_ALL=C sort | cpio --quiet -o -H newc > ../archive.cpio
$(USER_SAMPLES)/archive-crc.cpio: $(USER_SAMPLES)/tree.stamp
	cd $(USER_SAMPLES)/tree && find . | LC_ALL=C sort | cpio --quiet -o -H crc > ../archive-crc.cpio

$(eval $(call host_test,cpio,tests/host/test_cpio.c tests/host/user_samples.c kernel/user/cpio.c,-DUSER_SAMPLES='"$(abspath $(USER_SAMPLES))"'))
$(eval $(call host_test,elf,tests/host/test_elf.c tests/host/user_samples.c tests/host/elf_host_view.c kernel/user/elf.c,-DUSER_SAMPLES='"$(abspath $(USER_SAMPLES))"'))
$(eval $(call host_test,user_stack,tests/host/test_user_stack.c tests/host/elf_host_view.c kernel/user/user_stack.c))
$(HOST_BUILD)/test-cpio $(HOST_BUILD)/test-elf: $(USER_SAMPLE_FILES)

# Pure pieces of the file side: path resolution and a pipe's byte ring.
$(eval $(call host_test,user_path,tests/host/test_user_path.c kernel/user/user_path.c))
$(eval $(call host_test,pipe_ring,tests/host/test_pipe_ring.c kernel/user/pipe_ring.c))

# The Lua interpreter the user-programs step and make bench-user run
# (tests/user/lua_main.c, scripts in tests/user/lua/): our own driver over
# Debian's liblua5.4.a (package liblua5.4-dev), linked with gcc -static
# (glibc) and -lm. musl-gcc cannot link that archive: Debian builds it
# with _FORTIFY_SOURCE, so it calls glibc's __snprintf_chk and
# __longjmp_chk. (The linker warns that loadlib.o's dlopen needs glibc's
# shared libraries at run time: only `require` of a C module would call it.)
LUA_CFLAGS := $(shell pkg-config --cflags lua5.4 2>/dev/null || echo -I/usr/include/lua5.4)
USER_LUA   := $(USER_BUILD)/lua

$(USER_LUA): tests/user/lua_main.c | deps
	@mkdir -p $(@D)
	gcc -static -O2 -Wall -Wextra $(LUA_CFLAGS) -o $@ $< -llua5.4 -lm

all: $(USER_LUA)
