/*
 * Start-up of the TLB event layer in the kernel: the transforms register,
 * the default page store is created over the frame allocator (limited to a
 * share of RAM, command line store_share=PERCENT; its kind, the
 * log-structured store or zstore, command line store=log|zs), and the
 * regions' fault handler is installed. Called from kmain after mm_init.
 */
#include <stdint.h>
#include <string.h>
#include "kernel/cmdline.h"
#include "kernel/lib/panic.h"
#include "kernel/lib/printk.h"
#include "mm/direct_map.h"
#include "mm/frame.h"
#include "mm/mm.h"
#include "mm/region.h"
#include "mm/region_boot.h"
#include "mm/region_internal.h"
#include "mm/region_shared_copy.h"
#include "mm/region_migrate.h"
#include "mm/logstore.h"
#include "mm/store.h"
#include "mm/store_kind.h"
#include "mm/zstore.h"
#include "transforms/xf.h"
#include "transforms/xf_codec.h"
#include "transforms/cipher_keyring.h"
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

/* same_filled=off gives same-filled pages to the chain and the store like
 * any other (to compare with what keeping them in their record saves). */
static bool region_set_same_filled(const char *value)
{
	bool keep;

	if (!cmdline_parse_bool(value, &keep))
		return false;
	__atomic_store_n(&region_same_filled_kept, keep, __ATOMIC_RELAXED);
	return true;
}
CMDLINE_OPTION(same_filled, "same_filled",
	       "[on|off] (bare: on): keep a same-filled page in its page record, "
	       "no store copy, under a scheme without a cipher (on)",
	       region_set_same_filled);

/* seal_once=off seals a shared page's own copy as it leaves its space,
 * as before seal-once (to compare what sealing once saves). */
static bool region_set_seal_once(const char *value)
{
	bool once;

	if (!cmdline_parse_bool(value, &once))
		return false;
	__atomic_store_n(&region_shared_copy_enabled, once, __ATOMIC_RELAXED);
	return true;
}
CMDLINE_OPTION(seal_once, "seal_once",
	       "[on|off] (bare: on): a frame shared after fork is sealed once, "
	       "after every space has let it go (on)",
	       region_set_seal_once);

/* Set from the command line before region_boot_init, read once there:
 * the default store is the log-structured one (store=log, the default:
 * it keeps 0.91 of what the codec saved from 64 pages on, zstore 0.74 to
 * 0.80 at 64, docs/page-store.md) or zstore (store=zs). */
static bool region_store_log = true;

static bool region_set_store_kind(const char *value)
{
	if (strcmp(value, "log") == 0)
		region_store_log = true;
	else if (strcmp(value, "zs") == 0)
		region_store_log = false;
	else
		return false;
	return true;
}
CMDLINE_OPTION(store, "store",
	       "log|zs: the default page store: log-structured (log, the "
	       "default) or size classes (zs)", region_set_store_kind);

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
	cipher_keyring_init();	/* key generations, for rotations */
	log_info("regions: cipher transforms aes128-xts[-mac], aes256-xts[-mac] "
		 "use %s and %s%s", context->cipher->name,
		 ((const struct xf_cipher_context *)
		  xf_cipher_aes256_xts.context)->cipher->name,
		 context->cipher->uses_simd ?
			 " (AES-NI, round keys in registers only)" :
			 " (portable: round keys in a wiped stack buffer)");
}

static struct store *region_store_make(const char *kind_name, const char *name);

void region_boot_init(void)
{
	struct store_stats stats;

	xf_register_builtin();
	xf_codec_register();
	keyreg_boot_init();
	region_boot_ciphers();
	region_store_kinds_init();
	struct store *store = region_store_make(region_default_store_kind(),
						"sealed-pages");
	if (!store)
		panic("regions: the page store could not be created");
	store_set_default(store);
	/* Compaction of the default store runs by itself: the thread sleeps
	 * until a free finds the waste past the threshold. */
	if (store_compactd_start(store) != STORE_OK)
		log_warn("regions: no background compaction of the page store");
	region_migrate_init();	/* scheme changes start a migration */
	region_tierd_init();	/* tiered schemes get their tier thread */
	store_stats(store, &stats);
	log_info("regions: page store (%s) up to %u%% of RAM (%llu frames), "
		 "faults reach regions through the dispatcher", store->ops->name,
		 region_store_share, (unsigned long long)stats.frame_limit);
}

/* The kernel's two kinds of store, by the names store= takes. */
static struct store *region_store_create_zs(const struct store_kind_config *config)
{
	struct zstore_config zs = { .name = config->name,
		.provider = config->provider, .frame_limit = config->frame_limit };

	return zstore_create(&zs);
}

static struct store *region_store_create_log(const struct store_kind_config *config)
{
	struct logstore_config log = { .name = config->name,
		.provider = config->provider, .frame_limit = config->frame_limit };

	return logstore_create(&log);
}

const char *region_default_store_kind(void)
{
	return region_store_log ? "log" : "zs";
}

static const struct store_kind region_store_kind_zs = { "zs", region_store_create_zs };
static const struct store_kind region_store_kind_log = { "log", region_store_create_log };

void region_store_kinds_init(void)
{
	store_kind_register(&region_store_kind_zs);
	store_kind_register(&region_store_kind_log);
}

/* A new store of the kind named kind_name, called name, over the frame
 * allocator with store_share= of RAM; NULL for an unknown kind. */
static struct store *region_store_make(const char *kind_name, const char *name)
{
	const struct store_kind *kind = store_kind_find(kind_name);
	struct pmm_stats stats;

	if (!kind)
		return NULL;
	pmm_get_stats(&pmm_kernel, &stats);
	struct store_kind_config config = {
		.name = name,
		.provider = { region_store_page_alloc, region_store_page_free, NULL },
		.frame_limit = store_frames_for_share(stats.usable_frames,
						      region_store_share),
	};
	return kind->create(&config);
}

struct store *region_store_create(const char *kind_name)
{
	return region_store_make(kind_name, "swapped-in");
}

int region_swap_store(struct region *region, const char *scheme,
		      const char *kind, struct store **store)
{
	struct store *made = region_store_create(kind);

	if (!made)
		return REGION_BAD_ARGUMENT;
	int result = region_set_scheme_store(region, scheme, made);
	if (result != REGION_OK)
		store_destroy(made);	/* the region took it only on success */
	else if (store)
		*store = made;
	return result;
}
