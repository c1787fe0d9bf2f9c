/*
 * Shared between the files of kernel/user's process code (not for others).
 */
#ifndef VEIL_KERNEL_USER_PROCESS_INTERNAL_H
#define VEIL_KERNEL_USER_PROCESS_INTERNAL_H

#include "kernel/user/process.h"

/* Copies the path, argv and envp of config into process (its name is the
 * path's last part): 0, -EINVAL (no path), -E2BIG (too many or too long). */
int process_copy_arguments(struct process *process,
			   const struct process_config *config);
/* The process's thread: loads the program and enters user mode. */
void process_thread_main(void *argument);

#endif
