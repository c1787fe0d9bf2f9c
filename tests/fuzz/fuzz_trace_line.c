/*
 * libFuzzer target: the trace line parser (mm/trace.c trace_parse_line),
 * which host tools run on serial logs: any text, never a read past the
 * line's end.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "mm/trace.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *line = malloc(size + 1);
	struct trace_line parsed;

	memcpy(line, data, size);
	line[size] = '\0';
	trace_parse_line(line, &parsed);
	free(line);
	return 0;
}
