/*
 * A tiny program that the host tests of the ELF checks (tests/host/
 * test_elf.c) link statically at build time, with gcc and musl-gcc: a real
 * executable with the layout real toolchains produce, a TLS variable
 * included so that it has PT_TLS.
 */
#include <stdio.h>

static __thread int sample_counter = 7;
static __thread char sample_scratch[64];

int main(int argc, char **argv)
{
	sample_scratch[0] = (char)argc;
	sample_counter += argc;
	printf("%s %d %d\n", argv[0], sample_counter, sample_scratch[0]);
	return 0;
}
