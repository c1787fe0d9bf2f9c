/*
 * Number formatting for the demo's lines. The kernel is built without
 * floating point (-mgeneral-regs-only), so ratios and percentages are kept
 * in thousandths and printed as fixed point here.
 */
#include "kernel/demo/demo_internal.h"
#include "kernel/lib/printk.h"

void demo_format_milli(char *buffer, size_t size, uint64_t milli,
		       unsigned decimals)
{
	static const unsigned divisors[] = { 1000, 100, 10, 1 };

	if (decimals > 3)
		decimals = 3;
	unsigned divisor = divisors[decimals];
	uint64_t rounded = (milli + divisor / 2) / divisor;
	uint64_t scale = 1000 / divisor;
	if (decimals == 0)
		ksnprintf(buffer, size, "%llu", (unsigned long long)rounded);
	else
		ksnprintf(buffer, size, "%llu.%0*llu",
			  (unsigned long long)(rounded / scale), (int)decimals,
			  (unsigned long long)(rounded % scale));
}

void demo_format_bytes(char *buffer, size_t size, int64_t bytes)
{
	const char *sign = bytes < 0 ? "-" : "";
	uint64_t magnitude = bytes < 0 ? (uint64_t)-bytes : (uint64_t)bytes;
	char number[24];

	if (magnitude < (1u << 20)) {
		ksnprintf(buffer, size, "%s%llu KiB", sign,
			  (unsigned long long)(magnitude >> 10));
		return;
	}
	demo_format_milli(number, sizeof(number), magnitude * 1000 >> 20, 1);
	ksnprintf(buffer, size, "%s%s MiB", sign, number);
}

void demo_format_count(char *buffer, size_t size, uint64_t count)
{
	char number[24];

	if (count < 10000) {
		ksnprintf(buffer, size, "%llu", (unsigned long long)count);
	} else if (count < 10000000) {
		ksnprintf(buffer, size, "%lluk", (unsigned long long)(count / 1000));
	} else {
		demo_format_milli(number, sizeof(number), count / 1000, 1);
		ksnprintf(buffer, size, "%sM", number);
	}
}
