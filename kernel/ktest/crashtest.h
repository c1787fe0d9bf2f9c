/*
 * Crash tests: ways for the kernel to fail on purpose, one per boot
 * (crashtest=NAME), so the host runner can check that each failure is
 * reported and ends the run with the crash status instead of a hang or a
 * silent reboot. Not for normal use.
 */
#ifndef VEIL_KERNEL_CRASHTEST_H
#define VEIL_KERNEL_CRASHTEST_H

#include <stdbool.h>

bool crashtest_requested(void);
/* Runs the chosen crash; it does not return. */
void crashtest_run(void) __attribute__((noreturn));

#endif
