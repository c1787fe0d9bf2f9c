/*
 * The freestanding string functions the kernel and portable code use.
 * Simple byte loops except memcpy/memset, which use rep movsb/stosb (fast
 * on CPUs with ERMSB, and correct everywhere); the compiler may also emit
 * calls to these for struct copies, so they must exist under these names.
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

	__asm__ __volatile__("rep movsb"
			     : "+D"(dst), "+S"(src), "+c"(n) : : "memory");
	return start;
}

void *memset(void *dst, int c, size_t n)
{
	void *start = dst;

	__asm__ __volatile__("rep stosb"
			     : "+D"(dst), "+c"(n) : "a"(c) : "memory");
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
