/*
 * modload NAME, modunload NAME, modules: loadable modules
 * (kernel/module/module.h) from the shell. Each says in one line what
 * happened, or why not.
 */
#include "kernel/lib/printk.h"
#include "kernel/module/module.h"
#include "kernel/shell/shell_internal.h"

int shell_cmd_modload(int argc, char **argv)
{
	char message[160];

	if (argc != 2)
		return shell_usage_of("modload");
	int result = module_load_file(argv[1], message, sizeof(message));
	printk("modload: %s\n", message);
	return result == MODULE_OK ? SHELL_OK : SHELL_FAILED;
}

int shell_cmd_modunload(int argc, char **argv)
{
	char message[200];

	if (argc != 2)
		return shell_usage_of("modunload");
	int result = module_unload(argv[1], message, sizeof(message));
	printk("modunload: %s\n", message);
	return result == MODULE_OK ? SHELL_OK : SHELL_FAILED;
}

static void shell_modules_print(const struct module_status *status, void *arg)
{
	unsigned *count = arg;

	(*count)++;
	printk("  %-16s at 0x%llx  text %llu KiB, rodata %llu KiB, data %llu KiB; "
	       "provides %s; %u user%s%s%s\n", status->name,
	       (unsigned long long)status->base,
	       (unsigned long long)status->segment_bytes[0] >> 10,
	       (unsigned long long)status->segment_bytes[1] >> 10,
	       (unsigned long long)status->segment_bytes[2] >> 10,
	       status->provides[0] ? status->provides : "nothing registered",
	       status->users, status->users == 1 ? "" : "s",
	       status->users ? ": " : "", status->user_names);
}

int shell_cmd_modules(int argc, char **argv)
{
	unsigned count = 0;

	(void)argv;
	if (argc != 1)
		return shell_usage_of("modules");
	module_for_each(shell_modules_print, &count);
	if (count == 0)
		printk("  no module loaded (modload NAME loads "
		       MODULE_DIRECTORY "NAME.o)\n");
	return SHELL_OK;
}
