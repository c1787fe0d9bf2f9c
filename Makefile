# Veil top-level Makefile: the variables every part shares. The rules of each
# part live in mk/*.mk (kernel, host tests, benchmarks, fuzzing, test runner),
# so that parts can be added without editing one central list.
.DEFAULT_GOAL := all
.SUFFIXES:

# Builds use every core of the machine (JOBS=1 for a serial build, to read
# an error in order). The test runner's own builds (clang, hooks off, fuzz)
# are makes of this file too, so they run in parallel as well.
JOBS ?= $(shell nproc 2>/dev/null || echo 1)
MAKEFLAGS += -j$(JOBS)

BUILD      := build
HOST_BUILD := $(BUILD)/host

# Host builds: portable kernel code compiled as ordinary programs.
HOST_CC     ?= gcc
ARCH        := x86
# Portable code names arch-neutral headers only; those include <arch/...>,
# found in the one architecture this build is for.
ARCH_INCLUDE := -Iarch/$(ARCH)/include
HOST_CFLAGS := -std=gnu11 -O2 -g -Wall -Wextra -Werror=implicit-function-declaration \
               -DVEIL_HOST -I. $(ARCH_INCLUDE)
HOST_SAN    := -fsanitize=address,undefined -fno-sanitize-recover=undefined \
               -fno-omit-frame-pointer
# Every project header: host objects are cheap, so they simply depend on all.
HEADERS     := $(shell find arch boot kernel mm transforms tests -name '*.h' 2>/dev/null)

# Real program memory (raw 4096-byte pages): the in-tree corpus, unpacked
# from corpus/ by mk/corpus.mk, and the larger corpora beside the project
# (see corpus/README.md). The benchmarks use those when they are there;
# make test reads them only when asked (VEIL_CORPUS=FOLDER), so what lies
# beside a clone never changes what its tests do.
TREE_CORPUS   := $(BUILD)/corpus/python.pages
SHARED_CORPUS := $(wildcard ../shared/corpus/*.pages)

# The small KTAP harness every host unit test links with.
HTEST_SRCS  := tests/host/htest.c tests/host/host_shim.c

# Host unit test binaries; each mk/*.mk appends its own with $(call host_test,...).
HOST_TESTS  :=

# $(call host_test,NAME,SOURCES[,EXTRA_FLAGS_AND_LIBS]) defines
# build/host/test-NAME, compiled with the sanitizers, and registers it.
define host_test
HOST_TESTS += $(HOST_BUILD)/test-$(1)
$(HOST_BUILD)/test-$(1): $(2) $(HTEST_SRCS) $(HEADERS)
	@mkdir -p $$(@D)
	$$(HOST_CC) $$(HOST_CFLAGS) $$(HOST_SAN) -o $$@ $(2) $(HTEST_SRCS) $(3)
endef

# Host sources compiled once with the sanitizers, into objects the host
# tests of host_test_linked share: seven tests link the same fifty region,
# store and codec sources, which host_test compiled once for each of them.
HOST_SAN_OBJECTS := $(HOST_BUILD)/sanitized
$(HOST_SAN_OBJECTS)/%.o: %.c $(HEADERS) | deps
	@mkdir -p $(@D)
	$(HOST_CC) $(HOST_CFLAGS) $(HOST_SAN) -c -o $@ $<

# $(call host_test_linked,NAME,SOURCES[,LIBRARIES]): host_test for a test
# whose third argument holds libraries only (a -D or -pthread there must
# reach the compiler: host_test), linked from the shared objects.
define host_test_linked
HOST_TESTS += $(HOST_BUILD)/test-$(1)
$(HOST_BUILD)/test-$(1): $(patsubst %.c,$(HOST_SAN_OBJECTS)/%.o,$(2) $(HTEST_SRCS))
	@mkdir -p $$(@D)
	$$(HOST_CC) $$(HOST_SAN) -o $$@ $$(filter %.o,$$^) $(3)
endef

include $(sort $(wildcard mk/*.mk))

# Host test binaries are built without the freestanding flags.
$(HOST_TESTS): | deps

# Builds and runs every host unit test, printing KTAP (the runner in tests/
# parses it; this target is for a quick look by hand).
.PHONY: host-tests host-tests-build clean
host-tests-build: $(HOST_TESTS)
host-tests: host-tests-build
	@set -e; for t in $(HOST_TESTS); do echo "# $$t"; $$t; done

clean:
	rm -rf $(BUILD)
