# Framebuffer console (kernel/fbcon*): the font table is generated from the
# drawing in tools/fbcon-font.txt (the generated C is kept in the tree so the
# kernel's wildcard finds it); host unit tests render into plain memory.
FBCON_SRCS := kernel/fbcon.c kernel/fbcon_font.c kernel/console.c

kernel/fbcon_font.c: tools/fbcon-font.txt tools/gen-fbcon-font
	tools/gen-fbcon-font $< $@

$(eval $(call host_test,fbcon,tests/host/test_fbcon.c $(FBCON_SRCS)))
