# The demo's page corpus: real program memory that build/veil.iso carries as
# /boot/corpus.pages (tools/grub/veil.cfg loads it as module "corpus"): the
# in-tree corpus (TREE_CORPUS, mk/corpus.mk), or python.pages of the folder
# VEIL_CORPUS names (make test builds this ISO too, and reads nothing
# beside the tree unless asked). This fragment sorts before kernel.mk, whose
# ISO rule names DEMO_CORPUS_ISO.
#   make run VEIL_CORPUS=../shared/corpus          the larger python corpus
#   make DEMO_CORPUS=../shared/corpus/node.pages   another program's memory
#   make DEMO_CORPUS=                              no module: the demo synthesises
DEMO_CORPUS     ?= $(or $(if $(VEIL_CORPUS),$(wildcard $(VEIL_CORPUS)/python.pages)),$(TREE_CORPUS))
DEMO_CORPUS_ISO := $(if $(DEMO_CORPUS),$(BUILD)/corpus.pages)

# build/corpus.name names the file build/corpus.pages was copied from; it
# changes when make is given another DEMO_CORPUS, so that the copy is made
# again even when the new file is older than the last copy (its date alone
# would leave the ISO carrying the previous corpus).
$(BUILD)/corpus.name: FORCE
	@mkdir -p $(@D)
	@echo "$(abspath $(DEMO_CORPUS))" | cmp -s - $@ || echo "$(abspath $(DEMO_CORPUS))" > $@

# A named file that is missing is an error (make says so), not a silent
# fallback to synthetic pages.
$(BUILD)/corpus.pages: $(DEMO_CORPUS) $(BUILD)/corpus.name
	@mkdir -p $(@D)
	install -m 644 $< $@
