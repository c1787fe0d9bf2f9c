/*
 * codec: the page codecs (same-filled, WKdm, LZ4 block format) behind one
 * small ops table, and the adaptive choice that picks among them per page.
 * Codecs are portable C (host and kernel) with no allocation: encoders get
 * their scratch memory from the caller as a struct codec_workspace.
 *
 * Two kinds of output:
 * - a codec's own payload (codec_lz4 writes a plain LZ4 block that liblz4
 *   decodes, codec_wkdm its packed words, codec_samefill the one word);
 * - a sealed page (codec_seal, the xf transforms of xf_codec.c): a bare LZ4
 *   block (first byte CODEC_SEALED_LZ4_FIRST or more), or one header byte
 *   naming the codec (enum codec_id, below 0x10) followed by that codec's
 *   payload or by the raw bytes. A sealed page is at most in_length + 1
 *   bytes.
 *
 * Results are the xf ones (transforms/xf.h): XF_OK, XF_NO_SPACE when the
 * output would not fit out_capacity, XF_REFUSED when a codec does not apply
 * to this input (a page that is not same-filled, a length it does not
 * handle), XF_CORRUPT when a decoder meets bytes it did not write.
 * Decoders never read past in + in_length nor write past out + out_capacity,
 * whatever the bytes, and run in time linear in in_length + out_capacity.
 */
#ifndef VEIL_TRANSFORMS_CODEC_H
#define VEIL_TRANSFORMS_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "transforms/xf.h"

#define CODEC_PAGE_BYTES XF_PAGE_BYTES
/* The header byte of a sealed page that is not a bare LZ4 block. */
#define CODEC_HEADER_BYTES 1u
/* A sealed page whose first byte is this or more is a bare LZ4 block: the
 * first token of a block of a non-empty input announces at least one
 * literal (high nibble), so it never collides with a header byte. */
#define CODEC_SEALED_LZ4_FIRST 0x10u
/* Longest sealed form of a page: header + raw page. */
#define CODEC_SEALED_MAX (CODEC_PAGE_BYTES + CODEC_HEADER_BYTES)
/* Longest payload any codec writes for in_length bytes (LZ4 needs
 * n + n/255 + 16, WKdm n + n/16): capacity that never gives XF_NO_SPACE. */
#define CODEC_BOUND(n) ((n) + (n) / 16 + 64)
/* Longest LZ4 block for n input bytes (all literals) with slack: with
 * this much room the encoder makes no output checks (and is faster). */
#define CODEC_LZ4_WORST(n) ((n) + (n) / 255 + 16)
/* LZ4 encodes inputs up to this length (16-bit positions in its table). */
#define CODEC_LZ4_MAX_INPUT 65536u
#define CODEC_LZ4_HASH_BITS 13
/* The dense codec's match finder: a hash table of 4-byte prefixes; and room
 * for its parse of one page: corpus pages need at most about 520 steps, a
 * page that would need more than this many (the pathological one: a short
 * match every 4 bytes) keeps the rest of its bytes as literals. */
#define CODEC_DENSE_HASH_BITS 12
#define CODEC_DENSE_MAX_SEQUENCES 1024
#define CODEC_DENSE_CODE_LENGTHS 354	/* literal, run, match, distance symbols */
/* The longest dense block the encoder writes (longer ones: XF_NO_SPACE). */
#define CODEC_DENSE_STAGING_BYTES CODEC_BOUND(CODEC_PAGE_BYTES)

/* One step of the dense parse: literals copied from the input, then a
 * match (length 0 for the last step, which has literals only). distance is
 * 0 or 1 for the repeat distances, else the distance + 1. */
struct codec_dense_sequence {
	uint16_t literals;
	uint16_t length;
	uint16_t distance;
};

/* What the dense encoder builds one code with (codec_dense_huffman.c):
 * the used symbols' keys (frequency and symbol), sorted by frequency and
 * then turned into code lengths; the sort's other buffer, then the symbol
 * of each rank; and the used symbols in symbol order, which their
 * canonical codes follow. */
struct codec_dense_huffman_scratch {
	uint32_t keys[CODEC_DENSE_CODE_LENGTHS];
	uint32_t temp[CODEC_DENSE_CODE_LENGTHS];
	uint16_t symbols[CODEC_DENSE_CODE_LENGTHS];
};

/* The header byte of a sealed page: which codec made the payload. Values
 * are stored in sealed pages: never renumber, only add, and stay below
 * CODEC_SEALED_LZ4_FIRST (5..15 are free). */
enum codec_id {
	CODEC_ID_RAW = 0,	/* payload is the input bytes */
	CODEC_ID_SAMEFILL = 1,	/* payload is the 8-byte word the page repeats */
	CODEC_ID_WKDM = 2,	/* payload is a WKdm page */
	CODEC_ID_LZ4 = 3,	/* payload is an LZ4 block (read, no longer
				 * written: LZ4 pages are sealed bare) */
	CODEC_ID_DENSE = 4,	/* payload is a dense block (codec_dense*.c) */
	CODEC_ID_COUNT,
	/* Not a header value: the codec table's entry for the adaptive choice,
	 * whose output is itself a sealed page. */
	CODEC_ID_ADAPTIVE = 0x80,
};

/* Scratch memory of encode calls; the caller keeps one per CPU or per
 * thread (about 45 KiB), zeroed before first use. Nothing in it carries
 * from one call to the next (the LZ4 table is cleared by each call that
 * uses it, codec_lz4.c), but it keeps what the last call left there until
 * overwritten. */
struct codec_workspace {
	/* LZ4: per hash, the last position with that hash (cleared for
	 * each input) */
	uint16_t lz4_table[1u << CODEC_LZ4_HASH_BITS];
	union {
		/* WKdm's areas before packing (codec_wkdm.c) */
		struct {
			uint32_t misses[CODEC_PAGE_BYTES / 4];
			uint16_t lows[CODEC_PAGE_BYTES / 4];
			uint8_t indices[CODEC_PAGE_BYTES / 4];
			uint8_t tags[CODEC_PAGE_BYTES / 16];
		} wkdm;
		/* the dense encoder's match finder, parse and codes
		 * (codec_dense*.c); nothing carried between calls */
		struct {
			union {
				/* the parse: per hash, the last position
				 * with it (0 also when none; 8 KiB) */
				uint16_t table[1u << CODEC_DENSE_HASH_BITS];
				/* then the codes' construction: */
				struct {
					struct codec_dense_huffman_scratch huffman;
					/* code lengths run-length coded:
					 * symbol, extra bits */
					uint8_t runs[CODEC_DENSE_CODE_LENGTHS][2];
					/* the block as written, copied out
					 * once complete (the writer spills
					 * up to 7 bytes past its end) */
					uint8_t staging[CODEC_DENSE_STAGING_BYTES + 8];
				};
			};
			struct codec_dense_sequence sequences[CODEC_DENSE_MAX_SEQUENCES];
			uint32_t frequencies[CODEC_DENSE_CODE_LENGTHS];
			/* the parse's literals in order, gathered for
			 * counting and writing (16 bytes of slack) */
			uint8_t literals[CODEC_PAGE_BYTES + 16];
			/* literals k with k mod 4 = 0..3 (each lane's
			 * bits; two lanes take 0 + 2 and 1 + 3) */
			uint32_t literal_frequencies[4][256];
			uint16_t codes[CODEC_DENSE_CODE_LENGTHS];
			uint8_t lengths[CODEC_DENSE_CODE_LENGTHS];
		} dense;
	};
	/* the adaptive choice encodes its second candidate here */
	uint8_t candidate[CODEC_PAGE_BYTES + 64] __attribute__((aligned(8)));
};

struct codec_ops {
	const char *name;
	uint8_t id;		/* enum codec_id */
	/* Encodes in_length bytes at in into out (at most out_capacity),
	 * setting *out_length. XF_REFUSED: the codec does not apply. */
	int (*encode)(struct codec_workspace *workspace, const void *in,
		      size_t in_length, void *out, size_t out_capacity,
		      size_t *out_length);
	/* Decodes in_length bytes at in into out, at most out_capacity bytes,
	 * setting *out_length to the decoded length. */
	int (*decode)(const void *in, size_t in_length, void *out,
		      size_t out_capacity, size_t *out_length);
};

/* The codecs (codec_samefill.c, codec_wkdm.c, codec_lz4*.c,
 * codec_adaptive.c). */
extern const struct codec_ops codec_samefill;
extern const struct codec_ops codec_wkdm;
extern const struct codec_ops codec_lz4;
extern const struct codec_ops codec_adaptive;
extern const struct codec_ops codec_dense;

/* Every codec, in a fixed order, NULL-terminated (codec.c). */
extern const struct codec_ops *const codec_table[];
/* By name or header id; NULL if there is none. */
const struct codec_ops *codec_by_name(const char *name);
const struct codec_ops *codec_by_id(unsigned id);

/* Payload-level entry points, for callers that know which codec they want. */
bool codec_samefill_word(const void *page, size_t length, uint64_t *word);
int codec_lz4_encode(struct codec_workspace *workspace, const void *in,
		     size_t in_length, void *out, size_t out_capacity,
		     size_t *out_length);
int codec_lz4_decode(const void *in, size_t in_length, void *out,
		     size_t out_capacity, size_t *out_length);
int codec_wkdm_encode(struct codec_workspace *workspace, const void *in,
		      size_t in_length, void *out, size_t out_capacity,
		      size_t *out_length);
/* As codec_wkdm_encode, but gives up (XF_NO_SPACE) as soon as the page
 * read so far, a quarter of it or more, projects to well over out_capacity
 * (up to 3/10 over a quarter of the way in, less further on): for a caller
 * that only wants WKdm if it beats a size, at the cost of rare wins lost. */
int codec_wkdm_try(struct codec_workspace *workspace, const void *in,
		   size_t in_length, void *out, size_t out_capacity,
		   size_t *out_length);
int codec_wkdm_decode(const void *in, size_t in_length, void *out,
		      size_t out_capacity, size_t *out_length);
/* The dense codec (LZ77 with a 4 KiB window and canonical Huffman codes,
 * docs/compression.md): inputs of 1 to CODEC_PAGE_BYTES bytes, others
 * XF_REFUSED. Slower than LZ4, for pages that stay sealed. */
int codec_dense_encode(struct codec_workspace *workspace, const void *in,
		       size_t in_length, void *out, size_t out_capacity,
		       size_t *out_length);
int codec_dense_decode(const void *in, size_t in_length, void *out,
		       size_t out_capacity, size_t *out_length);

/* Which codecs codec_seal may use: a bit (1u << enum codec_id) each; raw is
 * always allowed. */
#define CODEC_ALLOW(id) (1u << (id))
#define CODEC_ALLOW_ALL                                                        \
	(CODEC_ALLOW(CODEC_ID_SAMEFILL) | CODEC_ALLOW(CODEC_ID_WKDM) |         \
	 CODEC_ALLOW(CODEC_ID_LZ4))

/*
 * Seals in_length bytes: the smallest form among the allowed codecs (an LZ4
 * block bare, any other payload after its header byte), or the raw bytes
 * after header 0 when none is smaller. The output is at most in_length +
 * CODEC_HEADER_BYTES bytes; XF_NO_SPACE only when out_capacity is below
 * what this input needed.
 */
int codec_seal(struct codec_workspace *workspace, unsigned allowed,
	       const void *in, size_t in_length, void *out,
	       size_t out_capacity, size_t *out_length);
/* Unseals any sealed form, whichever codec made it. */
int codec_unseal(const void *in, size_t in_length, void *out,
		 size_t out_capacity, size_t *out_length);

#endif
