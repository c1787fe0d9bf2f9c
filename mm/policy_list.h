/*
 * Doubly linked lists of page indices kept in two arrays shared by all the
 * lists of one policy (a page is on at most one list at a time). Internal
 * to the policies (mm/policy_*.c).
 */
#ifndef VEIL_MM_POLICY_LIST_H
#define VEIL_MM_POLICY_LIST_H

#include <stdint.h>
#include "mm/policy.h"

struct policy_links {
	uint32_t *next;
	uint32_t *prev;
};

struct policy_list {
	uint32_t head;
	uint32_t tail;
	uint32_t count;
};

static inline void policy_list_init(struct policy_list *list)
{
	list->head = POLICY_NO_PAGE;
	list->tail = POLICY_NO_PAGE;
	list->count = 0;
}

static inline void policy_list_append(struct policy_links *links,
				      struct policy_list *list, uint32_t page)
{
	links->next[page] = POLICY_NO_PAGE;
	links->prev[page] = list->tail;
	if (list->tail != POLICY_NO_PAGE)
		links->next[list->tail] = page;
	else
		list->head = page;
	list->tail = page;
	list->count++;
}

/* Inserts page before `before` (which is on the list). */
static inline void policy_list_insert_before(struct policy_links *links,
					     struct policy_list *list,
					     uint32_t page, uint32_t before)
{
	uint32_t prev = links->prev[before];

	links->next[page] = before;
	links->prev[page] = prev;
	links->prev[before] = page;
	if (prev != POLICY_NO_PAGE)
		links->next[prev] = page;
	else
		list->head = page;
	list->count++;
}

static inline void policy_list_unlink(struct policy_links *links,
				      struct policy_list *list, uint32_t page)
{
	uint32_t next = links->next[page], prev = links->prev[page];

	if (prev != POLICY_NO_PAGE)
		links->next[prev] = next;
	else
		list->head = next;
	if (next != POLICY_NO_PAGE)
		links->prev[next] = prev;
	else
		list->tail = prev;
	links->next[page] = POLICY_NO_PAGE;
	links->prev[page] = POLICY_NO_PAGE;
	list->count--;
}

/* The page after `page`, wrapping to the head: a ring for CLOCK hands. */
static inline uint32_t policy_list_ring_next(const struct policy_links *links,
					     const struct policy_list *list,
					     uint32_t page)
{
	uint32_t next = links->next[page];

	return next != POLICY_NO_PAGE ? next : list->head;
}

/* Allocates the two link arrays for page_count pages; false on no memory. */
static inline bool policy_links_alloc(const struct policy_env *env,
				      struct policy_links *links,
				      uint32_t page_count)
{
	links->next = env->alloc(env->context, sizeof(uint32_t) * page_count);
	links->prev = env->alloc(env->context, sizeof(uint32_t) * page_count);
	if (!links->next || !links->prev) {
		if (links->next)
			env->free(env->context, links->next,
				  sizeof(uint32_t) * page_count);
		if (links->prev)
			env->free(env->context, links->prev,
				  sizeof(uint32_t) * page_count);
		return false;
	}
	return true;
}

static inline void policy_links_free(const struct policy_env *env,
				     struct policy_links *links,
				     uint32_t page_count)
{
	env->free(env->context, links->next, sizeof(uint32_t) * page_count);
	env->free(env->context, links->prev, sizeof(uint32_t) * page_count);
}

#endif
