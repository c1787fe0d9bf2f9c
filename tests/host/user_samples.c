/*
 * Reading the samples of mk/user.mk (user_samples.h), shared by the cpio
 * and ELF host tests.
 */
#include <stdio.h>
#include <stdlib.h>
#include "tests/host/htest.h"
#include "tests/host/user_samples.h"

uint8_t *user_sample_read(const char *name, size_t *size)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", USER_SAMPLES, name);
	FILE *file = fopen(path, "rb");
	HCHECK(file != NULL);
	if (!file) {
		htest_log("cannot open %s", path);
		return NULL;
	}
	fseek(file, 0, SEEK_END);
	*size = (size_t)ftell(file);
	rewind(file);
	uint8_t *bytes = malloc(*size ? *size : 1);
	HCHECK_EQ(fread(bytes, 1, *size, file), *size);
	fclose(file);
	return bytes;
}
