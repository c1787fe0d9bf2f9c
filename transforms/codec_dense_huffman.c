/*
 * Code lengths and canonical codes for the dense encoder. Lengths come from
 * the in-place minimum-redundancy construction of Moffat and Katajainen
 * (symbols sorted by frequency, one array, no tree nodes, no allocation),
 * then, when the deepest code exceeds the limit, from redistributing the
 * counts per length: overlong codes are cut to the limit and the Kraft sum
 * is brought back to one by moving codes one level down, taking from the
 * deepest level that still has room. The rarest symbols get the longest
 * codes.
 */
#include <string.h>
#include "transforms/codec_dense_huffman.h"

#define HUFFMAN_SYMBOL_BITS 9u
#define HUFFMAN_SYMBOL_MASK ((1u << HUFFMAN_SYMBOL_BITS) - 1)
#define HUFFMAN_MAX_LIMIT 15u
/* Up to this many keys are sorted by insertion. */
#define HUFFMAN_INSERTION_MAX 32u

#define DENSE_R2(n) n, n + 2 * 64, n + 1 * 64, n + 3 * 64
#define DENSE_R4(n) DENSE_R2(n), DENSE_R2(n + 2 * 16), DENSE_R2(n + 1 * 16), DENSE_R2(n + 3 * 16)
#define DENSE_R6(n) DENSE_R4(n), DENSE_R4(n + 2 * 4), DENSE_R4(n + 1 * 4), DENSE_R4(n + 3 * 4)
const uint8_t dense_reversed_bytes[256] = {
	DENSE_R6(0), DENSE_R6(2), DENSE_R6(1), DENSE_R6(3),
};

/* One stable pass of a radix sort: from[0..count) into to, by the byte at
 * shift, whose values are below buckets (at most 256): only that many
 * counts are cleared and summed. */
static void huffman_radix_pass(const uint32_t *from, uint32_t *to,
			       unsigned count, unsigned shift, unsigned buckets)
{
	unsigned offsets[256], sum = 0;

	memset(offsets, 0, buckets * sizeof(offsets[0]));
	for (unsigned i = 0; i < count; i++)
		offsets[(from[i] >> shift) & 0xff]++;
	for (unsigned d = 0; d < buckets; d++) {
		unsigned here = offsets[d];

		offsets[d] = sum;
		sum += here;
	}
	for (unsigned i = 0; i < count; i++)
		to[offsets[(from[i] >> shift) & 0xff]++] = from[i];
}

/* Sorts keys[0..count) ascending by their frequency field (bits 9..24),
 * keeping the order of equal ones: passes of a byte-wide radix sort
 * through temp (keys arrive in symbol order), one when every frequency is
 * below 256 (most pages), else two. frequencies_or: the frequencies ORed
 * together, below 256 exactly when each one is. */
static void huffman_sort(uint32_t *keys, uint32_t *temp, unsigned count,
			 uint32_t frequencies_or)
{
	if (count <= HUFFMAN_INSERTION_MAX) {
		/* few keys (distances, the code-length code): insertion sort
		 * costs less than clearing the counts; the symbol in the low
		 * bits keeps equal frequencies in symbol order, as below */
		for (unsigned i = 1; i < count; i++) {
			uint32_t key = keys[i];
			unsigned j = i;

			while (j > 0 && keys[j - 1] > key) {
				keys[j] = keys[j - 1];
				j--;
			}
			keys[j] = key;
		}
		return;
	}

	if (frequencies_or < 256) {
		/* every frequency is below the power of two above their OR:
		 * a page's are mostly small, and 256 counts cost more to
		 * clear and sum than the keys to place */
		unsigned buckets = 2u << (31 - __builtin_clz(frequencies_or | 1));

		huffman_radix_pass(keys, temp, count, HUFFMAN_SYMBOL_BITS, buckets);
		memcpy(keys, temp, count * sizeof(uint32_t));
		return;
	}
	huffman_radix_pass(keys, temp, count, HUFFMAN_SYMBOL_BITS, 256);
	huffman_radix_pass(temp, keys, count, HUFFMAN_SYMBOL_BITS + 8, 256);
}

/* Depths a tree of dense_huffman_build's reaches, at most: its weights
 * sum below 2^16 * CODEC_DENSE_CODE_LENGTHS < 2^25, and a leaf at depth d
 * needs a total weight of at least the Fibonacci number F(d + 2) (F(38)
 * is above 2^25), so depths stay below 37. */
#define HUFFMAN_DEPTHS 40u
_Static_assert((uint64_t)CODEC_DENSE_CODE_LENGTHS << 16 < 1u << 25,
	       "the weights of a build sum below 2^25 (HUFFMAN_DEPTHS)");

/* a[0..n) ascending weights summing below 2^25, n >= 2: sets leaves[d]
 * to the number of leaves at depth d of an optimal prefix code's tree
 * (the code lengths' counts) for d up to the returned deepest depth; a
 * is overwritten. Two passes over one array build the tree with parent
 * indices in place and turn parents into depths; the leaves per depth
 * then follow from the internal nodes per depth (a depth's nodes are
 * twice the internal ones above it), with no pass per depth. */
static unsigned huffman_leaves_per_depth(uint32_t *a, unsigned n,
					 unsigned *leaves)
{
	unsigned internal[2][HUFFMAN_DEPTHS] = { { 0 } };
	unsigned leaf = 2, root = 0, next, deepest, nodes = 1;

	a[0] += a[1];
	for (next = 1; next < n - 1; next++) {
		/* first child: the lighter of the next leaf and next node */
		if (leaf >= n || a[root] < a[leaf]) {
			a[next] = a[root];
			a[root++] = next;
		} else {
			a[next] = a[leaf++];
		}
		/* second child */
		if (leaf >= n || (root < next && a[root] < a[leaf])) {
			a[next] += a[root];
			a[root++] = next;
		} else {
			a[next] += a[leaf++];
		}
	}
	/* internal nodes: parent index -> depth (root n - 2 has depth 0;
	 * a node's depth is at least that of any node made after it) */
	a[n - 2] = 0;
	for (int i = (int)n - 3; i >= 0; i--)
		a[i] = a[a[i]] + 1;
	/* two histograms: neighbours often share a depth, and one would
	 * chain their increments through memory */
	for (next = 0; next + 1 < n - 1; next += 2) {
		internal[0][a[next]]++;
		internal[1][a[next + 1]]++;
	}
	if (next < n - 1)
		internal[0][a[next]]++;
	deepest = a[0] + 1;
	for (unsigned d = 0; d <= deepest; d++) {
		unsigned inner = internal[0][d] + internal[1][d];

		leaves[d] = nodes - inner;
		nodes = 2 * inner;
	}
	return deepest;
}

/* Sets codes[s] of each used symbol (symbols[0..used), in symbol order)
 * to its canonical code, bit-reversed, from its length and per_length, the
 * number of codes of each length: codes of one length follow each other
 * in symbol order, after all shorter ones. Unused symbols are skipped,
 * where dense_huffman_codes walks the whole alphabet: most of a page's
 * alphabets are unused (on node's pages 146 symbols in 375). */
static void huffman_used_codes(const uint16_t *symbols, unsigned used,
			       const uint8_t *lengths,
			       const unsigned *per_length, unsigned max_bits,
			       uint16_t *codes)
{
	unsigned cursors[HUFFMAN_MAX_LIMIT + 1], code = 0;

	for (unsigned l = 1; l <= max_bits; l++) {
		cursors[l] = code;
		code = (code + per_length[l]) << 1;
	}
	for (unsigned i = 0; i < used; i++) {
		unsigned s = symbols[i], length = lengths[s];

		codes[s] = (uint16_t)dense_reverse_bits(cursors[length]++, length);
	}
}

unsigned dense_huffman_build(const uint32_t *frequencies, unsigned count,
			     unsigned max_bits,
			     struct codec_dense_huffman_scratch *scratch,
			     uint8_t *lengths, uint16_t *codes)
{
	uint32_t *keys = scratch->keys, *temp = scratch->temp;
	uint16_t *symbols = scratch->symbols;
	unsigned used = 0, per_length[HUFFMAN_MAX_LIMIT + 1] = { 0 };
	unsigned leaves[HUFFMAN_DEPTHS], deepest, next, length;
	uint8_t boundaries[CODEC_DENSE_CODE_LENGTHS + 1];
	uint32_t kraft = 0, full = 1u << max_bits, frequencies_or = 0;

	/* no branch on which symbols are used (about half the literals
	 * of a page are, in no order a predictor learns): each writes its
	 * key and itself, and only a used one moves the end on */
	memset(lengths, 0, count);
	for (unsigned s = 0; s < count; s++) {
		keys[used] = frequencies[s] << HUFFMAN_SYMBOL_BITS | s;
		symbols[used] = (uint16_t)s;
		used += frequencies[s] != 0;
		frequencies_or |= frequencies[s];
	}
	if (used == 0)
		return 0;
	if (used == 1) {
		lengths[symbols[0]] = 1;
		codes[symbols[0]] = 0;
		return 1;
	}
	huffman_sort(keys, temp, used, frequencies_or);
	/* temp: the symbol of rank i, kept while the weights become lengths */
	for (unsigned i = 0; i < used; i++) {
		temp[i] = keys[i] & HUFFMAN_SYMBOL_MASK;
		keys[i] >>= HUFFMAN_SYMBOL_BITS;
	}
	deepest = huffman_leaves_per_depth(keys, used, leaves);
	for (unsigned d = 1; d <= deepest; d++) {
		unsigned length = d > max_bits ? max_bits : d;

		per_length[length] += leaves[d];
		kraft += leaves[d] * (full >> length);
	}
	/* over-full after cutting: move codes down a level */
	while (kraft > full) {
		per_length[max_bits]--;
		kraft -= 1;
		for (unsigned l = max_bits - 1; l > 0; l--) {
			if (per_length[l]) {
				per_length[l]--;
				per_length[l + 1] += 2;
				break;
			}
		}
	}
	/* the rarest symbols (lowest ranks) take the longest codes: each
	 * length's first rank is marked, and one pass over the ranks
	 * steps down a length at each mark (a loop per length missed its
	 * exit at every length) */
	memset(boundaries, 0, used + 1);
	next = 0;
	for (unsigned l = max_bits; l > 1; l--) {
		next += per_length[l];
		boundaries[next]++;
	}
	length = max_bits;
	for (unsigned i = 0; i < used; i++) {
		length -= boundaries[i];
		lengths[temp[i]] = (uint8_t)length;
	}
	huffman_used_codes(symbols, used, lengths, per_length, max_bits, codes);
	return used;
}

void dense_huffman_codes(const uint8_t *lengths, unsigned count,
			 uint16_t *codes)
{
	/* The symbols are cut into four consecutive quarters, each with a
	 * histogram and a cursor per length of its own (quarter q's codes of
	 * a length follow the earlier quarters'), so that four independent
	 * chains of increments take the place of one: consecutive symbols of
	 * one length would otherwise each wait for the previous increment's
	 * store. Length 0 has cursors too, and no branch: its codes reverse
	 * 0 bits, which gives 0. */
	uint16_t histograms[4][HUFFMAN_MAX_LIMIT + 1] = { { 0 } };
	uint16_t cursors[4][HUFFMAN_MAX_LIMIT + 1];
	unsigned quarter = count / 4, code = 0, k;

	for (k = 0; k < quarter; k++) {
		histograms[0][lengths[k]]++;
		histograms[1][lengths[k + quarter]]++;
		histograms[2][lengths[k + 2 * quarter]]++;
		histograms[3][lengths[k + 3 * quarter]]++;
	}
	for (k = 4 * quarter; k < count; k++)
		histograms[3][lengths[k]]++;
	for (unsigned q = 0; q < 4; q++)
		cursors[q][0] = 0;
	for (unsigned l = 1; l <= HUFFMAN_MAX_LIMIT; l++) {
		for (unsigned q = 0; q < 4; q++) {
			cursors[q][l] = (uint16_t)code;
			code += histograms[q][l];
		}
		code <<= 1;
	}
	for (k = 0; k < quarter; k++) {
		for (unsigned q = 0; q < 4; q++) {
			unsigned s = k + q * quarter, length = lengths[s];

			codes[s] = (uint16_t)dense_reverse_bits(cursors[q][length]++,
								length);
		}
	}
	for (k = 4 * quarter; k < count; k++)
		codes[k] = (uint16_t)dense_reverse_bits(cursors[3][lengths[k]]++,
							lengths[k]);
}
