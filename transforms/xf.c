/*
 * The transform registry and the statistics-keeping step wrappers the chain
 * calls (mm/scheme.c). Registration is rare (start-up, tests); lookups
 * happen when a scheme is built, never on the fault path, so one lock does.
 */
#include <string.h>
#include "kernel/lib/spinlock.h"
#include "transforms/xf.h"

/* Protects xf_registry_head and every transform's next link. */
static struct spinlock xf_registry_lock = SPINLOCK_INIT("xf_registry");
static struct xf_transform *xf_registry_head;

int xf_register(struct xf_transform *transform)
{
	struct xf_transform **link;
	unsigned long flags;
	int result = 0;

	if (!transform || !transform->ops || !transform->ops->name ||
	    !transform->ops->seal || !transform->ops->unseal)
		return -1;
	flags = spin_lock_irqsave(&xf_registry_lock);
	for (link = &xf_registry_head; *link; link = &(*link)->next) {
		if (*link == transform ||
		    strcmp((*link)->ops->name, transform->ops->name) == 0) {
			result = -1;
			break;
		}
	}
	if (result == 0) {
		transform->next = NULL;
		*link = transform;
	}
	spin_unlock_irqrestore(&xf_registry_lock, flags);
	return result;
}

void xf_unregister(struct xf_transform *transform)
{
	struct xf_transform **link;
	unsigned long flags;

	flags = spin_lock_irqsave(&xf_registry_lock);
	for (link = &xf_registry_head; *link; link = &(*link)->next) {
		if (*link == transform) {
			*link = transform->next;
			transform->next = NULL;
			break;
		}
	}
	spin_unlock_irqrestore(&xf_registry_lock, flags);
}

struct xf_transform *xf_lookup(const char *name)
{
	struct xf_transform *found = NULL;
	unsigned long flags;

	flags = spin_lock_irqsave(&xf_registry_lock);
	for (struct xf_transform *t = xf_registry_head; t; t = t->next) {
		if (strcmp(t->ops->name, name) == 0) {
			found = t;
			break;
		}
	}
	spin_unlock_irqrestore(&xf_registry_lock, flags);
	return found;
}

void xf_for_each(void (*fn)(struct xf_transform *transform, void *arg),
		 void *arg)
{
	struct xf_transform *t;

	/* The callback may look transforms up, so the lock is not held
	 * across it; transforms are never freed while registered. */
	for (t = __atomic_load_n(&xf_registry_head, __ATOMIC_ACQUIRE); t;
	     t = __atomic_load_n(&t->next, __ATOMIC_ACQUIRE))
		fn(t, arg);
}

void xf_register_builtin(void)
{
	/* Already-registered transforms are refused harmlessly. */
	xf_register(&xf_identity);
	xf_register(&xf_xor_debug);
}

/* Set once by the module loader; read on every step. */
static const struct xf_call_guard *xf_guard;

void xf_set_call_guard(const struct xf_call_guard *guard)
{
	__atomic_store_n(&xf_guard, guard, __ATOMIC_RELEASE);
}

/* Runs one step, through the guard when its code is a module's. */
static int xf_call(struct xf_transform *transform, xf_step_fn fn, bool sealing,
		   const struct xf_page_id *page, const void *in,
		   size_t in_length, void *out, size_t out_capacity,
		   size_t *out_length)
{
	const struct xf_call_guard *guard = __atomic_load_n(&xf_guard,
							    __ATOMIC_ACQUIRE);

	if (guard && guard->covers(fn))
		return guard->call(transform, fn, sealing, page, in, in_length,
				   out, out_capacity, out_length);
	return fn(transform->context, page, in, in_length, out, out_capacity,
		  out_length);
}

static void xf_count(uint64_t *counter, uint64_t amount)
{
	__atomic_fetch_add(counter, amount, __ATOMIC_RELAXED);
}

int xf_seal(struct xf_transform *transform, const struct xf_page_id *page,
	    const void *in, size_t in_length, void *out, size_t out_capacity,
	    size_t *out_length)
{
	int result;

	result = xf_call(transform, transform->ops->seal, true, page, in,
			 in_length, out, out_capacity, out_length);
	if (result == XF_OK && *out_length > out_capacity)
		result = XF_NO_SPACE;	/* a broken transform: never trusted */
	if (result != XF_OK) {
		xf_count(&transform->stats.errors, 1);
		return result;
	}
	xf_count(&transform->stats.seals, 1);
	xf_count(&transform->stats.bytes_in, in_length);
	xf_count(&transform->stats.bytes_out, *out_length);
	return XF_OK;
}

int xf_unseal(struct xf_transform *transform, const struct xf_page_id *page,
	      const void *in, size_t in_length, void *out, size_t out_capacity,
	      size_t *out_length)
{
	int result;

	result = xf_call(transform, transform->ops->unseal, false, page, in,
			 in_length, out, out_capacity, out_length);
	if (result == XF_OK && *out_length > out_capacity)
		result = XF_CORRUPT;
	if (result != XF_OK) {
		xf_count(&transform->stats.errors, 1);
		return result;
	}
	xf_count(&transform->stats.unseals, 1);
	return XF_OK;
}

void xf_get_stats(const struct xf_transform *transform, struct xf_stats *stats)
{
	stats->seals = __atomic_load_n(&transform->stats.seals, __ATOMIC_RELAXED);
	stats->unseals = __atomic_load_n(&transform->stats.unseals, __ATOMIC_RELAXED);
	stats->bytes_in = __atomic_load_n(&transform->stats.bytes_in, __ATOMIC_RELAXED);
	stats->bytes_out = __atomic_load_n(&transform->stats.bytes_out, __ATOMIC_RELAXED);
	stats->errors = __atomic_load_n(&transform->stats.errors, __ATOMIC_RELAXED);
}

const char *xf_result_name(int result)
{
	switch (result) {
	case XF_OK:
		return "ok";
	case XF_NO_SPACE:
		return "no space";
	case XF_CORRUPT:
		return "corrupt sealed data";
	case XF_NO_MEMORY:
		return "no memory";
	case XF_REFUSED:
		return "refused";
	case XF_FAULTED:
		return "transform faulted";
	default:
		return "unknown result";
	}
}
