# Page codecs (transforms/codec*, xf_codec*): host tests (corpus round trips,
# liblz4 interop, malformed input, the veil-codec tool), the veil-codec host
# tool and the bench-codec benchmark.
CODEC_SRCS := $(filter-out %_test.c,$(wildcard transforms/codec*.c))
# The transforms and the registry they join, for the tests.
CODEC_XF_SRCS := transforms/xf_codec.c transforms/xf.c transforms/xf_identity.c transforms/xf_xor.c

# The host codec tool: build/host/veil-codec encode|decode|list.
VEIL_CODEC := $(HOST_BUILD)/veil-codec
$(VEIL_CODEC): tools/veil_codec.c $(CODEC_SRCS) tests/host/host_shim.c $(HEADERS)
	@mkdir -p $(@D)
	$(HOST_CC) $(HOST_CFLAGS) -o $@ tools/veil_codec.c $(CODEC_SRCS) tests/host/host_shim.c

$(eval $(call host_test_linked,codec,$(wildcard tests/host/test_codec*.c) $(CODEC_SRCS) $(CODEC_XF_SRCS),-llz4))
# The tool test runs the tool: build it first.
$(HOST_BUILD)/test-codec: $(VEIL_CODEC)

# Benchmark: optimised, no sanitizers; prints figures only.
# make bench-codec [CORPUS="FILE..."] [CODEC_ROUNDS=N] [CODEC_CPU_CLOCK=1]
#                  [CODEC_TURNS=1]
# (CODEC_CPU_CLOCK=1: thread CPU time instead of wall time, for a machine
# other jobs share; CODEC_TURNS=1: the codecs timed in turns of 8 pages,
# each turn's fastest round summed, for a host whose speed moves)
# The corpora of ../shared/corpus when there, else the in-tree one.
CODEC_CORPUS ?= $(or $(SHARED_CORPUS),$(TREE_CORPUS))
CODEC_ROUNDS ?= 7
.PHONY: bench-codec veil-codec
veil-codec: $(VEIL_CODEC)
$(HOST_BUILD)/bench-codec: tools/bench_codec.c $(CODEC_SRCS) tests/host/host_shim.c $(HEADERS)
	@mkdir -p $(@D)
	$(HOST_CC) $(HOST_CFLAGS) -o $@ tools/bench_codec.c $(CODEC_SRCS) tests/host/host_shim.c -llz4 -lzstd

# make test runs it once on the in-tree corpus (tests/runner/steps.py)
host-tests-build: $(HOST_BUILD)/bench-codec

bench-codec: $(HOST_BUILD)/bench-codec $(TREE_CORPUS)
	$(HOST_BUILD)/bench-codec -r $(CODEC_ROUNDS) $(if $(CODEC_CPU_CLOCK),-c) $(if $(CODEC_TURNS),-p) $(or $(CORPUS),$(CODEC_CORPUS))

# Benchmark: one codec of the working tree against revision BASE, both in
# one process, page by page in turn, both ways round (tools/bench-codec-ab).
# make bench-codec-ab BASE=REV [CORPUS="FILE..."] [AB_CODEC=dense|lz4] [AB_ROUNDS=N]
AB_CODEC ?= dense
AB_ROUNDS ?= 15
.PHONY: bench-codec-ab
bench-codec-ab: $(TREE_CORPUS)
	@test -n "$(BASE)" || { echo "make bench-codec-ab needs BASE=REV, the revision to compare the working tree with" >&2; exit 2; }
	tools/bench-codec-ab --codec $(AB_CODEC) --rounds $(AB_ROUNDS) $(BASE) $(or $(CORPUS),$(CODEC_CORPUS))

# Regenerates transforms/codec_dense_distance_table.h (the dense decoder's
# prebuilt table of the default distance code) after a change of the
# default lengths or of the table format; the host test test_codec_dense
# fails while the header and the builder disagree.
.PHONY: dense-distance-table
dense-distance-table:
	@mkdir -p $(HOST_BUILD)
	$(HOST_CC) $(HOST_CFLAGS) -o $(HOST_BUILD)/gen-dense-distance-table \
		tools/gen_dense_distance_table.c $(CODEC_SRCS) tests/host/host_shim.c
	$(HOST_BUILD)/gen-dense-distance-table > $(HOST_BUILD)/codec_dense_distance_table.h
	mv $(HOST_BUILD)/codec_dense_distance_table.h transforms/codec_dense_distance_table.h
