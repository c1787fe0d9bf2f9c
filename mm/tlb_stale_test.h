/*
 * The gate and size of the SMP stress suites tlb_stale and region_smp
 * (mm/tlb_stale_test.c, mm/region_smp_test.c): they run on two CPUs or
 * more when the command line asks with tlb_stale_accesses=N (the runner's
 * smp step and make test-long do), and skip, saying why, otherwise; a
 * slow simulator (the Bochs boot) or a one-CPU boot is spared them.
 */
#ifndef VEIL_MM_TLB_STALE_TEST_H
#define VEIL_MM_TLB_STALE_TEST_H

#include "kernel/ktest/ktest.h"

/* Accesses per scheme of the stale-TLB detector; 0: not asked for. */
extern unsigned long long tlb_stale_accesses;

/* Skips the case unless two CPUs are online and tlb_stale_accesses=N was
 * given. */
void tlb_stale_require(struct ktest *t);

#endif
