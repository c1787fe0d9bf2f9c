/*
 * A clear set shared by several regions (mm/clear_share.h): the slots, the
 * proxy policy of the members' own clear sets, and the eviction that makes
 * room across members.
 *
 * Lock order: the share's lock, then one member region's lock at a time
 * (region_evict_pages), then what region_transition takes
 * (mm/region_transition.c). The proxy's calls come from a member's clear
 * set, so with both the share's and the member's locks held.
 */
#include <string.h>
#include "kernel/lib/panic.h"
#include "mm/clear_share.h"
#include "mm/region_internal.h"
#include "mm/slab.h"
#include "mm/vmm.h"

/* Slots are added in steps of at least this many. */
#define CLEAR_SHARE_SLOT_STEP 64u

/* The share policy's reference bit of a slot: its page's Accessed bit in
 * its member's space (the member's PTEs change only under the share's
 * lock, which the caller holds). */
static bool clear_share_referenced(void *context, uint32_t slot)
{
	struct clear_share *share = context;
	const struct clear_share_slot *entry = &share->slots[slot];

	return vmm_test_and_clear_accessed(entry->region->space,
					   region_va(entry->region, entry->page));
}

/* Links slots [from, to) into the free list, lowest first. */
static void clear_share_free_slots(struct clear_share *share, uint32_t from,
				   uint32_t to)
{
	for (uint32_t slot = to; slot-- > from;) {
		share->slots[slot] = (struct clear_share_slot){
			.region = NULL, .page = share->free_slot };
		share->free_slot = slot;
	}
}

/* Grows the slots to at least needed (and by a quarter at least, so that
 * mappings coming one by one do not copy the table each time). Share's
 * lock held, no slot leaving. 0, or -1 with nothing changed. */
static int clear_share_grow(struct clear_share *share, uint32_t needed)
{
	uint32_t capacity = share->capacity + share->capacity / 4;

	if (capacity < needed)
		capacity = needed;
	capacity = (capacity + CLEAR_SHARE_SLOT_STEP - 1) /
		   CLEAR_SHARE_SLOT_STEP * CLEAR_SHARE_SLOT_STEP;
	struct clear_share_slot *slots = region_env_alloc(
		NULL, (size_t)capacity * sizeof(*slots));
	if (!slots)
		return -1;
	if (clearset_resize(&share->set, capacity) != 0) {
		kfree(slots);
		return -1;
	}
	memcpy(slots, share->slots, (size_t)share->capacity * sizeof(*slots));
	kfree(share->slots);
	share->slots = slots;
	clear_share_free_slots(share, share->capacity, capacity);
	share->capacity = capacity;
	return 0;
}

int clear_share_init(struct clear_share *share, const struct policy_ops *policy,
		     uint32_t budget, uint32_t percent,
		     struct region_group *group)
{
	struct policy_env env = {
		.alloc = region_env_alloc,
		.free = region_env_free,
		.test_and_clear_referenced = clear_share_referenced,
		.context = share,
	};

	memset(share, 0, sizeof(*share));
	if (!policy || budget == 0 || percent > 100 || (percent && !group))
		return -1;
	spin_init(&share->lock, "clear_share");
	share->floor = budget;
	share->percent = percent;
	share->group = group;
	share->evict_batch = REGION_EVICT_BATCH_DEFAULT;
	share->free_slot = POLICY_NO_PAGE;
	share->capacity = CLEAR_SHARE_SLOT_STEP;
	share->slots = region_env_alloc(NULL, (size_t)share->capacity *
						 sizeof(*share->slots));
	if (!share->slots)
		return -1;
	if (clearset_init(&share->set, policy, &env, share->capacity, budget) != 0) {
		kfree(share->slots);
		share->slots = NULL;
		return -1;
	}
	clear_share_free_slots(share, 0, share->capacity);
	return 0;
}

void clear_share_destroy(struct clear_share *share)
{
	if (!share->slots)
		return;
	KASSERT(share->members == 0 && share->set.resident == 0);
	clearset_destroy(&share->set);
	kfree(share->slots);
	share->slots = NULL;
}

int clear_share_join(struct clear_share *share, struct region *region)
{
	unsigned long flags = spin_lock_irqsave(&share->lock);
	uint32_t needed = share->member_pages + region->pages;
	int result = 0;

	if (needed < share->member_pages)
		result = -1;	/* more pages than slots can name */
	else if (needed > share->capacity)
		result = clear_share_grow(share, needed);
	if (result == 0) {
		share->member_pages = needed;
		share->members++;
	}
	spin_unlock_irqrestore(&share->lock, flags);
	return result;
}

void clear_share_leave(struct clear_share *share, struct region *region)
{
	unsigned long flags = spin_lock_irqsave(&share->lock);

	KASSERT(region->clear.resident == 0 && share->members > 0);
	share->member_pages -= region->pages;
	share->members--;
	spin_unlock_irqrestore(&share->lock, flags);
}

/* A budget in percent follows the members' populated pages (clear and
 * sealed, the incoming page included); it grows, never shrinks. */
static void clear_share_follow_percent(struct clear_share *share, bool incoming)
{
	if (share->percent == 0)
		return;
	uint64_t populated = share->set.resident + incoming +
			     __atomic_load_n(&share->group->sealed_pages,
					     __ATOMIC_RELAXED);
	uint64_t limit = populated * share->percent / 100;

	if (limit < share->floor)
		limit = share->floor;
	if (limit > share->member_pages)
		limit = share->member_pages;
	if (limit > share->set.limit)
		share->set.limit = (uint32_t)limit;
}

void clear_share_raise_limit(struct clear_share *share, uint32_t limit)
{
	unsigned long flags = spin_lock_irqsave(&share->lock);

	if (limit > share->set.limit)
		share->set.limit = limit;
	spin_unlock_irqrestore(&share->lock, flags);
}

/* Victims per round: the batch, at most a quarter of the budget (>= 1). */
static unsigned clear_share_evict_count(const struct clear_share *share)
{
	return region_evict_round(share->evict_batch, share->set.limit);
}

/* Evicts victims[first..count) that belong to the member of victims[first]
 * (one round for them); marks them done. Pages sealed. */
static unsigned clear_share_evict_member(const struct clear_share_slot *victims,
					 bool *done, unsigned first,
					 unsigned count)
{
	struct region *region = victims[first].region;
	uint32_t pages[REGION_BATCH_MAX];
	unsigned gathered = 0;

	for (unsigned i = first; i < count; i++) {
		if (!done[i] && victims[i].region == region) {
			pages[gathered++] = victims[i].page;
			done[i] = true;
		}
	}
	return region_evict_pages(region, pages, gathered);
}

/* One round: the policy's next victims, evicted member by member; those
 * whose seal failed stay present and go back to the policy. True when a
 * page was sealed. */
static bool clear_share_evict_round(struct clear_share *share,
				    struct region *faulting)
{
	uint32_t slots[REGION_BATCH_MAX];
	struct clear_share_slot victims[REGION_BATCH_MAX];
	bool done[REGION_BATCH_MAX] = { false };
	unsigned count = clearset_take_victims(&share->set, slots,
					       clear_share_evict_count(share));
	unsigned sealed = 0;

	for (unsigned i = 0; i < count; i++)
		victims[i] = share->slots[slots[i]];
	for (unsigned i = 0; i < count; i++) {
		if (done[i])
			continue;
		unsigned member_sealed = clear_share_evict_member(victims, done,
								  i, count);
		sealed += member_sealed;
		if (victims[i].region != faulting)
			share->cross_evictions += member_sealed;
	}
	for (unsigned i = 0; i < count; i++) {
		if (clearset_leaving(&share->set, slots[i]))
			clearset_keep(&share->set, slots[i]);
	}
	share->evictions += sealed;
	return sealed > 0;
}

void clear_share_make_room(struct clear_share *share, struct region *faulting,
			   bool incoming)
{
	clear_share_follow_percent(share, incoming);
	while (clearset_full(&share->set)) {
		if (!clear_share_evict_round(share, faulting))
			break;	/* over the budget for now: nothing is lost */
	}
}

/* The proxy policy: a member's clear set hands everything to the share. */

struct clear_share_member {
	struct clear_share *share;
	struct region *region;
	struct policy_env env;
	uint32_t page_count;
	uint32_t *slot_of;	/* per page: its slot, or POLICY_NO_PAGE */
};

static void *clear_share_member_init(const struct policy_env *env,
				     uint32_t page_count, uint32_t limit)
{
	struct region *region = env->context;
	struct clear_share_member *member;

	(void)limit;
	if (!region->share)
		return NULL;
	member = env->alloc(env->context, sizeof(*member));
	if (!member)
		return NULL;
	member->slot_of = env->alloc(env->context,
				     (size_t)page_count * sizeof(uint32_t));
	if (!member->slot_of) {
		env->free(env->context, member, sizeof(*member));
		return NULL;
	}
	for (uint32_t page = 0; page < page_count; page++)
		member->slot_of[page] = POLICY_NO_PAGE;
	member->share = region->share;
	member->region = region;
	member->env = *env;
	member->page_count = page_count;
	return member;
}

static void clear_share_member_destroy(void *opaque)
{
	struct clear_share_member *member = opaque;
	struct policy_env env = member->env;

	env.free(env.context, member->slot_of,
		 (size_t)member->page_count * sizeof(uint32_t));
	env.free(env.context, member, sizeof(*member));
}

static void clear_share_member_admit(void *opaque, uint32_t page)
{
	struct clear_share_member *member = opaque;
	struct clear_share *share = member->share;
	uint32_t slot = share->free_slot;

	/* The slots cover every member page, so one is always free. */
	KASSERT(slot != POLICY_NO_PAGE);
	share->free_slot = share->slots[slot].page;
	share->slots[slot] = (struct clear_share_slot){ member->region, page };
	member->slot_of[page] = slot;
	clearset_admit(&share->set, slot);
}

static void clear_share_member_touch(void *opaque, uint32_t page)
{
	struct clear_share_member *member = opaque;

	clearset_touch(&member->share->set, member->slot_of[page]);
}

static void clear_share_member_remove(void *opaque, uint32_t page, bool evicted)
{
	struct clear_share_member *member = opaque;
	struct clear_share *share = member->share;
	uint32_t slot = member->slot_of[page];

	clearset_remove(&share->set, slot, evicted);
	share->slots[slot] = (struct clear_share_slot){ NULL, share->free_slot };
	share->free_slot = slot;
	member->slot_of[page] = POLICY_NO_PAGE;
}

/* The share chooses victims; a member asked alone names its first present
 * page (its own set never fills: its limit is its page count). */
static uint32_t clear_share_member_pick_victim(void *opaque)
{
	struct clear_share_member *member = opaque;

	for (uint32_t page = 0; page < member->page_count; page++) {
		if (member->slot_of[page] != POLICY_NO_PAGE)
			return page;
	}
	return POLICY_NO_PAGE;
}

static void clear_share_member_walk(void *opaque,
				    void (*fn)(void *arg, uint32_t page),
				    void *arg)
{
	struct clear_share_member *member = opaque;

	for (uint32_t page = 0; page < member->page_count; page++) {
		if (member->slot_of[page] != POLICY_NO_PAGE)
			fn(arg, page);
	}
}

const struct policy_ops policy_clear_share = {
	.name = "shared",
	.init = clear_share_member_init,
	.destroy = clear_share_member_destroy,
	.admit = clear_share_member_admit,
	.touch = clear_share_member_touch,
	.pick_victim = clear_share_member_pick_victim,
	.remove = clear_share_member_remove,
	.walk = clear_share_member_walk,
};
