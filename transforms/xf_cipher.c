/*
 * The cipher transforms (transforms/xf_cipher.h): XTS-AES over the unit the
 * chain hands over (a whole page, or a compressed page of any length), the
 * page's identity as the tweak, and optionally the per-page MAC appended.
 *
 * Units shorter than one block. XTS is not defined below 16 bytes, and a
 * compressed page can be that short (a same-filled page seals to 9 bytes).
 * Padding would make the sealed length ambiguous (lengths from 16 up are
 * all taken by longer inputs), so a short unit is XORed with a keystream
 * block instead: the XTS encryption of a zero block under the page's tweak
 * in a separate domain (region id with bit 62 set), which only the key
 * holder can compute. Its MAC is the MAC of the XTS sealing, in that same
 * domain, of the block ciphertext || zeros || length. Like XTS itself this
 * is deterministic per page: two versions of a short unit at one page
 * reveal the XOR of their contents (XTS would reveal only equality); short
 * units are same-filled pages, whose length already says what they are.
 */
#include <stdint.h>
#include <string.h>
#include "transforms/aes.h"
#include "transforms/cipher.h"
#include "transforms/cipher_mac.h"
#include "transforms/xf_cipher.h"

/* Tweak domain of short units: region ids are below 2^62. */
#define XF_CIPHER_SHORT_DOMAIN (1ull << 62)
#define XF_CIPHER_BLOCK 16u

static int xf_cipher_result(int status)
{
	return status == CIPHER_OK ? XF_OK :
	       status == CIPHER_ERROR_TAG ? XF_CORRUPT : XF_REFUSED;
}

/* The keystream block of a short unit. */
static int xf_cipher_short_keystream(const struct xf_cipher_context *context,
				     const struct xf_page_id *page,
				     uint8_t keystream[XF_CIPHER_BLOCK])
{
	static const uint8_t zero[XF_CIPHER_BLOCK];

	return cipher_seal_page(context->cipher, &context->key,
				page->region_id | XF_CIPHER_SHORT_DOMAIN,
				page->page_index, zero, keystream,
				XF_CIPHER_BLOCK, NULL);
}

/* The tag of a short unit's ciphertext (length 1..15). */
static int xf_cipher_short_tag(const struct xf_cipher_context *context,
			       const struct xf_page_id *page,
			       const uint8_t *sealed, size_t length,
			       uint8_t tag[CIPHER_TAG_BYTES])
{
	uint8_t block[XF_CIPHER_BLOCK] = { 0 };
	int status;

	memcpy(block, sealed, length);
	block[XF_CIPHER_BLOCK - 1] = (uint8_t)length;
	status = cipher_seal_page(context->cipher, &context->key,
				  page->region_id | XF_CIPHER_SHORT_DOMAIN,
				  page->page_index, block, block,
				  XF_CIPHER_BLOCK, tag);
	aes_wipe(block, sizeof(block));
	return status;
}

/* XORs a short unit with its keystream: seals and unseals alike. */
static int xf_cipher_short_crypt(const struct xf_cipher_context *context,
				 const struct xf_page_id *page, const uint8_t *in,
				 uint8_t *out, size_t length)
{
	uint8_t keystream[XF_CIPHER_BLOCK];
	int status = xf_cipher_short_keystream(context, page, keystream);

	if (status == CIPHER_OK)
		for (size_t i = 0; i < length; i++)
			out[i] = in[i] ^ keystream[i];
	aes_wipe(keystream, sizeof(keystream));
	return status;
}

static int xf_cipher_check(const struct xf_cipher_context *context,
			   const struct xf_page_id *page)
{
	if (!context || !context->cipher)
		return XF_REFUSED;	/* no implementation on this CPU */
	if (page->region_id > XF_CIPHER_REGION_MAX)
		return XF_REFUSED;
	return XF_OK;
}

static int xf_cipher_seal_keyed(const struct xf_cipher_context *context,
				const struct xf_page_id *page, const void *in,
				size_t in_length, void *out,
				size_t out_capacity, size_t *out_length,
				bool mac)
{
	size_t length = in_length + (mac ? CIPHER_TAG_BYTES : 0);
	uint8_t *sealed = out;
	uint8_t *tag = mac ? sealed + in_length : NULL;
	int status, result = xf_cipher_check(context, page);

	if (result != XF_OK)
		return result;
	if (in_length == 0)
		return XF_REFUSED;
	if (length > out_capacity)
		return XF_NO_SPACE;
	if (in_length >= XF_CIPHER_BLOCK) {
		status = cipher_seal_page(context->cipher, &context->key,
					  page->region_id, page->page_index, in,
					  out, in_length, tag);
	} else {
		status = xf_cipher_short_crypt(context, page, in, sealed,
					       in_length);
		if (status == CIPHER_OK && mac)
			status = xf_cipher_short_tag(context, page, sealed,
						     in_length, tag);
	}
	if (status != CIPHER_OK)
		return xf_cipher_result(status);
	*out_length = length;
	return XF_OK;
}

static int xf_cipher_unseal_keyed(const struct xf_cipher_context *context,
				  const struct xf_page_id *page,
				  const void *in, size_t in_length, void *out,
				  size_t out_capacity, size_t *out_length,
				  bool mac)
{
	size_t length = in_length - (mac ? CIPHER_TAG_BYTES : 0);
	const uint8_t *sealed = in;
	const uint8_t *tag = mac ? sealed + length : NULL;
	int status, result = xf_cipher_check(context, page);

	if (result != XF_OK)
		return result;
	if (in_length <= (mac ? CIPHER_TAG_BYTES : 0))
		return XF_CORRUPT;
	if (length > out_capacity)
		return XF_NO_SPACE;
	if (length >= XF_CIPHER_BLOCK) {
		status = cipher_restore_page(context->cipher, &context->key,
					     page->region_id, page->page_index,
					     in, out, length, tag);
	} else {
		status = CIPHER_OK;
		if (mac) {
			uint8_t expected[CIPHER_TAG_BYTES];

			status = xf_cipher_short_tag(context, page, sealed,
						     length, expected);
			if (status == CIPHER_OK &&
			    !cipher_tag_equal(expected, tag))
				status = CIPHER_ERROR_TAG;
		}
		if (status == CIPHER_OK)
			status = xf_cipher_short_crypt(context, page, sealed,
						       out, length);
	}
	if (status != CIPHER_OK)
		return status == CIPHER_ERROR_INVALID ? XF_CORRUPT :
						       xf_cipher_result(status);
	*out_length = length;
	return XF_OK;
}

/* The key hooks (xf_cipher.h), or NULL: the context's key as it is. */
static const struct xf_cipher_key_hooks *xf_cipher_key_hooks;

void xf_cipher_set_key_hooks(const struct xf_cipher_key_hooks *hooks)
{
	xf_cipher_key_hooks = hooks;
}

/* One seal or unseal under the key of the context's generation: the hooks
 * give a copy of the context whose key source names it, with interrupts
 * off for the call; without hooks the context itself. */
static int xf_cipher_keyed(void *opaque, bool seal,
			   const struct xf_page_id *page, const void *in,
			   size_t in_length, void *out, size_t out_capacity,
			   size_t *out_length, bool mac)
{
	const struct xf_cipher_context *context = opaque;
	const struct xf_cipher_key_hooks *hooks = xf_cipher_key_hooks;
	struct xf_cipher_context keyed;
	uint8_t scratch[XF_CIPHER_KEY_SCRATCH];
	unsigned long flags;
	int result;

	if (!context || !hooks || context->key.kind != CIPHER_KEY_CPU_REGISTERS)
		return (seal ? xf_cipher_seal_keyed : xf_cipher_unseal_keyed)(
			context, page, in, in_length, out, out_capacity,
			out_length, mac);
	keyed = *context;
	result = hooks->begin(context->generation, &keyed.key, scratch, &flags);
	if (result == XF_OK)
		result = (seal ? xf_cipher_seal_keyed : xf_cipher_unseal_keyed)(
			&keyed, page, in, in_length, out, out_capacity,
			out_length, mac);
	hooks->end(scratch, flags);
	return result;
}

#define XF_CIPHER_MODE(suffix, mac)                                            \
	static int xf_cipher_seal_##suffix(void *context,                      \
					   const struct xf_page_id *page,       \
					   const void *in, size_t in_length,    \
					   void *out, size_t out_capacity,      \
					   size_t *out_length)                  \
	{                                                                      \
		return xf_cipher_keyed(context, true, page, in, in_length,    \
				       out, out_capacity, out_length, mac);    \
	}                                                                      \
	static int xf_cipher_unseal_##suffix(void *context,                    \
					     const struct xf_page_id *page,     \
					     const void *in, size_t in_length,  \
					     void *out, size_t out_capacity,    \
					     size_t *out_length)                \
	{                                                                      \
		return xf_cipher_keyed(context, false, page, in, in_length,   \
				       out, out_capacity, out_length, mac);    \
	}

XF_CIPHER_MODE(plain, false)
XF_CIPHER_MODE(mac, true)

/* Without a tag the output is as long as the input, so the page itself can
 * take it (in place); with one the tag would run past the page. */
#define XF_CIPHER_OPS(variable, transform_name, mode, with_tag)                \
	const struct xf_ops variable = {                                       \
		.name = transform_name,                                        \
		.in_place = !(with_tag),                                       \
		.max_growth = (with_tag) ? CIPHER_TAG_BYTES : 0,               \
		.cipher = true,                                                \
		.seal = xf_cipher_seal_##mode,                                 \
		.unseal = xf_cipher_unseal_##mode,                             \
	}

XF_CIPHER_OPS(xf_cipher_ops_aes128, "aes128-xts", plain, false);
XF_CIPHER_OPS(xf_cipher_ops_aes128_mac, "aes128-xts-mac", mac, true);
XF_CIPHER_OPS(xf_cipher_ops_aes256, "aes256-xts", plain, false);
XF_CIPHER_OPS(xf_cipher_ops_aes256_mac, "aes256-xts-mac", mac, true);

/* One context per key size, shared by the plain and the MAC transform;
 * two sets of contexts and transforms alternate across key rotations
 * (xf_cipher_rekey): set 0 holds the boot key's instances. */
static struct xf_cipher_context xf_cipher_context_128, xf_cipher_context_256;
static struct xf_cipher_context xf_cipher_rotated_128, xf_cipher_rotated_256;

struct xf_transform xf_cipher_aes128_xts = {
	.ops = &xf_cipher_ops_aes128, .context = &xf_cipher_context_128,
};
struct xf_transform xf_cipher_aes128_xts_mac = {
	.ops = &xf_cipher_ops_aes128_mac, .context = &xf_cipher_context_128,
};
struct xf_transform xf_cipher_aes256_xts = {
	.ops = &xf_cipher_ops_aes256, .context = &xf_cipher_context_256,
};
struct xf_transform xf_cipher_aes256_xts_mac = {
	.ops = &xf_cipher_ops_aes256_mac, .context = &xf_cipher_context_256,
};

static struct xf_transform xf_cipher_rotated[4] = {
	{ .ops = &xf_cipher_ops_aes128, .context = &xf_cipher_rotated_128 },
	{ .ops = &xf_cipher_ops_aes128_mac, .context = &xf_cipher_rotated_128 },
	{ .ops = &xf_cipher_ops_aes256, .context = &xf_cipher_rotated_256 },
	{ .ops = &xf_cipher_ops_aes256_mac, .context = &xf_cipher_rotated_256 },
};

static struct xf_transform *const xf_cipher_sets[2][4] = {
	{ &xf_cipher_aes128_xts, &xf_cipher_aes128_xts_mac,
	  &xf_cipher_aes256_xts, &xf_cipher_aes256_xts_mac },
	{ &xf_cipher_rotated[0], &xf_cipher_rotated[1],
	  &xf_cipher_rotated[2], &xf_cipher_rotated[3] },
};

bool xf_cipher_register(const struct cipher_key_source *key)
{
	const struct cipher_ops *aes128 = cipher_select(16);
	const struct cipher_ops *aes256 = cipher_select(32);

	if (!aes128 || !aes256 || !cipher_key_source_valid(aes128, key) ||
	    !cipher_key_source_valid(aes256, key))
		return false;
	xf_cipher_context_128 = (struct xf_cipher_context){ aes128, *key, 0 };
	xf_cipher_context_256 = (struct xf_cipher_context){ aes256, *key, 0 };
	/* Already-registered transforms are refused harmlessly. */
	xf_register(&xf_cipher_aes128_xts);
	xf_register(&xf_cipher_aes128_xts_mac);
	xf_register(&xf_cipher_aes256_xts);
	xf_register(&xf_cipher_aes256_xts_mac);
	return true;
}

void xf_cipher_rekey(unsigned generation)
{
	struct xf_transform *const *old = xf_cipher_sets[(generation + 1) % 2];
	struct xf_transform *const *next = xf_cipher_sets[generation % 2];

	for (unsigned i = 0; i < 4; i += 2) {	/* the 128 and 256 contexts */
		struct xf_cipher_context *context = next[i]->context;

		*context = *(const struct xf_cipher_context *)old[i]->context;
		context->generation = generation;
	}
	/* A lookup between the two loops finds no cipher for a moment (a
	 * scheme parsed then is refused as unknown), never a wrong one. */
	for (unsigned i = 0; i < 4; i++)
		xf_unregister(old[i]);
	for (unsigned i = 0; i < 4; i++) {
		next[i]->stats = (struct xf_stats){ 0 };
		xf_register(next[i]);
	}
}

bool xf_cipher_generation(const struct xf_transform *transform,
			  unsigned *generation)
{
	for (unsigned set = 0; set < 2; set++)
		for (unsigned i = 0; i < 4; i++)
			if (transform == xf_cipher_sets[set][i]) {
				*generation = ((const struct xf_cipher_context *)
						       transform->context)->generation;
				return true;
			}
	return false;
}
