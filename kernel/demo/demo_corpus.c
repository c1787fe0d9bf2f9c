/*
 * Where the demo's pages come from: a page corpus (raw 4096-byte pages of
 * real program memory: the in-tree corpus/ or ../shared/corpus) that GRUB loads
 * as a multiboot2 module named "corpus...", so compression ratios are those of
 * real memory. Without it the demo synthesises pages of mixed kinds (text,
 * pointer arrays, half-empty, noise) and says so.
 */
#include <string.h>
#include "kernel/arch.h"
#include "kernel/bootinfo.h"
#include "kernel/demo/demo_internal.h"

#define DEMO_PAGE_BYTES 4096u

extern struct boot_info boot_info;

bool demo_corpus_find(struct demo_corpus *corpus)
{
	memset(corpus, 0, sizeof(*corpus));
	corpus->name = "synthetic";
	for (unsigned i = 0; i < boot_info.module_count; i++) {
		const struct boot_module *m = &boot_info.modules[i];
		uint64_t length = m->end - m->start;
		if (strncmp(m->name, "corpus", 6) != 0 || length < DEMO_PAGE_BYTES)
			continue;
		corpus->bytes = arch_early_phys_to_virt(m->start);
		corpus->pages = (uint32_t)(length / DEMO_PAGE_BYTES);
		corpus->name = m->name;
		return true;
	}
	return false;
}

static uint64_t demo_corpus_mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	return x;
}

/* Four kinds of page, so that every codec path (and the incompressible
 * fallback) is exercised even without real memory. */
static void demo_corpus_synthesise(uint32_t index, uint8_t *page)
{
	static const char words[] = "the quick page was sealed then restored ";
	uint64_t *words64 = (uint64_t *)page;
	uint64_t x = demo_corpus_mix(index + 1);

	switch (index % 4) {
	case 0:	/* text */
		for (unsigned i = 0; i < DEMO_PAGE_BYTES; i++)
			page[i] = (uint8_t)words[(i + index) % (sizeof(words) - 1)];
		break;
	case 1:	/* pointers into one heap */
		for (unsigned i = 0; i < DEMO_PAGE_BYTES / 8; i++)
			words64[i] = 0x00007f0000000000ull |
				     ((demo_corpus_mix(x + i) & 0xffff) << 4);
		break;
	case 2:	/* half used */
		memset(page, 0, DEMO_PAGE_BYTES);
		for (unsigned i = 0; i < DEMO_PAGE_BYTES / 16; i++)
			words64[i] = demo_corpus_mix(x + i) & 0xff;
		break;
	default:	/* noise: does not compress */
		for (unsigned i = 0; i < DEMO_PAGE_BYTES / 8; i++)
			words64[i] = demo_corpus_mix(x + i);
		break;
	}
}

void demo_corpus_fill(const struct demo_corpus *corpus, uint32_t index,
		      uint8_t *page)
{
	if (!corpus->bytes) {
		demo_corpus_synthesise(index, page);
		return;
	}
	memcpy(page, corpus->bytes + (uint64_t)(index % corpus->pages) *
	       DEMO_PAGE_BYTES, DEMO_PAGE_BYTES);
}
