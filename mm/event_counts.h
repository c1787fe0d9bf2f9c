/*
 * The event-count subscriber (mm/event_counts.c): totals of each TLB event
 * while it is subscribed.
 */
#ifndef VEIL_MM_EVENT_COUNTS_H
#define VEIL_MM_EVENT_COUNTS_H

#include <stdint.h>
#include "mm/hooks.h"

int event_counts_start(void);	/* a tlb_hooks_result */
int event_counts_stop(void);
uint64_t event_counts_get(enum tlb_event_type type);

#endif
