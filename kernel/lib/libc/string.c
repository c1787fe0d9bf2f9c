/*
 * The freestanding string functions the kernel and portable code use.
 * Simple byte loops except memcpy/memset, which move eight bytes a step
 * with rep movsq/stosq and the rest with rep movsb/stosb (fast on every
 * x86-64, ERMSB or not; and under QEMU TCG each step of a rep counts as
 * one instruction, so a byte-wise rep made a 4 KiB copy look like 4096
 * instructions in -icount figures); the compiler may also emit calls to
 * these for struct copies, so they must exist under these names.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* The definitions themselves, not the builtin macros of <string.h>. */
#undef memcpy
#undef memset
#undef memmove
#undef memcmp

void *memcpy(void *restrict dst, const void *restrict src, size_t n)
{
	void *start = dst;
	size_t words = n / 8, rest = n % 8;

	__asm__ __volatile__("rep movsq"
			     : "+D"(dst), "+S"(src), "+c"(words) : : "memory");
	__asm__ __volatile__("rep movsb"
			     : "+D"(dst), "+S"(src), "+c"(rest) : : "memory");
	return start;
}

void *memset(void *dst, int c, size_t n)
{
	void *start = dst;
	size_t words = n / 8, rest = n % 8;
	uint64_t pattern = (uint8_t)c * 0x0101010101010101ull;

	__asm__ __volatile__("rep stosq"
			     : "+D"(dst), "+c"(words) : "a"(pattern) : "memory");
	__asm__ __volatile__("rep stosb"
			     : "+D"(dst), "+c"(rest) : "a"(pattern) : "memory");
	return start;
}

void *memmove(void *dst, const void *src, size_t n)
{
	unsigned char *d = dst;
	const unsigned char *s = src;

	if (d == s || n == 0)
		return dst;
	if (d < s || d >= s + n)
		return memcpy(dst, src, n);
	while (n--)
		d[n] = s[n];
	return dst;
}

int memcmp(const void *a, const void *b, size_t n)
{
	const unsigned char *x = a, *y = b;

	for (size_t i = 0; i < n; i++) {
		if (x[i] != y[i])
			return x[i] < y[i] ? -1 : 1;
	}
	return 0;
}

size_t strlen(const char *s)
{
	size_t n = 0;

	while (s[n])
		n++;
	return n;
}

size_t strnlen(const char *s, size_t max)
{
	size_t n = 0;

	while (n < max && s[n])
		n++;
	return n;
}

int strcmp(const char *a, const char *b)
{
	while (*a && *a == *b) {
		a++;
		b++;
	}
	return (unsigned char)*a - (unsigned char)*b;
}

int strncmp(const char *a, const char *b, size_t n)
{
	for (; n > 0; n--, a++, b++) {
		if (*a != *b || !*a)
			return (unsigned char)*a - (unsigned char)*b;
	}
	return 0;
}

char *strchr(const char *s, int c)
{
	for (;; s++) {
		if (*s == (char)c)
			return (char *)s;
		if (!*s)
			return NULL;
	}
}

char *strrchr(const char *s, int c)
{
	const char *last = NULL;

	for (;; s++) {
		if (*s == (char)c)
			last = s;
		if (!*s)
			return (char *)last;
	}
}

size_t strlcpy(char *dst, const char *src, size_t size)
{
	size_t length = strlen(src);

	if (size > 0) {
		size_t n = length < size - 1 ? length : size - 1;
		memcpy(dst, src, n);
		dst[n] = '\0';
	}
	return length;
}

char *strstr(const char *haystack, const char *needle)
{
	size_t length = strlen(needle);

	for (; *haystack; haystack++) {
		if (strncmp(haystack, needle, length) == 0)
			return (char *)haystack;
	}
	return length == 0 ? (char *)haystack : NULL;
}
