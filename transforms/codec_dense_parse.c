/*
 * The dense encoder's match finder and parse. Positions of the page with 4
 * bytes left enter a hash table of one position per hash of the next 4
 * bytes (one page needs no window management), all but the inside of long
 * matches beyond their first DENSE_INSERT_LIMIT bytes. At each position
 * a match of 4 bytes or more at rep0 is taken at once; otherwise the
 * parse weighs the two repeat distances (cheap to send, common in arrays
 * of records) and the table's one earlier position, scoring each match
 * by the bits it saves over literals at a rough cost per symbol; lazy
 * evaluation then tries the next position and emits a literal instead
 * when the match there scores clearly better. One candidate per
 * position, not more: the search is most of the encoder's time, and more
 * candidates (4 per hash, in buckets of 2^10) gained 0.3 % (node) to 1.9
 * % (in-tree python) of ratio for 60 % more search time. Stretches
 * without a match are skimmed by a test of one branch a position, which
 * finds every position the search would take a match at, except for
 * matches at rep1 alone.
 */
#include <string.h>
#include "transforms/codec_dense_format.h"
#include "transforms/codec_dense_parse.h"

/* A match this long ends the search (longer ones are rare and cost little
 * to miss once found). */
#define DENSE_NICE_LENGTH 32u
/* Lazy evaluation only after a match shorter than this. */
#define DENSE_LAZY_BELOW 32u
/* At most this many positions of a match enter the table; of a rep0
 * match taken at once, fewer: its bytes repeat bytes just before it,
 * whose positions are in the table already (on the corpora 2 instead of
 * 8 cost 0.03 % of ratio on node and python and saved 2 to 3 % of the
 * encoder's instructions). */
#define DENSE_INSERT_LIMIT 8u
#define DENSE_REP0_INSERT_LIMIT 2u
/* After 2^DENSE_SKIP_SHIFT positions without a match in a row, the
 * search steps 2 positions, then 3 after as many more, and so on. */
#define DENSE_SKIP_SHIFT 4
/* Rough costs in bits, for scoring only: a literal, a symbol. */
#define DENSE_LITERAL_COST 8
#define DENSE_SYMBOL_COST 4
/* A match at rep1 pays a distance symbol, at rep0 none. */
#define DENSE_REP1_COST 2
/* The next position's match must score this much more to be preferred. */
#define DENSE_LAZY_MARGIN 1
/* A match at rep0 this long is taken at once: neither rep1, the table
 * nor the next position is tried. Most matches of program memory are at
 * rep0 (8 in 10 on node's pages: arrays of records), and one of 4 bytes
 * or more is rarely beaten: on the corpora the ratio moved by 0.03 to 0.6
 * % and the encoder's instructions went down by 4 to 12 %. */
#define DENSE_REP0_TAKEN_FROM 4u

struct dense_match {
	unsigned length;	/* 0: none */
	unsigned distance;	/* bytes back */
	unsigned symbol;	/* what the sequence stores (see the header) */
	int score;		/* bits saved over literals, roughly */
};

struct dense_finder {
	const uint8_t *in;
	const uint8_t *end;
	/* per hash, the last position entered with it. An empty slot
	 * reads as position 0, whose bytes are then tested like any
	 * other's: no test for "none". Such a test never finds a match:
	 * position 0 enters the table before any search, under the hash of
	 * its own bytes, so bytes equal to its own find its slot set. */
	uint16_t *table;
	size_t inserted;	/* positions below it are in the table */
	size_t hashable;	/* positions below it have 4 bytes left */
	unsigned rep0, rep1;
};

static inline uint32_t dense_load32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

static inline uint64_t dense_load64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return v;
}

/* The table slot of a position whose next 4 bytes are word. */
static inline unsigned dense_hash_word(uint32_t word)
{
	return (word * 2654435761u) >> (32 - CODEC_DENSE_HASH_BITS);
}

static inline unsigned dense_hash(const uint8_t *p)
{
	return dense_hash_word(dense_load32(p));
}

/* Bytes equal at a and b (b earlier), not reading past end. */
static inline unsigned dense_match_length(const uint8_t *a, const uint8_t *b,
					  const uint8_t *end)
{
	const uint8_t *start = a;

	while (a + 8 <= end) {
		uint64_t differ = dense_load64(a) ^ dense_load64(b);

		if (differ)
			return (unsigned)(a - start) +
			       (unsigned)__builtin_ctzll(differ) / 8;
		a += 8;
		b += 8;
	}
	while (a < end && *a == *b) {
		a++;
		b++;
	}
	return (unsigned)(a - start);
}

/* Enters positions up to (not including) limit, at most hashable, into
 * the table. */
static inline void dense_insert_below(struct dense_finder *f, size_t limit)
{
	while (f->inserted < limit) {
		f->table[dense_hash(f->in + f->inserted)] = (uint16_t)f->inserted;
		f->inserted++;
	}
}

/* Enters positions up to (not including) limit into the table, those
 * with 4 bytes left. */
static inline void dense_insert_until(struct dense_finder *f, size_t limit)
{
	dense_insert_below(f, limit < f->hashable ? limit : f->hashable);
}

/* Scores use dense_value_extra_bits (codec_dense_format.h): no branch,
 * where dense_bucket takes one on small values in no order a predictor
 * learns. */
static inline int dense_length_cost(unsigned length)
{
	return DENSE_SYMBOL_COST + (int)dense_value_extra_bits(length - DENSE_MIN_MATCH);
}

static inline unsigned dense_load16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, 2);
	return v;
}

/* The match at repeat distance rep (index 0 or 1) from here, if it beats
 * best. */
static inline __attribute__((always_inline)) void
dense_try_repeat(const struct dense_finder *f, const uint8_t *here,
		 size_t position, unsigned rep, unsigned index,
		 struct dense_match *best)
{
	unsigned length;
	int score;

	if (rep > position || dense_load16(here) != dense_load16(here - rep))
		return;
	length = dense_match_length(here, here - rep, f->end);
	score = DENSE_LITERAL_COST * (int)length - dense_length_cost(length) -
		(index ? DENSE_REP1_COST : 0);
	if (score > best->score)
		*best = (struct dense_match){ length, rep, index, score };
}

/* Whether match is one dense_find takes at once (a long one at rep0). */
static inline bool dense_rep0_taken(const struct dense_match *match)
{
	return match->symbol == DENSE_SEQUENCE_REP0 &&
	       match->length >= DENSE_REP0_TAKEN_FROM;
}

/* The best match at position (which has 2 bytes left), repeat distances
 * included, or at once a rep0 match of DENSE_REP0_TAKEN_FROM bytes or
 * more; enters position into the table if it is not yet (after a match
 * taken at once, the parse's next insertion does, as for every position
 * a match covers). Inlined in
 * both of the parse's calls: its call and the repeat distances' loop
 * were a tenth of its instructions. */
static inline __attribute__((always_inline)) struct dense_match
dense_find(struct dense_finder *f, size_t position)
{
	const uint8_t *here = f->in + position;
	struct dense_match best = { 0, 0, 0, 0 };
	unsigned head4, distance, length, slot;
	size_t earlier;
	int score;

	dense_try_repeat(f, here, position, f->rep0, 0, &best);
	if (best.length >= DENSE_REP0_TAKEN_FROM)
		return best;
	dense_try_repeat(f, here, position, f->rep1, 1, &best);
	if (position >= f->hashable)
		return best;
	dense_insert_until(f, position);
	head4 = dense_load32(here);
	slot = dense_hash_word(head4);
	earlier = f->table[slot];
	if (f->inserted == position) {
		f->table[slot] = (uint16_t)position;
		f->inserted++;
	}
	/* earlier is position itself only at position 0 */
	if (earlier >= position || best.length >= DENSE_NICE_LENGTH)
		return best;
	/* 4 bytes equal, and a longer match must differ from the best at
	 * its last byte */
	distance = (unsigned)(position - earlier);
	if (dense_load32(f->in + earlier) != head4 ||
	    (best.length &&
	     (here + best.length >= f->end ||
	      f->in[earlier + best.length] != here[best.length])) ||
	    distance == f->rep0 || distance == f->rep1)
		return best;
	length = dense_match_length(here + 4, f->in + earlier + 4, f->end) + 4;
	score = DENSE_LITERAL_COST * (int)length - dense_length_cost(length) -
		DENSE_SYMBOL_COST - 1 -
		(int)dense_value_extra_bits(distance - 1);
	if (score > best.score)
		best = (struct dense_match){ length, distance, distance + 1, score };
	return best;
}

/* Whether dense_find would find a match at position (which has 4 bytes
 * left and whose earlier positions are in the table) other than one at
 * rep1 alone, in one branch-free test: 2 bytes equal at rep0, or 4 at the
 * table's position (each gives a positive score). rep1 is left to the
 * positions searched: testing it here too cost 4 % of the encoder's
 * instructions, for blocks 0.02 (perl) to 0.11 % (sqlite) smaller
 * (node's were 0.02 % larger). *slot: the position's
 * hash. guarded: rep0 may reach before the page (only at its first
 * positions: the parse's own distances never do), and then tests the
 * page's start instead and does not count, and the table's position may
 * be this one (at position 0); a constant in each caller. */
static inline __attribute__((always_inline)) bool
dense_has_candidate(const struct dense_finder *f, size_t position,
		    unsigned *slot, bool guarded)
{
	const uint8_t *here = f->in + position;
	uint32_t head4 = dense_load32(here);
	unsigned rep0 = f->rep0;
	unsigned rep0_inside = !guarded || rep0 <= position;
	size_t earlier;

	*slot = dense_hash_word(head4);
	earlier = f->table[*slot];
	/* unsigned 0 or 1 each, combined without a branch */
	unsigned at_rep0 = rep0_inside &
			   (unsigned)(dense_load16(here - (rep0_inside ? rep0 : 0)) ==
				      (head4 & 0xffff));
	unsigned at_table = (!guarded || earlier < position) &
			    (unsigned)(dense_load32(f->in + earlier) == head4);

	return (at_rep0 | at_table) != 0;
}

/* Enters position, the next one the table lacks, under slot. */
static inline void dense_enter(struct dense_finder *f, size_t position,
			       unsigned slot)
{
	f->table[slot] = (uint16_t)position;
	f->inserted = position + 1;
}

/* Moves position on over positions where dense_find would find no match
 * (or one at rep1 alone: dense_has_candidate), entering each into the
 * table and stepping as dense_parse does over misses (*misses counts
 * them), while the position has 4 bytes left;
 * returns the first position with a candidate (not yet entered: a
 * dense_find there sees the table as if nothing had skimmed), or where it
 * stopped. One branch a position, where dense_find's scoring takes
 * several in patterns the data sets: about half of the positions
 * searched are misses, and each cost as much as a hit. */
static size_t dense_skim(struct dense_finder *f, size_t position,
			 unsigned *misses)
{
	size_t reach = f->rep0;
	unsigned slot;

	/* the page's first positions, where rep0 may reach before the
	 * page */
	while (position < f->hashable && position < reach) {
		dense_insert_until(f, position);
		if (dense_has_candidate(f, position, &slot, true))
			return position;
		dense_enter(f, position, slot);
		position += 1 + ((*misses)++ >> DENSE_SKIP_SHIFT);
	}
	/* the rest: position < hashable, so positions up to it enter the
	 * table without the bound dense_insert_until checks */
	while (position < f->hashable) {
		dense_insert_below(f, position);
		if (dense_has_candidate(f, position, &slot, false))
			return position;
		dense_enter(f, position, slot);
		position += 1 + ((*misses)++ >> DENSE_SKIP_SHIFT);
	}
	return position;
}

size_t dense_parse(struct codec_workspace *workspace, const uint8_t *in,
		   size_t length)
{
	struct codec_dense_sequence *sequences = workspace->dense.sequences;
	struct dense_finder finder = {
		.in = in,
		.end = in + length,
		.table = workspace->dense.table,
		.inserted = 0,
		.hashable = length >= 4 ? length - 3 : 0,
		.rep0 = DENSE_REP0_START,
		.rep1 = DENSE_REP1_START,
	};
	size_t count = 0, anchor = 0, position = 0;
	unsigned misses = 0;

	memset(workspace->dense.table, 0, sizeof(workspace->dense.table));
	/* the last sequence slot is kept for the final literals */
	while (position + DENSE_MIN_MATCH <= length &&
	       count < CODEC_DENSE_MAX_SEQUENCES - 1) {
		struct dense_match match, next;
		unsigned insert_limit;

		position = dense_skim(&finder, position, &misses);
		if (position + DENSE_MIN_MATCH > length)
			break;
		match = dense_find(&finder, position);

		if (match.score <= 0) {
			/* a long stretch without matches is searched sparsely */
			position += 1 + (misses++ >> DENSE_SKIP_SHIFT);
			continue;
		}
		misses = 0;
		/* lazy: a literal here if the next position does better */
		while (match.length < DENSE_LAZY_BELOW &&
		       !dense_rep0_taken(&match) &&
		       position + 1 + DENSE_MIN_MATCH <= length) {
			next = dense_find(&finder, position + 1);
			if (next.score <= match.score + DENSE_LAZY_MARGIN)
				break;
			position++;
			match = next;
		}
		sequences[count].literals = (uint16_t)(position - anchor);
		sequences[count].length = (uint16_t)match.length;
		sequences[count].distance = (uint16_t)match.symbol;
		count++;
		if (match.symbol == DENSE_SEQUENCE_REP1) {
			finder.rep1 = finder.rep0;
			finder.rep0 = match.distance;
		} else if (match.symbol != DENSE_SEQUENCE_REP0) {
			finder.rep1 = finder.rep0;
			finder.rep0 = match.distance;
		}
		/* the inside of a long match enters the table only in part
		 * (runs and copies add little the search would use) */
		insert_limit = dense_rep0_taken(&match) ? DENSE_REP0_INSERT_LIMIT :
							  DENSE_INSERT_LIMIT;
		if (match.length > insert_limit) {
			dense_insert_until(&finder, position + insert_limit);
			if (finder.inserted < position + match.length)
				finder.inserted = position + match.length;
		}
		position += match.length;
		anchor = position;
	}
	sequences[count].literals = (uint16_t)(length - anchor);
	sequences[count].length = 0;
	sequences[count].distance = 0;
	return count + 1;
}
