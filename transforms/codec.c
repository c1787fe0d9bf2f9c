/*
 * The codec table: every page codec by name and by the header id it writes
 * into sealed pages. Tools and tests walk it; the adaptive choice and the
 * unseal path look codecs up here rather than naming them.
 */
#include <string.h>
#include "transforms/codec.h"

const struct codec_ops *const codec_table[] = {
	&codec_samefill,
	&codec_wkdm,
	&codec_lz4,
	&codec_adaptive,
	&codec_dense,
	NULL,
};

const struct codec_ops *codec_by_name(const char *name)
{
	for (size_t i = 0; codec_table[i]; i++)
		if (strcmp(codec_table[i]->name, name) == 0)
			return codec_table[i];
	return NULL;
}

const struct codec_ops *codec_by_id(unsigned id)
{
	for (size_t i = 0; codec_table[i]; i++)
		if (codec_table[i]->id == id)
			return codec_table[i];
	return NULL;
}
