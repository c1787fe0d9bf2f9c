# libFuzzer targets (tests/fuzz/fuzz_*.c): built with clang, ASan and UBSan
# into build/fuzz/. `make fuzz FUZZ_SECONDS=N` runs each for N seconds,
# starting from the seeds committed under tests/fuzz/seeds/<target>/ and
# keeping what it learns in tests/fuzz/corpus-work/<target>/ (gitignored).
# Crashes are written to build/fuzz/crash-<target>-*.
FUZZ_CC      ?= clang
FUZZ_BUILD   := $(BUILD)/fuzz
FUZZ_SECONDS ?= 60
FUZZ_CFLAGS  := -std=gnu11 -O1 -g -DVEIL_HOST -I. $(ARCH_INCLUDE) \
                -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
# Sources each target links; a part adding targets for other code can give
# its own with FUZZ_SRCS_<target>.
FUZZ_CODEC_SRCS := $(filter-out %_test.c,$(wildcard transforms/codec*.c)) tests/host/host_shim.c
FUZZ_SRCS_multiboot2 := kernel/multiboot2.c tests/host/host_shim.c
FUZZ_SRCS_acpi := kernel/acpi.c
FUZZ_SRCS_trace_line := mm/trace.c mm/hooks.c tests/host/host_shim.c
# the user program parsers (kernel/user/, host tests in mk/user.mk)
FUZZ_SRCS_cpio := kernel/user/cpio.c
FUZZ_SRCS_elf := kernel/user/elf.c
FUZZ_SRCS_user_stack := kernel/user/user_stack.c
# the module loader's decoder (kernel/module/, host tests in mk/module.mk)
FUZZ_SRCS_module_elf := kernel/module/module_elf.c kernel/module/module_reloc.c
FUZZ_TARGETS := $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))

define fuzz_target
$(FUZZ_BUILD)/fuzz-$(1): tests/fuzz/fuzz_$(1).c $$(or $$(FUZZ_SRCS_$(1)),$$(FUZZ_CODEC_SRCS)) $(HEADERS)
	@mkdir -p $$(@D)
	$$(FUZZ_CC) $$(FUZZ_CFLAGS) -o $$@ tests/fuzz/fuzz_$(1).c $$(or $$(FUZZ_SRCS_$(1)),$$(FUZZ_CODEC_SRCS)) -llz4
endef
$(foreach t,$(FUZZ_TARGETS),$(eval $(call fuzz_target,$(t))))

.PHONY: fuzz fuzz-build
fuzz-build: $(FUZZ_TARGETS:%=$(FUZZ_BUILD)/fuzz-%)
fuzz: fuzz-build
	@set -e; for t in $(FUZZ_TARGETS); do \
		mkdir -p tests/fuzz/corpus-work/$$t tests/fuzz/seeds/$$t; \
		echo "# fuzz $$t for $(FUZZ_SECONDS) s"; \
		if ! $(FUZZ_BUILD)/fuzz-$$t -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
			-artifact_prefix=$(FUZZ_BUILD)/crash-$$t- \
			tests/fuzz/corpus-work/$$t tests/fuzz/seeds/$$t > $(FUZZ_BUILD)/fuzz-$$t.log 2>&1; then \
			tail -40 $(FUZZ_BUILD)/fuzz-$$t.log; echo "# fuzz $$t FAILED (log: $(FUZZ_BUILD)/fuzz-$$t.log)"; exit 1; \
		fi; \
		grep -E '^(#[0-9]+ +DONE|stat::number_of_executed_units|stat::peak_rss_mb)' $(FUZZ_BUILD)/fuzz-$$t.log; \
	done

# The dense_decode target's seeds are valid dense blocks, made by a tool
# (tools/dense_fuzz_seeds.c) from the codec tests' synthetic pages and the
# in-tree corpus: run this after a change of the dense format and commit
# the result.
DENSE_SEEDS := tests/fuzz/seeds/dense_decode
$(HOST_BUILD)/dense-fuzz-seeds: tools/dense_fuzz_seeds.c tests/host/test_codec_util.c $(CODEC_SRCS) tests/host/host_shim.c $(HEADERS)
	@mkdir -p $(@D)
	$(HOST_CC) $(HOST_CFLAGS) -o $@ tools/dense_fuzz_seeds.c tests/host/test_codec_util.c $(CODEC_SRCS) tests/host/host_shim.c

.PHONY: dense-fuzz-seeds
dense-fuzz-seeds: $(HOST_BUILD)/dense-fuzz-seeds $(TREE_CORPUS)
	rm -f $(DENSE_SEEDS)/kind* $(DENSE_SEEDS)/corpus-*
	mkdir -p $(DENSE_SEEDS)
	$(HOST_BUILD)/dense-fuzz-seeds $(DENSE_SEEDS) $(TREE_CORPUS)
