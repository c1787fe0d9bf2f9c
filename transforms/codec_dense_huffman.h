/*
 * Canonical Huffman codes for the dense codec's encoder
 * (codec_dense_huffman.c): code lengths limited to a maximum, and the
 * canonical codes those lengths give, bit-reversed for an LSB-first stream.
 */
#ifndef VEIL_TRANSFORMS_CODEC_DENSE_HUFFMAN_H
#define VEIL_TRANSFORMS_CODEC_DENSE_HUFFMAN_H

#include <stdint.h>
#include "transforms/codec.h"

/* Sets lengths[0..count) to the code lengths of a prefix code for the
 * frequencies (each below 2^16), none over max_bits (at most 15): 0 for a
 * symbol of frequency 0, 1 for a lone used symbol; and codes[s] of each
 * used symbol s to its canonical code as dense_huffman_codes gives it.
 * The codes of unused symbols are left as they were: the caller must
 * never write a symbol of frequency 0 (the encoder writes exactly what
 * it counted). count is at most CODEC_DENSE_CODE_LENGTHS. The lengths
 * are optimal when no limit applies and close to it otherwise. Returns
 * the number of used symbols, which scratch->symbols lists in order
 * until the next build. */
unsigned dense_huffman_build(const uint32_t *frequencies, unsigned count,
			     unsigned max_bits,
			     struct codec_dense_huffman_scratch *scratch,
			     uint8_t *lengths, uint16_t *codes);

/* Sets codes[s] to symbol s's canonical code (shorter codes first, then by
 * symbol), its bits reversed so that the stream's first bit is the code's
 * first. */
void dense_huffman_codes(const uint8_t *lengths, unsigned count,
			 uint16_t *codes);

/* Each byte with its bits reversed (codec_dense_huffman.c). */
extern const uint8_t dense_reversed_bytes[256];

/* The low length bits (0..16) of code, reversed (0 for length 0, code
 * below 2^16): two table loads. */
static inline unsigned dense_reverse_bits(unsigned code, unsigned length)
{
	unsigned reversed = (unsigned)dense_reversed_bytes[code & 0xff] << 8 |
			    dense_reversed_bytes[(code >> 8) & 0xff];

	return reversed >> (16 - length);
}

#endif
