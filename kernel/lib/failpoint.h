/*
 * Fault injection: named failure points on the paths that must not lose a
 * page (fault, eviction, seal, restore, map). Each point is one line where
 * a failure can happen anyway (FAILPOINT(id) in the condition that detects
 * it), so an injected failure takes exactly the path a real one would.
 *
 * A point fails its n-th call (once), or each call with a seeded
 * probability in parts per million, or both. Per point, calls and injected
 * failures are counted. Set from a ktest (failpoint_set), the command line
 * (failpoints=...), or the shell (`failpoints ...`); the text syntax is
 * failpoint_parse's.
 *
 * Compiled in test builds only (CONFIG_FAILPOINTS, which follows
 * CONFIG_KTEST): in a release build FAILPOINT(id) is the constant false and
 * this file's functions are not linked, so nothing of it is left.
 *
 * Counters and settings are updated with atomics; the setting functions
 * are meant for a quiet moment (a test before its workload, the shell).
 */
#ifndef VEIL_KERNEL_LIB_FAILPOINT_H
#define VEIL_KERNEL_LIB_FAILPOINT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "kernel/build_config.h"

#ifndef CONFIG_FAILPOINTS
#define CONFIG_FAILPOINTS CONFIG_KTEST
#endif

enum failpoint_id {
	FAILPOINT_FRAME_ALLOC,		/* frame_alloc(): no frame */
	FAILPOINT_PAGE_TABLE_ALLOC,	/* a page-table page in vmm's walk */
	FAILPOINT_STORE_PUT,		/* store_put / store_adopt_page: full */
	FAILPOINT_STORE_MAP,		/* store_map / store_read: no memory */
	FAILPOINT_SLAB_ALLOC,		/* a slab object: none */
	FAILPOINT_SEAL,			/* scheme_seal: XF_NO_MEMORY */
	FAILPOINT_UNSEAL,		/* scheme_unseal: XF_NO_MEMORY */
	FAILPOINTS,
};

/* Probability unit: parts per million (10000 = 1 %). */
#define FAILPOINT_PPM_MAX 1000000u

struct failpoint_counts {
	uint64_t calls;		/* since the last failpoint_reset_counts */
	uint64_t injected;	/* failures injected since then */
};

#if CONFIG_FAILPOINTS
/* Whether the current call of point id fails (counts the call). */
bool failpoint_should_fail(enum failpoint_id id);
#define FAILPOINT(id) failpoint_should_fail(id)
#else
#define FAILPOINT(id) ((void)(id), false)
#endif

/* The point's name ("frame_alloc", ...), or NULL when id is out of range. */
const char *failpoint_name(enum failpoint_id id);
/* The point named name, or FAILPOINTS when there is none. */
enum failpoint_id failpoint_find(const char *name);
/* Arms point id: fail its nth call from now (0: none) and each call with
 * probability ppm / 10^6 (0: never; above FAILPOINT_PPM_MAX is capped). */
void failpoint_set(enum failpoint_id id, uint64_t nth, uint32_t ppm);
/* Disarms every point (counters are kept). */
void failpoint_clear_all(void);
/* The seed of the pseudo-random draws; the same seed and the same calls
 * give the same failures. */
void failpoint_seed(uint64_t seed);
void failpoint_get_counts(enum failpoint_id id, struct failpoint_counts *counts);
/* Injected failures of every point together. */
uint64_t failpoint_total_injected(void);
void failpoint_reset_counts(void);
/* Whether any point is armed. */
bool failpoint_any_armed(void);

/*
 * Applies a setting text: comma-separated items, each
 *   NAME:nth=N    fail NAME's N-th call from now
 *   NAME:ppm=P    fail NAME's calls with probability P per million
 *   NAME:off      disarm NAME        (NAME may be "all" in these three)
 *   seed=S        the seed
 *   off           disarm every point
 * Returns true when every item was understood; else false, with the first
 * item it did not understand written into error (error_size bytes), and
 * the items before it applied.
 */
bool failpoint_parse(const char *text, char *error, size_t error_size);
/* One line per point: name, setting, calls, injected (through printk in
 * the kernel; the shell and boot use it). */
void failpoint_print(void);

#endif
