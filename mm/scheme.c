/*
 * Running a scheme's transform chain (mm/scheme.h). Two per-CPU buffers
 * alternate as a step's input and output; an in-place step reuses its
 * input buffer, and the first step, when in place, works on the page
 * itself (so a debugging transform scrambles exactly what a stale TLB entry
 * would reach). The bytes handed to unseal are copied first: the store's
 * copy stays intact whatever a step does.
 */
#include <stdbool.h>
#include <string.h>
#include "kernel/lib/cpu.h"
#include "kernel/lib/failpoint.h"
#include "kernel/lib/panic.h"
#include "kernel/lib/printk.h"
#include "mm/scheme.h"

/* Chain buffers of one CPU, used with interrupts off (see scheme.h). */
struct scheme_cpu_buffers {
	uint8_t buffer[2][XF_BUFFER_BYTES];
};

/* Per CPU, allocated by scheme_cpu_prepare before the CPU runs; each
 * pointer is written once and the buffers are used only by their CPU. */
static struct scheme_cpu_buffers *scheme_buffers[CONFIG_MAX_CPUS];

bool scheme_cpu_prepare(unsigned cpu)
{
	struct scheme_cpu_buffers *buffers;

	if (cpu >= CONFIG_MAX_CPUS)
		return false;
	if (__atomic_load_n(&scheme_buffers[cpu], __ATOMIC_ACQUIRE))
		return true;
	buffers = cpu_memory_alloc(sizeof(*buffers));
	if (!buffers)
		return false;
	__atomic_store_n(&scheme_buffers[cpu], buffers, __ATOMIC_RELEASE);
	return true;
}

void scheme_cpu_wipe(void)
{
	struct scheme_cpu_buffers *buffers =
		__atomic_load_n(&scheme_buffers[cpu_current()], __ATOMIC_RELAXED);

	if (buffers)
		memset(buffers, 0, sizeof(*buffers));
}

/* The running CPU's buffers; it must have been prepared. */
static uint8_t (*scheme_cpu_buffers(void))[XF_BUFFER_BYTES]
{
	struct scheme_cpu_buffers *buffers =
		__atomic_load_n(&scheme_buffers[cpu_current()], __ATOMIC_RELAXED);

	KASSERT(buffers != NULL);
	return buffers->buffer;
}

static bool scheme_is_cipher(const struct xf_transform *transform)
{
	/* Compressing ciphertext gains nothing and leaks nothing new, but is
	 * always a mistake: a cipher may only be followed by ciphers. */
	return transform->ops->cipher;
}

bool scheme_confidential(const struct scheme *scheme)
{
	for (unsigned i = 0; i < scheme->length; i++)
		if (scheme_is_cipher(scheme->chain[i]))
			return true;
	return false;
}

/*
 * A confidential scheme promises that RAM holds no clear copy of a sealed
 * page, so the chain buffers (compressed clear bytes before the cipher, a
 * restored page's intermediate forms) and the steps' own scratch are wiped
 * once the chain is done. The buffer holding the result of a seal is kept:
 * it is ciphertext, and the caller still reads it. The steps' scratch is
 * scrubbed after seals only (scrub says so): unseal writes nothing but its
 * output, and a scrub costs up to the whole codec workspace (39 KiB of
 * stores), more than the rest of a restore.
 */
static void scheme_wipe(const struct scheme *scheme,
			uint8_t (*buffers)[XF_BUFFER_BYTES], const void *keep,
			bool scrub_steps)
{
	for (unsigned i = 0; i < 2; i++)
		if (buffers[i] != keep)
			memset(buffers[i], 0, XF_BUFFER_BYTES);
	for (unsigned i = 0; scrub_steps && i < scheme->length; i++)
		if (scheme->chain[i]->ops->scrub)
			scheme->chain[i]->ops->scrub(scheme->chain[i]->context);
}

/* The transform named by name[0..length), or NULL. */
static struct xf_transform *scheme_lookup(const char *name, size_t length)
{
	char word[32];

	if (length == 0 || length >= sizeof(word))
		return NULL;
	memcpy(word, name, length);
	word[length] = '\0';
	return xf_lookup(word);
}

/* The first c in text[0..length), or NULL (the kernel's libc has no
 * memchr). */
static const char *scheme_find(const char *text, size_t length, char c)
{
	for (size_t i = 0; i < length; i++)
		if (text[i] == c)
			return text + i;
	return NULL;
}

/* Adds the step name[0..length): a transform, or "FAST>DENSE" (tiers). */
static int scheme_add(struct scheme *scheme, const char *name, size_t length)
{
	const char *arrow = scheme_find(name, length, '>');
	size_t fast_length = arrow ? (size_t)(arrow - name) : length;
	struct xf_transform *transform = scheme_lookup(name, fast_length);

	if (scheme->length == XF_CHAIN_MAX)
		return SCHEME_BAD_NAME;
	if (arrow) {
		size_t dense_length = length - fast_length - 1;
		struct xf_transform *dense = scheme_lookup(arrow + 1, dense_length);
		/* one tiered step, a codec (never a cipher) on both sides */
		if (fast_length == 0 || dense_length == 0 || scheme->tier_dense ||
		    scheme_find(arrow + 1, dense_length, '>'))
			return SCHEME_BAD_TIER;
		if (!transform || !dense)
			return SCHEME_BAD_NAME;
		if (scheme_is_cipher(transform) || scheme_is_cipher(dense))
			return SCHEME_BAD_TIER;
		scheme->tier_dense = dense;
		scheme->tier_step = (uint8_t)scheme->length;
	}
	if (!transform)
		return SCHEME_BAD_NAME;
	if (scheme->length > 0 && scheme_is_cipher(scheme->chain[scheme->length - 1]) &&
	    !scheme_is_cipher(transform))
		return SCHEME_BAD_ORDER;
	scheme->chain[scheme->length++] = transform;
	return 0;
}

int scheme_parse(const char *text, struct scheme *scheme)
{
	struct scheme parsed = { 0 };
	const char *colon = strchr(text, ':');
	size_t policy_length = colon ? (size_t)(colon - text) : strlen(text);
	char policy_name[32];

	if (policy_length == 0 || policy_length >= sizeof(policy_name))
		return SCHEME_BAD_NAME;
	memcpy(policy_name, text, policy_length);
	policy_name[policy_length] = '\0';
	parsed.policy = policy_lookup(policy_name);
	if (!parsed.policy)
		return SCHEME_BAD_NAME;
	for (const char *p = colon ? colon + 1 : NULL; p && *p;) {
		const char *comma = strchr(p, ',');
		size_t length = comma ? (size_t)(comma - p) : strlen(p);
		int result = scheme_add(&parsed, p, length);
		if (result)
			return result;
		p = comma ? comma + 1 : NULL;
	}
	*scheme = parsed;
	return 0;
}

void scheme_format(const struct scheme *scheme, char *buffer, size_t size)
{
	size_t used = 0;

	if (size == 0)
		return;
	buffer[0] = '\0';
	for (unsigned i = 0; i <= scheme->length && used < size; i++) {
		const char *name = i == 0 ? scheme->policy->name :
					    scheme->chain[i - 1]->ops->name;
		const char *separator = i == 0 ? "" : i == 1 ? ":" : ",";
		bool tiered = i > 0 && scheme->tier_dense &&
			      scheme->tier_step == i - 1;
		used += (size_t)ksnprintf(buffer + used, size - used, "%s%s%s%s",
					  separator, name, tiered ? ">" : "",
					  tiered ? scheme->tier_dense->ops->name : "");
	}
}

bool scheme_tiered(const struct scheme *scheme)
{
	return scheme->tier_dense != NULL;
}

void scheme_dense_tier(const struct scheme *scheme, struct scheme *dense)
{
	*dense = *scheme;
	dense->chain[scheme->tier_step] = scheme->tier_dense;
	dense->tier_dense = NULL;
	dense->tier_step = 0;
	dense->dense_tier = true;
}

/* Undoes the in-place steps 0..count-1 that already ran on the page. */
static void scheme_undo_in_place(const struct scheme *scheme,
				 const struct xf_page_id *id, void *page,
				 unsigned count)
{
	size_t length;

	while (count-- > 0)
		xf_unseal(scheme->chain[count], id, page, XF_PAGE_BYTES, page,
			  XF_PAGE_BYTES, &length);
}

int scheme_seal(const struct scheme *scheme, const struct xf_page_id *id,
		void *page, const void **sealed, size_t *sealed_length)
{
	uint8_t (*buffers)[XF_BUFFER_BYTES] = scheme_cpu_buffers();
	uint8_t *in = page;
	size_t in_length = XF_PAGE_BYTES;
	unsigned page_steps = 0;	/* leading in-place steps on the page */
	int next = 0;

	if (FAILPOINT(FAILPOINT_SEAL))
		return XF_NO_MEMORY;	/* nothing done yet: the page as it was */

	for (unsigned i = 0; i < scheme->length; i++) {
		struct xf_transform *step = scheme->chain[i];
		/* in is the page only while every earlier step was in place */
		uint8_t *out = step->ops->in_place ? in : buffers[next];
		size_t out_length;
		int result = xf_seal(step, id, in, in_length, out,
				     XF_BUFFER_BYTES, &out_length);
		if (result != XF_OK) {
			scheme_undo_in_place(scheme, id, page, page_steps);
			if (scheme_confidential(scheme))
				scheme_wipe(scheme, buffers, NULL, true);
			return result;
		}
		if (out == (uint8_t *)page)
			page_steps++;
		else if (out != in)
			next ^= 1;
		in = out;
		in_length = out_length;
	}
	if (scheme_confidential(scheme))
		scheme_wipe(scheme, buffers, in, true);
	*sealed = in;
	*sealed_length = in_length;
	return XF_OK;
}

/* Which of this CPU's buffers p lies in, or NULL: a caller may hand back
 * the bytes scheme_seal left there. */
static uint8_t *scheme_own_buffer(uint8_t (*buffers)[XF_BUFFER_BYTES],
				  const void *p)
{
	for (unsigned i = 0; i < 2; i++) {
		if ((const uint8_t *)p >= buffers[i] &&
		    (const uint8_t *)p < buffers[i] + XF_BUFFER_BYTES)
			return buffers[i];
	}
	return NULL;
}

/*
 * The sealed bytes are read where they are (a store view is read-only):
 * the first step writes its output to a buffer, or straight to the page
 * when it is the only one; later in-place steps work in that buffer.
 */
int scheme_unseal(const struct scheme *scheme, const struct xf_page_id *id,
		  const void *sealed, size_t sealed_length, void *page)
{
	uint8_t (*buffers)[XF_BUFFER_BYTES] = scheme_cpu_buffers();
	const uint8_t *in = sealed;
	uint8_t *scratch = scheme_own_buffer(buffers, sealed);	/* in's, if ours */
	size_t in_length = sealed_length;

	if (sealed_length > XF_BUFFER_BYTES)
		return XF_CORRUPT;
	for (unsigned i = scheme->length; i-- > 0;) {
		struct xf_transform *step = scheme->chain[i];
		uint8_t *out = i == 0 ? page :
			       step->ops->in_place && in == scratch ? scratch :
			       scratch == buffers[0] ? buffers[1] : buffers[0];
		size_t capacity = i == 0 ? XF_PAGE_BYTES : XF_BUFFER_BYTES;
		size_t out_length;
		int result = xf_unseal(step, id, in, in_length, out, capacity,
				       &out_length);
		if (result != XF_OK) {
			if (scheme_confidential(scheme))
				scheme_wipe(scheme, buffers, NULL, false);
			return result == XF_NO_SPACE ? XF_CORRUPT : result;
		}
		in = out;
		scratch = i == 0 ? NULL : out;
		in_length = out_length;
	}
	if (scheme_confidential(scheme))
		scheme_wipe(scheme, buffers, NULL, false);
	if (scheme->length == 0) {
		if (in_length != XF_PAGE_BYTES)
			return XF_CORRUPT;
		memcpy(page, in, XF_PAGE_BYTES);
		return XF_OK;
	}
	return in_length == XF_PAGE_BYTES ? XF_OK : XF_CORRUPT;
}

bool scheme_same_chain(const struct scheme *a, const struct scheme *b)
{
	if (a->length != b->length)
		return false;
	for (unsigned i = 0; i < a->length; i++)
		if (a->chain[i] != b->chain[i])
			return false;
	return true;
}
