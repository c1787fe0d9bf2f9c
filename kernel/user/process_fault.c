/*
 * The end of a process that took an exception nobody resolved (kernel/
 * trap.h): a report in the manner of a fatal signal, then the process
 * ends as if killed by that signal; the kernel goes on.
 */
#include <stdint.h>
#include "kernel/lib/printk.h"
#include "kernel/trap.h"
#include "kernel/user/process.h"

/* The signal Linux would send for the exception. */
static int process_fault_signal(struct process *process,
				const struct trap_info *info)
{
	if (process_memory(process)->out_of_memory)
		return PROCESS_SIGNAL_KILL;	/* as the OOM killer sends */
	switch (info->class) {
	case TRAP_CLASS_ARITHMETIC:
		return PROCESS_SIGNAL_FPE;
	case TRAP_CLASS_INSTRUCTION:
		return PROCESS_SIGNAL_ILL;
	case TRAP_CLASS_MEMORY:
		break;
	}
	return PROCESS_SIGNAL_SEGV;
}

static const char *process_signal_name(int signal)
{
	switch (signal) {
	case PROCESS_SIGNAL_FPE: return "SIGFPE";
	case PROCESS_SIGNAL_ILL: return "SIGILL";
	case PROCESS_SIGNAL_KILL: return "SIGKILL";
	}
	return "SIGSEGV";
}

void trap_user_exception(const struct trap_info *info)
{
	struct process *process = process_current();
	int signal = process_fault_signal(process, info);

	if (info->fault_response >= 0)
		log_error("user: %s (pid %d) killed by %s: %s access at 0x%llx "
			  "from 0x%llx: %s", process->name, process->pid,
			  process_signal_name(signal),
			  fault_access_name(info->fault.access),
			  (unsigned long long)info->fault_address,
			  (unsigned long long)info->instruction,
			  info->fault_reason ? info->fault_reason
					     : "no owner for this address");
	else
		log_error("user: %s (pid %d) killed by %s: %s at 0x%llx",
			  process->name, process->pid,
			  process_signal_name(signal),
			  trap_vector_label(info->vector),
			  (unsigned long long)info->instruction);
	process_exit(signal);
}
