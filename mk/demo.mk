# The demo's page corpus: real program memory that build/veil.iso carries as
# /boot/corpus.pages (tools/grub/veil.cfg loads it as module "corpus"). This
# fragment sorts before kernel.mk, whose ISO rule names DEMO_CORPUS_ISO.
#   make DEMO_CORPUS=../shared/corpus/node.pages   another program's memory
DEMO_CORPUS     ?= ../shared/corpus/python.pages
# Empty when the corpus is missing: the ISO then has no module and the
# demo fills its pages itself (and says so).
DEMO_CORPUS_ISO := $(if $(wildcard $(DEMO_CORPUS)),$(BUILD)/corpus.pages)

$(BUILD)/corpus.pages: $(wildcard $(DEMO_CORPUS))
	@mkdir -p $(@D)
	install -m 644 $< $@
