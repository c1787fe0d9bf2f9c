/*
 * Ends badly on purpose, in the way its argument names: the kernel must
 * report it, end the process as the matching signal would, take back all
 * it held, and go on. Built with musl-gcc -static (tests/user).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

static const char constant[] = "read-only data";

int main(int argc, char **argv)
{
	const char *how = argc > 1 ? argv[1] : "null";
	volatile int zero = 0;

	/* Memory it holds when it dies, to be given back. */
	char *heap = malloc(1 << 20);
	memset(heap, 1, 1 << 20);
	if (strcmp(how, "null") == 0)
		*(volatile int *)0 = 1;
	else if (strcmp(how, "rodata") == 0)
		*(volatile char *)constant = 'X';
	else if (strcmp(how, "unmapped") == 0)
		*(volatile int *)0x0000200000000000ull = 1;
	else if (strcmp(how, "kernel") == 0)
		*(volatile int *)0xffffffff80100000ull = 1;
	else if (strcmp(how, "execute") == 0)
		((void (*)(void))heap)();
	else if (strcmp(how, "divide") == 0) {
		unsigned value = 1, divisor = zero;
		__asm__ volatile("xorl %%edx, %%edx\n\tdivl %1"
				 : "+a"(value) : "r"(divisor) : "rdx");
		printf("%u\n", value);
	}
	else if (strcmp(how, "illegal") == 0)
		__asm__ volatile("ud2");
	else if (strcmp(how, "oom") == 0) {
		/* Incompressible pages until the machine has no frame left
		 * (or mmap says no more: that ends the program with 3). */
		uint64_t state = 0x9e3779b97f4a7c15ull;
		for (;;) {
			uint64_t *chunk = mmap(NULL, 1 << 22, PROT_READ | PROT_WRITE,
					       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			if (chunk == MAP_FAILED) {
				printf("mmap refused: no more memory\n");
				return 3;
			}
			for (size_t i = 0; i < (1 << 22) / 8; i++) {
				state ^= state << 13;
				state ^= state >> 7;
				state ^= state << 17;
				chunk[i] = state;
			}
		}
	} else if (strcmp(how, "protected") == 0) {
		char *page = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
				  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		page[0] = 1;
		mprotect(page, 4096, PROT_READ);
		page[0] = 2;
	}
	printf("still alive after %s\n", how);
	return 0;
}
