/*
 * Start-up of the TLB event layer in the kernel: the transforms register,
 * the default page store is created over the frame allocator (limited to a
 * share of RAM, command line store_share=PERCENT), and the regions' fault
 * handler is installed. Called from kmain after mm_init.
 */
#include <stdint.h>
#include "kernel/cmdline.h"
#include "kernel/lib/panic.h"
#include "kernel/lib/printk.h"
#include "mm/direct_map.h"
#include "mm/frame.h"
#include "mm/mm.h"
#include "mm/region.h"
#include "mm/region_boot.h"
#include "mm/region_migrate.h"
#include "mm/store.h"
#include "mm/zstore.h"
#include "transforms/xf.h"
#include "transforms/xf_codec.h"
#include "transforms/xf_cipher.h"
#include "kernel/keyreg.h"

/* Set from the command line before region_boot_init, read once there. */
static unsigned region_store_share = 50;

static bool region_set_store_share(const char *value)
{
	unsigned long long percent;

	if (!cmdline_parse_range(value, 1, 90, &percent))
		return false;
	region_store_share = (unsigned)percent;
	return true;
}
CMDLINE_OPTION(store_share, "store_share",
	       "PERCENT 1..90: RAM the page store of sealed pages may use (50)",
	       region_set_store_share);

static void *region_store_page_alloc(void *context)
{
	uint64_t frame = frame_alloc();

	(void)context;
	return frame == FRAME_NONE ? NULL : frame_address(frame);
}

static void region_store_page_free(void *context, void *page)
{
	(void)context;
	frame_free(virt_to_phys(page));
}

/* The cipher transforms, keyed by the debug registers (never a key in
 * RAM); the log names the implementation so nobody mistakes the portable
 * one (round keys in a wiped stack buffer) for the register-only one. */
static void region_boot_ciphers(void)
{
	static const struct cipher_key_source key = {
		.kind = CIPHER_KEY_CPU_REGISTERS,
	};
	const struct xf_cipher_context *context = xf_cipher_aes128_xts.context;

	if (!xf_cipher_register(&key)) {
		log_error("regions: no page cipher runs on this CPU");
		return;
	}
	log_info("regions: cipher transforms aes128-xts[-mac], aes256-xts[-mac] "
		 "use %s and %s%s", context->cipher->name,
		 ((const struct xf_cipher_context *)
		  xf_cipher_aes256_xts.context)->cipher->name,
		 context->cipher->uses_simd ?
			 " (AES-NI, round keys in registers only)" :
			 " (portable: round keys in a wiped stack buffer)");
}

void region_boot_init(void)
{
	struct pmm_stats stats;

	xf_register_builtin();
	xf_codec_register();
	keyreg_boot_init();
	region_boot_ciphers();
	pmm_get_stats(&pmm_kernel, &stats);
	struct zstore_config config = {
		.name = "sealed-pages",
		.provider = { region_store_page_alloc, region_store_page_free, NULL },
		.frame_limit = store_frames_for_share(stats.usable_frames,
						      region_store_share),
	};
	struct store *store = zstore_create(&config);
	if (!store)
		panic("regions: the page store could not be created");
	store_set_default(store);
	region_migrate_init();	/* scheme changes start a migration */
	region_tierd_init();	/* tiered schemes get their tier thread */
	log_info("regions: page store up to %u%% of RAM (%llu frames), "
		 "faults reach regions through the dispatcher", region_store_share,
		 (unsigned long long)config.frame_limit);
}
