/*
 * ktest suite "cipher": the cipher transforms in the booted kernel, keyed
 * by the debug registers. Round trips through every implementation and
 * mode, AES-NI and portable giving the same bytes, the tweak binding a
 * sealed page to its place, tampering caught by the MAC (in the transform
 * and in a region, where the fault must stay unresolved), and the region
 * stress under cipher schemes.
 */
#include <stdint.h>
#include <string.h>
#include "kernel/ktest/ktest.h"
#include "mm/region.h"
#include "mm/region_test_util.h"
#include "mm/scheme.h"
#include "mm/store.h"
#include "mm/vmm.h"
#include "kernel/lib/cpu_features.h"
#include "kernel/lib/fpu.h"
#include "transforms/cipher.h"
#include "transforms/cipher_keyring.h"
#include "transforms/cipher_mac.h"
#include "transforms/xf_cipher.h"

static const struct cipher_key_source xf_cipher_test_key = {
	.kind = CIPHER_KEY_CPU_REGISTERS,
};

static _Alignas(64) uint8_t xf_cipher_test_page[XF_PAGE_BYTES];
static _Alignas(64) uint8_t xf_cipher_test_sealed[XF_BUFFER_BYTES];
static _Alignas(64) uint8_t xf_cipher_test_other[XF_BUFFER_BYTES];
static _Alignas(64) uint8_t xf_cipher_test_out[XF_BUFFER_BYTES];

/* A transform running one implementation explicitly. */
struct xf_cipher_test_transform {
	struct xf_cipher_context context;
	struct xf_transform transform;
};

static void xf_cipher_test_make(struct xf_cipher_test_transform *x,
				const struct cipher_ops *cipher, bool mac)
{
	bool aes128 = cipher->key_bytes == 16;

	/* the key now in the registers: an earlier suite may have rotated it */
	x->context = (struct xf_cipher_context){ cipher, xf_cipher_test_key,
						 cipher_keyring_generation() };
	x->transform = (struct xf_transform){
		.ops = aes128 ? (mac ? &xf_cipher_ops_aes128_mac :
				       &xf_cipher_ops_aes128) :
				(mac ? &xf_cipher_ops_aes256_mac :
				       &xf_cipher_ops_aes256),
		.context = &x->context,
	};
}

/* Unit lengths: a page, a same-filled page's sealed form (shorter than a
 * block), one block, a block and a byte, an odd compressed length. */
static const size_t xf_cipher_test_lengths[] = { 4096, 9, 1, 16, 17, 1001 };

KTEST(cipher, round_trip_every_cipher_and_mode)
{
	const struct xf_page_id id = { .region_id = 3, .page_index = 41 };

	for (unsigned c = 0; cipher_all[c]; c++) {
		if (!cipher_all[c]->available()) {
			ktest_log(t, "%s: not on this CPU", cipher_all[c]->name);
			continue;
		}
		for (unsigned mac = 0; mac < 2; mac++) {
			struct xf_cipher_test_transform x;

			xf_cipher_test_make(&x, cipher_all[c], mac);
			for (unsigned l = 0; l < sizeof(xf_cipher_test_lengths) /
						   sizeof(size_t); l++) {
				size_t length = xf_cipher_test_lengths[l];
				size_t sealed_length = 0, out_length = 0;

				region_test_fill(xf_cipher_test_page, length + c);
				KTEST_ASSERT(t, xf_seal(&x.transform, &id,
							xf_cipher_test_page, length,
							xf_cipher_test_sealed,
							XF_BUFFER_BYTES,
							&sealed_length) == XF_OK);
				KTEST_EXPECT_EQ(t, sealed_length,
						length + (mac ? CIPHER_TAG_BYTES : 0));
				/* a 1-byte unit equals its ciphertext once in
				 * 256 keys: only longer units must differ */
				KTEST_EXPECT(t, length < 8 ||
						memcmp(xf_cipher_test_sealed,
						       xf_cipher_test_page,
						       length) != 0);
				KTEST_ASSERT(t, xf_unseal(&x.transform, &id,
							  xf_cipher_test_sealed,
							  sealed_length,
							  xf_cipher_test_out,
							  XF_BUFFER_BYTES,
							  &out_length) == XF_OK);
				KTEST_EXPECT_EQ(t, out_length, length);
				KTEST_EXPECT(t, memcmp(xf_cipher_test_out,
						       xf_cipher_test_page,
						       length) == 0);
			}
		}
	}
}

/* The plain transforms work in place (the chain then seals the page
 * itself): the same bytes as out of place, and back. */
KTEST(cipher, in_place_matches_out_of_place)
{
	const struct xf_page_id id = { .region_id = 1, .page_index = 2 };
	struct xf_cipher_test_transform x;
	size_t length;

	xf_cipher_test_make(&x, cipher_select(16), false);
	KTEST_ASSERT(t, x.transform.ops->in_place);
	region_test_fill(xf_cipher_test_page, 77);
	KTEST_ASSERT(t, xf_seal(&x.transform, &id, xf_cipher_test_page, 4096,
				xf_cipher_test_sealed, XF_BUFFER_BYTES,
				&length) == XF_OK);
	KTEST_ASSERT(t, xf_seal(&x.transform, &id, xf_cipher_test_page, 4096,
				xf_cipher_test_page, 4096, &length) == XF_OK);
	KTEST_EXPECT(t, memcmp(xf_cipher_test_page, xf_cipher_test_sealed,
			       4096) == 0);
	KTEST_ASSERT(t, xf_unseal(&x.transform, &id, xf_cipher_test_page, 4096,
				  xf_cipher_test_page, 4096, &length) == XF_OK);
	region_test_fill(xf_cipher_test_out, 77);
	KTEST_EXPECT(t, memcmp(xf_cipher_test_page, xf_cipher_test_out,
			       4096) == 0);
}

/* Both implementations of a key size give identical sealed bytes and tags,
 * page-sized, odd-sized and short units alike. */
KTEST(cipher, aesni_and_portable_agree)
{
	static const struct cipher_ops *const pairs[][2] = {
		{ &cipher_aes128_xts_aesni, &cipher_aes128_xts_portable },
		{ &cipher_aes256_xts_aesni, &cipher_aes256_xts_portable },
	};
	const struct xf_page_id id = { .region_id = 9, .page_index = 1234 };

	if (!cipher_aes128_xts_aesni.available())
		ktest_skip(t, "no AES-NI on this CPU: only the portable path runs");
	for (unsigned p = 0; p < 2; p++) {
		for (unsigned l = 0; l < sizeof(xf_cipher_test_lengths) /
					   sizeof(size_t); l++) {
			size_t length = xf_cipher_test_lengths[l];
			struct xf_cipher_test_transform aesni, portable;
			size_t a_length, p_length;

			xf_cipher_test_make(&aesni, pairs[p][0], true);
			xf_cipher_test_make(&portable, pairs[p][1], true);
			region_test_fill(xf_cipher_test_page, 5 + l);
			KTEST_ASSERT(t, xf_seal(&aesni.transform, &id,
						xf_cipher_test_page, length,
						xf_cipher_test_sealed,
						XF_BUFFER_BYTES, &a_length) == XF_OK);
			KTEST_ASSERT(t, xf_seal(&portable.transform, &id,
						xf_cipher_test_page, length,
						xf_cipher_test_other,
						XF_BUFFER_BYTES, &p_length) == XF_OK);
			KTEST_EXPECT_EQ(t, a_length, p_length);
			if (memcmp(xf_cipher_test_sealed, xf_cipher_test_other,
				   a_length) != 0) {
				ktest_log(t, "%s vs %s differ at length %u",
					  pairs[p][0]->name, pairs[p][1]->name,
					  (unsigned)length);
				KTEST_EXPECT(t, false);
			}
		}
	}
}

/* The PCLMULQDQ GHASH the AES-NI MAC uses gives the portable GHASH's
 * result for every unit length, with hash keys and data from a seeded
 * pattern (one differing bit would show as a different tag). Skipped only
 * on a CPU without PCLMULQDQ and SSSE3; the runner requires it under QEMU
 * -cpu max and Bochs, which have them. */
KTEST(cipher, pclmul_ghash_matches_portable)
{
	uint8_t h[16], a[16], portable[16], pclmul[16];
	unsigned differ = 0;

	if (!cpu_has(CPU_FEATURE_CARRYLESS_MULTIPLY))
		ktest_skip(t, "no PCLMULQDQ (or SSSE3) on this CPU: only the portable GHASH runs");
	for (unsigned l = 0; l < sizeof(xf_cipher_test_lengths) / sizeof(size_t); l++) {
		size_t length = xf_cipher_test_lengths[l];
		unsigned long flags;

		region_test_fill(xf_cipher_test_page, 40 + l);
		for (unsigned i = 0; i < 16; i++) {
			h[i] = (uint8_t)(i * 29 + l * 7 + 1);
			a[i] = (uint8_t)(i * 13 + l);
		}
		cipher_ghash(h, a, xf_cipher_test_page, length, portable);
		flags = fpu_begin();
		cipher_ghash_pclmul(h, a, xf_cipher_test_page, length, pclmul);
		fpu_end(flags);
		if (memcmp(portable, pclmul, 16) != 0) {
			ktest_log(t, "GHASH differs at length %u", (unsigned)length);
			differ++;
		}
	}
	KTEST_EXPECT_EQ(t, differ, 0);
}

/* Sealed bytes of one page restored as another page (or region): wrong
 * data without the MAC, XF_CORRUPT with it, and the output untouched. */
KTEST(cipher, tweak_binds_the_page)
{
	const struct xf_page_id page_i = { .region_id = 4, .page_index = 10 };
	const struct xf_page_id page_j = { .region_id = 4, .page_index = 11 };
	const struct xf_page_id other_region = { .region_id = 5, .page_index = 10 };

	for (unsigned l = 0; l < 2; l++) {
		size_t length = l == 0 ? 4096 : 9;

		for (unsigned mac = 0; mac < 2; mac++) {
			struct xf_cipher_test_transform x;
			size_t sealed_length, out_length;

			xf_cipher_test_make(&x, cipher_select(16), mac);
			region_test_fill(xf_cipher_test_page, 99);
			KTEST_ASSERT(t, xf_seal(&x.transform, &page_i,
						xf_cipher_test_page, length,
						xf_cipher_test_sealed,
						XF_BUFFER_BYTES,
						&sealed_length) == XF_OK);
			for (unsigned w = 0; w < 2; w++) {
				const struct xf_page_id *wrong =
					w == 0 ? &page_j : &other_region;
				int result;

				memset(xf_cipher_test_out, 0xa5, length);
				result = xf_unseal(&x.transform, wrong,
						   xf_cipher_test_sealed,
						   sealed_length,
						   xf_cipher_test_out,
						   XF_BUFFER_BYTES, &out_length);
				if (mac) {
					KTEST_EXPECT_EQ(t, result, XF_CORRUPT);
					KTEST_EXPECT_EQ(t, xf_cipher_test_out[0], 0xa5);
				} else {
					KTEST_EXPECT_EQ(t, result, XF_OK);
					KTEST_EXPECT(t, memcmp(xf_cipher_test_out,
							       xf_cipher_test_page,
							       length) != 0);
				}
			}
		}
	}
}

/* One flipped bit anywhere (data or tag) is refused with the MAC; without
 * it the page restores to wrong bytes, and nothing crashes. */
KTEST(cipher, flipped_bit_is_detected_with_mac)
{
	const struct xf_page_id id = { .region_id = 2, .page_index = 7 };
	static const size_t positions[] = { 0, 1, 2047, 4095, 4096, 4111 };

	for (unsigned mac = 0; mac < 2; mac++) {
		struct xf_cipher_test_transform x;
		size_t sealed_length, out_length;

		xf_cipher_test_make(&x, cipher_select(16), mac);
		region_test_fill(xf_cipher_test_page, 3);
		KTEST_ASSERT(t, xf_seal(&x.transform, &id, xf_cipher_test_page,
					4096, xf_cipher_test_sealed,
					XF_BUFFER_BYTES, &sealed_length) == XF_OK);
		for (unsigned p = 0; p < sizeof(positions) / sizeof(size_t); p++) {
			size_t at = positions[p];
			int result;

			if (at >= sealed_length)
				continue;
			memcpy(xf_cipher_test_other, xf_cipher_test_sealed,
			       sealed_length);
			xf_cipher_test_other[at] ^= (uint8_t)(1u << (p % 8));
			result = xf_unseal(&x.transform, &id, xf_cipher_test_other,
					   sealed_length, xf_cipher_test_out,
					   XF_BUFFER_BYTES, &out_length);
			if (mac) {
				KTEST_EXPECT_EQ(t, result, XF_CORRUPT);
			} else {
				KTEST_EXPECT_EQ(t, result, XF_OK);
				KTEST_EXPECT(t, memcmp(xf_cipher_test_out,
						       xf_cipher_test_page,
						       4096) != 0);
			}
		}
	}
}

/* mm/scheme.c orders steps by the ops' cipher flag, not by name. */
KTEST(cipher, scheme_refuses_codec_after_cipher)
{
	struct scheme scheme;

	KTEST_EXPECT_EQ(t, scheme_parse("clock:adaptive,aes128-xts-mac", &scheme), 0);
	KTEST_EXPECT(t, scheme_confidential(&scheme));
	KTEST_EXPECT_EQ(t, scheme_parse("clock:aes256-xts,lz4", &scheme),
			SCHEME_BAD_ORDER);
	KTEST_EXPECT_EQ(t, scheme_parse("clock:lz4", &scheme), 0);
	KTEST_EXPECT(t, !scheme_confidential(&scheme));
}

/* A sealed page of a region whose copy in the store was changed: the MAC
 * refuses it, the fault stays unresolved (never maps wrong data) and the
 * region counts it and poisons the page until it is unmapped. */
KTEST(cipher, region_refuses_tampered_page)
{
	struct region *region = region_test_create(t, "fifo:aes128-xts-mac", 4, 1);
	uint8_t *page0 = region_page_address(region, 0);
	struct region_stats stats;
	struct ktest_trap trap;
	store_handle_t genuine, tampered;
	size_t length;
	uint64_t pte_handle;

	region_test_fill(page0, 12);
	*(volatile uint8_t *)region_page_address(region, 1) = 1;	/* evicts 0 */
	KTEST_ASSERT(t, region_page_state(region, 0) == REGION_SEALED);
	KTEST_ASSERT(t, vmm_get_handle(vmm_kernel_space(), (uintptr_t)page0,
				       &pte_handle));
	genuine = region_record_handle(region_page_record(region, 0));
	KTEST_ASSERT(t, pte_handle == genuine);
	/* A changed copy under a new handle, named by both the PTE and the
	 * region (so the handle check passes and only the MAC can object). */
	KTEST_ASSERT(t, store_read(region->store, genuine, xf_cipher_test_sealed,
				   XF_BUFFER_BYTES, &length) == STORE_OK);
	xf_cipher_test_sealed[100] ^= 0x10;
	KTEST_ASSERT(t, store_put(region->store, xf_cipher_test_sealed, length,
				  &tampered) == STORE_OK);
	vmm_clear_handle(vmm_kernel_space(), (uintptr_t)page0);
	vmm_set_handle(vmm_kernel_space(), (uintptr_t)page0, tampered);
	region_record_replace_handle(region_page_record(region, 0), tampered);
	KTEST_ASSERT(t, ktest_catch(ktest_read_byte, page0, &trap));
	KTEST_EXPECT_EQ(t, trap.fault_address, (uint64_t)page0);
	/* the region's answer: an error for its user, not the kernel's end */
	KTEST_EXPECT_EQ(t, trap.fault_response, (int)FAULT_ERROR);
	region_get_stats(region, &stats);
	KTEST_EXPECT_EQ(t, stats.corrupt, 1);
	/* poisoned: the tampered copy is gone, every access an error */
	KTEST_EXPECT_EQ(t, region_page_state(region, 0), REGION_POISONED);
	KTEST_EXPECT_EQ(t, stats.poisoned, 1);
	KTEST_ASSERT(t, ktest_catch(ktest_read_byte, page0, &trap));
	KTEST_EXPECT_EQ(t, trap.fault_response, (int)FAULT_ERROR);
	KTEST_EXPECT_EQ(t, store_free(region->store, genuine), STORE_OK);
	/* unmapped, it is a fresh page again */
	KTEST_EXPECT_EQ(t, region_unmap_page(region, 0), REGION_OK);
	KTEST_EXPECT_EQ(t, region_page_state(region, 0), REGION_UNPOPULATED);
	KTEST_EXPECT_EQ(t, *(volatile uint8_t *)page0, 0);
	region_destroy(region);
}

KTEST_SLOW(cipher, stress_clock_aes128_mac, 120000)
{
	region_stress_case(t, "clock:aes128-xts-mac", 50000);
}

KTEST_SLOW(cipher, stress_clock_adaptive_aes128_mac, 120000)
{
	region_stress_case(t, "clock:adaptive,aes128-xts-mac", 50000);
}
