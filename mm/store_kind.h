/*
 * Kinds of page store by name: what `scheme REGION store KIND` and a store
 * swap create (region_store_create). The kernel registers its two, "zs"
 * (mm/zstore.h) and "log" (mm/logstore.h), at boot; a loadable module may
 * register one of its own (docs/live-swap.md, "Modules"), whose stores
 * then hold a region's pages like any other. Lookups happen when a store is
 * made, never on the fault path, so one lock does.
 */
#ifndef VEIL_MM_STORE_KIND_H
#define VEIL_MM_STORE_KIND_H

#include <stdint.h>
#include "mm/store.h"

/* What a new store of a kind gets: its name (for messages), where its
 * frames come from and how many it may hold. */
struct store_kind_config {
	const char *name;
	struct store_page_provider provider;
	uint64_t frame_limit;
};

struct store_kind {
	const char *name;
	/* A new, empty store; NULL when it cannot be made. */
	struct store *(*create)(const struct store_kind_config *config);
};

/* Kinds one boot can know at once. */
#define STORE_KINDS_MAX 8

/* Adds kind: 0, or -1 when its name is taken, a field is missing or the
 * table is full. The structure must outlive its registration. */
int store_kind_register(const struct store_kind *kind);
/* Removes kind (a no-op for one not registered); stores made of it stay. */
void store_kind_unregister(const struct store_kind *kind);
/* The kind named name, or NULL. */
const struct store_kind *store_kind_find(const char *name);
/* Calls fn on every registered kind, registry lock held (fn must not
 * register or unregister). */
void store_kind_for_each(void (*fn)(const struct store_kind *kind, void *arg),
			 void *arg);

#endif
