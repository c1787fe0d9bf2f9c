/*
 * The reverse map's designs (mm/rmap_ops.h), by name: the one list that
 * names them, so that the front (mm/rmap.c) and the swap command reach a
 * design only through its ops. The first is the boot's default (rmap=
 * on the command line picks another, mm/rmap_swap.c).
 */
#include <stddef.h>
#include <string.h>
#include "mm/rmap_ops.h"

const struct rmap_ops *const rmap_designs[] = {
	&rmap_chains_ops,
	&rmap_family_ops,
};
const unsigned rmap_design_count =
	sizeof(rmap_designs) / sizeof(rmap_designs[0]);

const struct rmap_ops *rmap_design_find(const char *name)
{
	for (unsigned i = 0; name && i < rmap_design_count; i++) {
		if (strcmp(rmap_designs[i]->name, name) == 0)
			return rmap_designs[i];
	}
	return NULL;
}
