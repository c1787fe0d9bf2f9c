# The in-tree page corpus (corpus/, see corpus/README.md): real program
# memory, committed gzip-compressed, unpacked into build/corpus/ when a rule
# needs it, so a fresh clone has real pages with nothing beside it. The
# larger corpora of ../shared/corpus are used as well when they are there.
# TREE_CORPUS and SHARED_CORPUS are set in the top Makefile.

# gzip is Essential in Debian: no package to add for it.
$(BUILD)/corpus/%.pages: corpus/%.pages.gz
	@mkdir -p $(@D)
	gzip -dc $< > $@.tmp && mv $@.tmp $@

.PHONY: corpus
corpus: $(TREE_CORPUS)
# The host tests read it (tests/host/test_codec_util.c, test_store.c).
host-tests-build: $(TREE_CORPUS)
