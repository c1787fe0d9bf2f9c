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

# A named file that is missing is an error (make says so), not a silent
# fallback to synthetic pages.
$(BUILD)/corpus.pages: $(DEMO_CORPUS)
	@mkdir -p $(@D)
	install -m 644 $< $@
