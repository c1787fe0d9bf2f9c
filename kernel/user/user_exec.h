/*
 * One program as the machine's whole job (kernel/user/user_exec.c, the
 * kernel side of tools/veil-exec).
 */
#ifndef VEIL_KERNEL_USER_USER_EXEC_H
#define VEIL_KERNEL_USER_USER_EXEC_H

#include <stdbool.h>

/* Whether the command line asked for it (user_exec). */
bool user_exec_requested(void);
/* Runs the program, prints its summary, powers off. */
void user_exec_run(void) __attribute__((noreturn));

#endif
