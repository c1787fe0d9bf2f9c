/*
 * Checked user copies (user_copy.h): the mapping check first (a clear
 * -EFAULT for what the process never mapped), then the arch's raw copy,
 * whose faults on mapped pages that cannot be served also end as -EFAULT.
 */
#include "kernel/user/process.h"
#include "kernel/user/user_copy.h"
#include "kernel/user/user_cpu.h"
#include "kernel/user/user_errno.h"
#include "mm/vmm.h"

static bool user_copy_allowed(uint64_t address, size_t bytes, unsigned access)
{
	struct process *process = process_current();

	return process && user_memory_allows(process_memory(process), address,
					     bytes, access);
}

int user_copy_from(void *destination, uint64_t user_source, size_t bytes)
{
	if (!user_copy_allowed(user_source, bytes, VMM_READ))
		return -USER_EFAULT;
	if (bytes && user_copy_raw(destination, (const void *)user_source, bytes))
		return -USER_EFAULT;
	return 0;
}

int user_copy_to(uint64_t user_destination, const void *source, size_t bytes)
{
	if (!user_copy_allowed(user_destination, bytes, VMM_WRITE))
		return -USER_EFAULT;
	if (bytes && user_copy_raw((void *)user_destination, source, bytes))
		return -USER_EFAULT;
	return 0;
}

long user_string_from(char *destination, uint64_t user_source, size_t size)
{
	if (size == 0 || !user_copy_allowed(user_source, 1, VMM_READ))
		return -USER_EFAULT;
	/* Page by page: a string may end just before an unmapped page, so
	 * only the pages it reaches are checked (mappings are whole pages:
	 * one byte allowed means its page is). */
	size_t copied = 0;
	while (copied < size) {
		uint64_t at = user_source + copied;
		size_t in_page = 4096 - (at & 4095);
		size_t chunk = size - copied < in_page ? size - copied : in_page;
		if (!user_copy_allowed(at, 1, VMM_READ))
			return -USER_EFAULT;
		long length = user_string_copy_raw(destination + copied,
						   (const char *)at, chunk);
		if (length < 0)
			return -USER_EFAULT;
		if ((size_t)length < chunk) {
			copied += (size_t)length;
			destination[copied] = '\0';
			return (long)copied;
		}
		copied += chunk;
	}
	destination[size - 1] = '\0';
	return -USER_ENAMETOOLONG;
}
