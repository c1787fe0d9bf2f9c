/*
 * The list of replacement policies, for lookups by name (command line,
 * scheme descriptions). Policies themselves live in mm/policy_*.c.
 */
#include <string.h>
#include "mm/policy.h"

const struct policy_ops *const policy_all[] = {
	&policy_fifo,
	&policy_clock,
	&policy_2q,
	NULL,
};

const struct policy_ops *policy_lookup(const char *name)
{
	for (unsigned i = 0; policy_all[i]; i++)
		if (strcmp(policy_all[i]->name, name) == 0)
			return policy_all[i];
	return NULL;
}
