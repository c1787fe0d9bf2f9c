/*
 * Reverse-map design "family" (mm/rmap_ops.h), object based in the manner
 * of Linux's anon_vma: the spaces of one fork lineage are members of one
 * family, and a shared frame's record names its family instead of listing
 * its mappings: {frame, va, family, which members map it, how many}. Who
 * maps a frame is its family's members whose bit the record has set; a
 * fork that shares many frames adds the child to the family once and
 * sets one bit per frame, where chains adds one mapping block per frame.
 *
 * A member is dropped as soon as no frame record has its bit set, so a
 * family never holds a space that maps none of its frames: a space that
 * is gone (its mappings all removed before vmm_space_destroy) is never a
 * member, and members' space pointers are only compared, never followed.
 * A family is referenced by the frame records that name it and goes with
 * the last. It has at most 64 members (a bit each); a share into a frame
 * whose family is full moves that frame to a family with room.
 *
 * Locking: the front's rmap_lock is held in every op; blocks come from
 * the front's spare and go back to it as garbage.
 */
#include <stddef.h>
#include <stdint.h>
#include "mm/rmap.h"
#include "mm/rmap_ops.h"

#define RMAP_FAMILY_BUCKETS 1024u
#define RMAP_FAMILY_SPACE_BUCKETS 256u
#define RMAP_FAMILY_SLOTS 64u

struct rmap_family;

struct rmap_family_member {
	struct rmap_family_member *next;	/* in its family */
	struct rmap_family_member *hash_next;	/* in its space's bucket */
	struct rmap_family *family;
	const struct vmm_space *space;		/* compared, never followed */
	unsigned slot;				/* its bit in frame records */
	unsigned frames;			/* records with that bit set */
};

struct rmap_family {
	struct rmap_family_member *members;
	uint64_t slots;			/* bit i: a member has slot i */
	unsigned records;		/* frame records naming it */
};

struct rmap_family_record {
	struct rmap_family_record *next;	/* in its bucket */
	uint64_t frame;
	uintptr_t va;
	struct rmap_family *family;
	uint64_t mappers;		/* slots of the members that map it */
	unsigned mapcount;		/* bits in mappers, >= 2 */
};

_Static_assert(sizeof(struct rmap_family_member) <= RMAP_BLOCK_SIZE &&
	       sizeof(struct rmap_family) <= RMAP_BLOCK_SIZE &&
	       sizeof(struct rmap_family_record) <= RMAP_BLOCK_SIZE,
	       "a family object fits a block");
_Static_assert(RMAP_MAPPINGS_MAX <= RMAP_FAMILY_SLOTS,
	       "a frame's mappers fit one family");

static struct rmap_family_record *rmap_family_buckets[RMAP_FAMILY_BUCKETS];
static struct rmap_family_member *rmap_family_spaces[RMAP_FAMILY_SPACE_BUCKETS];
static uint64_t rmap_family_frame_count;

static struct rmap_family_record **rmap_family_bucket(uint64_t frame)
{
	return &rmap_family_buckets[(frame ^ (frame >> 10)) % RMAP_FAMILY_BUCKETS];
}

static struct rmap_family_member **rmap_family_space_bucket(const struct vmm_space *space)
{
	uintptr_t key = (uintptr_t)space;

	return &rmap_family_spaces[(key ^ (key >> 12)) % RMAP_FAMILY_SPACE_BUCKETS];
}

static struct rmap_family_record *rmap_family_lookup(uint64_t frame)
{
	for (struct rmap_family_record *record = *rmap_family_bucket(frame);
	     record; record = record->next) {
		if (record->frame == frame)
			return record;
	}
	return NULL;
}

/* space's member of family, or NULL. */
static struct rmap_family_member *rmap_family_member_of(struct rmap_family *family,
							const struct vmm_space *space)
{
	for (struct rmap_family_member *member = family->members; member;
	     member = member->next) {
		if (member->space == space)
			return member;
	}
	return NULL;
}

/* Free slots of family (the kernel has no popcount helper to call). */
static unsigned rmap_family_free_slots(const struct rmap_family *family)
{
	unsigned used = 0;

	for (uint64_t slots = family->slots; slots; slots &= slots - 1)
		used++;
	return RMAP_FAMILY_SLOTS - used;
}

/* Makes space a member of family (a block from spare; a free slot). */
static struct rmap_family_member *rmap_family_join(struct rmap_family *family,
						   const struct vmm_space *space,
						   struct rmap_spare *spare)
{
	struct rmap_family_member *member = rmap_spare_take(spare);

	member->family = family;
	member->space = space;
	member->slot = (unsigned)__builtin_ctzll(~family->slots);
	family->slots |= 1ull << member->slot;
	member->next = family->members;
	family->members = member;
	member->hash_next = *rmap_family_space_bucket(space);
	*rmap_family_space_bucket(space) = member;
	return member;
}

/* space's member of family, made if it has none. */
static struct rmap_family_member *rmap_family_member_get(struct rmap_family *family,
							 const struct vmm_space *space,
							 struct rmap_spare *spare)
{
	struct rmap_family_member *member = rmap_family_member_of(family, space);

	return member ? member : rmap_family_join(family, space, spare);
}

/* One record fewer has member's bit: a member mapping none of the
 * family's frames leaves it (its space may be gone soon). */
static void rmap_family_member_put(struct rmap_family_member *member,
				   struct rmap_spare *spare)
{
	if (--member->frames != 0)
		return;
	struct rmap_family *family = member->family;
	struct rmap_family_member **link = &family->members;
	while (*link != member)
		link = &(*link)->next;
	*link = member->next;
	link = rmap_family_space_bucket(member->space);
	while (*link != member)
		link = &(*link)->hash_next;
	*link = member->hash_next;
	family->slots &= ~(1ull << member->slot);
	rmap_spare_discard(spare, member);
}

/* Sets member's bit in record. */
static void rmap_family_mark(struct rmap_family_record *record,
			     struct rmap_family_member *member)
{
	record->mappers |= 1ull << member->slot;
	record->mapcount++;
	member->frames++;
}

/* The member of record's family with slot, which the family has. */
static struct rmap_family_member *rmap_family_slot_member(struct rmap_family_record *record,
							  unsigned slot)
{
	struct rmap_family_member *member = record->family->members;

	while (member->slot != slot)
		member = member->next;
	return member;
}

/* A family for a frame mapped by spaces[0..count): one of spaces[0]'s
 * families with room for those of them not yet members, or NULL. */
static struct rmap_family *rmap_family_with_room(const struct vmm_space *const *spaces,
						 unsigned count)
{
	for (struct rmap_family_member *candidate = *rmap_family_space_bucket(spaces[0]);
	     candidate; candidate = candidate->hash_next) {
		if (candidate->space != spaces[0])
			continue;
		unsigned missing = 0;
		for (unsigned i = 1; i < count; i++)
			missing += !rmap_family_member_of(candidate->family, spaces[i]);
		if (missing <= rmap_family_free_slots(candidate->family))
			return candidate->family;
	}
	return NULL;
}

/* A new record of frame at va in family (blocks from spare), no mapper. */
static struct rmap_family_record *rmap_family_insert(uint64_t frame, uintptr_t va,
						     struct rmap_family *family,
						     struct rmap_spare *spare)
{
	struct rmap_family_record *record = rmap_spare_take(spare);

	record->frame = frame;
	record->va = va;
	record->family = family;
	family->records++;
	record->next = *rmap_family_bucket(frame);
	*rmap_family_bucket(frame) = record;
	rmap_family_frame_count++;
	return record;
}

/* Unlinks record, drops its mappers' bits and its family reference, and
 * gives what is left unused to spare's garbage. */
static void rmap_family_drop(struct rmap_family_record *record,
			     struct rmap_spare *spare)
{
	struct rmap_family_record **link = rmap_family_bucket(record->frame);
	struct rmap_family *family = record->family;

	while (*link != record)
		link = &(*link)->next;
	*link = record->next;
	rmap_family_frame_count--;
	while (record->mappers) {
		unsigned slot = (unsigned)__builtin_ctzll(record->mappers);
		record->mappers &= record->mappers - 1;
		rmap_family_member_put(rmap_family_slot_member(record, slot), spare);
	}
	if (--family->records == 0)	/* its members left with their bits */
		rmap_spare_discard(spare, family);
	rmap_spare_discard(spare, record);
}

/* Contract: mm/rmap_ops.h, put_need. */
static unsigned rmap_family_put_need(unsigned count)
{
	return 2 + count;	/* record, family, a member per mapping */
}

/* Contract: mm/rmap_ops.h, put. */
static void rmap_family_put(const struct rmap_entry *entry,
			    struct rmap_spare *spare)
{
	struct rmap_family *family = rmap_family_with_room(entry->spaces,
							   entry->count);

	if (!family)
		family = rmap_spare_take(spare);
	struct rmap_family_record *record =
		rmap_family_insert(entry->frame, entry->va, family, spare);
	for (unsigned i = 0; i < entry->count; i++)
		rmap_family_mark(record, rmap_family_member_get(family,
								entry->spaces[i],
								spare));
}

/* Lists record's mappers into spaces (room for RMAP_MAPPINGS_MAX). */
static unsigned rmap_family_list(struct rmap_family_record *record,
				 const struct vmm_space **spaces)
{
	unsigned count = 0;

	for (struct rmap_family_member *member = record->family->members;
	     member; member = member->next) {
		if (record->mappers & (1ull << member->slot))
			spaces[count++] = member->space;
	}
	return count;
}

/* to joins a known frame whose family is full: the frame's record moves
 * to a family with room for all its mappers and to. */
static int rmap_family_rehome(struct rmap_family_record *record,
			      const struct vmm_space *to,
			      struct rmap_spare *spare)
{
	const struct vmm_space *spaces[RMAP_MAPPINGS_MAX];
	struct rmap_entry entry = {
		.frame = record->frame, .va = record->va, .spaces = spaces,
		.capacity = RMAP_MAPPINGS_MAX,
	};
	unsigned need = rmap_family_put_need(record->mapcount + 1);

	if (spare->count < need) {
		spare->need = need;
		return RMAP_AGAIN;
	}
	entry.count = rmap_family_list(record, spaces);
	spaces[entry.count++] = to;	/* the front keeps count <= the max */
	rmap_family_drop(record, spare);
	rmap_family_put(&entry, spare);
	return RMAP_OK;
}

/* Contract: mm/rmap_ops.h, share. */
static int rmap_family_share(uint64_t frame, const struct vmm_space *from,
			     const struct vmm_space *to, uintptr_t va,
			     struct rmap_spare *spare)
{
	struct rmap_family_record *record = rmap_family_lookup(frame);

	if (record) {
		if (record->va != va)
			return RMAP_REFUSED;
		struct rmap_family_member *member =
			rmap_family_member_of(record->family, to);
		if (member && (record->mappers & (1ull << member->slot)))
			return RMAP_REFUSED;
		if (!member && rmap_family_free_slots(record->family) == 0)
			return rmap_family_rehome(record, to, spare);
		if (!member && spare->count < 1) {
			spare->need = 1;
			return RMAP_AGAIN;
		}
		if (!member)
			member = rmap_family_join(record->family, to, spare);
		rmap_family_mark(record, member);
		return RMAP_OK;
	}
	if (from == to)
		return RMAP_REFUSED;
	const struct vmm_space *spaces[2] = { from, to };
	struct rmap_entry entry = { .frame = frame, .va = va, .count = 2,
				    .capacity = 2, .spaces = spaces };
	unsigned need = rmap_family_put_need(2);
	if (spare->count < need) {
		spare->need = need;
		return RMAP_AGAIN;
	}
	rmap_family_put(&entry, spare);
	return RMAP_OK;
}

/* Contract: mm/rmap_ops.h, remove. */
static unsigned rmap_family_remove(uint64_t frame, const struct vmm_space *space,
				   uintptr_t va, struct rmap_spare *spare)
{
	struct rmap_family_record *record = rmap_family_lookup(frame);

	if (!record)
		return 0;
	struct rmap_family_member *member =
		rmap_family_member_of(record->family, space);
	if (member && record->va == va &&
	    (record->mappers & (1ull << member->slot))) {
		record->mappers &= ~(1ull << member->slot);
		record->mapcount--;
		rmap_family_member_put(member, spare);
	}
	unsigned left = record->mapcount;
	if (left == 1)		/* its last mapper owns it alone */
		rmap_family_drop(record, spare);
	return left;
}

static unsigned rmap_family_mappings(uint64_t frame)
{
	struct rmap_family_record *record = rmap_family_lookup(frame);

	return record ? record->mapcount : 0;
}

static bool rmap_family_maps(uint64_t frame, const struct vmm_space *space,
			     uintptr_t va)
{
	struct rmap_family_record *record = rmap_family_lookup(frame);
	if (!record || record->va != va)
		return false;
	struct rmap_family_member *member =
		rmap_family_member_of(record->family, space);

	return member && (record->mappers & (1ull << member->slot));
}

static uint64_t rmap_family_frames(void)
{
	return rmap_family_frame_count;
}

/* Contract: mm/rmap_ops.h, pick. */
static bool rmap_family_pick(unsigned *cursor, uint64_t *frame)
{
	for (unsigned i = 0; i < RMAP_PICK_BUCKETS; i++) {
		unsigned bucket = (*cursor + i) % RMAP_FAMILY_BUCKETS;
		if (rmap_family_buckets[bucket]) {
			*cursor = bucket;
			*frame = rmap_family_buckets[bucket]->frame;
			return true;
		}
	}
	*cursor = (*cursor + RMAP_PICK_BUCKETS) % RMAP_FAMILY_BUCKETS;
	return false;
}

/* Contract: mm/rmap_ops.h, peek. */
static bool rmap_family_peek(uint64_t frame, struct rmap_entry *entry)
{
	struct rmap_family_record *record = rmap_family_lookup(frame);

	if (!record)
		return false;
	entry->frame = frame;
	entry->va = record->va;
	entry->count = record->mapcount;
	if (entry->capacity >= record->mapcount)
		(void)rmap_family_list(record, entry->spaces);
	return true;
}

static void rmap_family_take(uint64_t frame, struct rmap_spare *spare)
{
	struct rmap_family_record *record = rmap_family_lookup(frame);

	if (record)
		rmap_family_drop(record, spare);
}

const struct rmap_ops rmap_family_ops = {
	.name = "family",
	.share_blocks = 4,
	.share = rmap_family_share,
	.remove = rmap_family_remove,
	.mappings = rmap_family_mappings,
	.maps = rmap_family_maps,
	.frames = rmap_family_frames,
	.pick = rmap_family_pick,
	.peek = rmap_family_peek,
	.take = rmap_family_take,
	.put_need = rmap_family_put_need,
	.put = rmap_family_put,
};
