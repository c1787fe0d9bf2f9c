/*
 * The dense encoder's LZ77 parse (codec_dense_parse.c): one page cut into
 * sequences (literals, then a match) in the workspace.
 */
#ifndef VEIL_TRANSFORMS_CODEC_DENSE_PARSE_H
#define VEIL_TRANSFORMS_CODEC_DENSE_PARSE_H

#include <stddef.h>
#include "transforms/codec.h"

/* Parses in[0..length) (1 <= length <= CODEC_PAGE_BYTES) into
 * workspace->dense.sequences; returns how many (at most
 * CODEC_DENSE_MAX_SEQUENCES: when they run out, the rest of the input is
 * literals). The last sequence has length 0 (literals only, possibly
 * none). Distances are stored as the
 * decoder will see them: 0 and 1 name the repeat distances the decoder
 * keeps (codec_dense_format.h), anything else is the distance + 1. */
size_t dense_parse(struct codec_workspace *workspace, const uint8_t *in,
		   size_t length);

#endif
