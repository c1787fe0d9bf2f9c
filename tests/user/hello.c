/*
 * The first program: prints its arguments and one line from a file of
 * the initramfs, then exits with a status its arguments choose.
 * Built with musl-gcc -static (tests/user, mk/user.mk).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
	printf("hello from ring 3\n");
	for (int i = 0; i < argc; i++)
		printf("argv[%d]=%s\n", i, argv[i]);
	FILE *file = fopen("/etc/motd", "r");
	char line[128];
	if (file && fgets(line, sizeof(line), file))
		printf("motd: %s", line);
	if (file)
		fclose(file);
	return argc > 1 && strcmp(argv[1], "fail") == 0 ? 3 : 0;
}
