/*
 * The build configuration macros (set by make, mk/kernel.mk) and their
 * defaults when a build does not give them, which are what the tree did
 * before they became make options:
 *   CONFIG_MM_DEBUG    1: per-page checksums on every seal and restore
 *                      (debug builds; mm/region_fault.c reads it)
 *   CONFIG_LOCK_CHECK  1: the lock-order checker (debug builds)
 *   CONFIG_KTEST       1: the ktest cases (*_test.c) are linked in
 * CONFIG_TLB_HOOKS has its default in mm/hooks.h.
 */
#ifndef VEIL_KERNEL_BUILD_CONFIG_H
#define VEIL_KERNEL_BUILD_CONFIG_H

#ifndef CONFIG_MM_DEBUG
#define CONFIG_MM_DEBUG 1
#endif
#ifndef CONFIG_LOCK_CHECK
#define CONFIG_LOCK_CHECK 0
#endif
#ifndef CONFIG_KTEST
#define CONFIG_KTEST 1
#endif

/* "debug" or "release", as boot logs and benchmark lines name the build. */
#define BUILD_CONFIG_NAME (CONFIG_MM_DEBUG ? "debug" : "release")

#endif
