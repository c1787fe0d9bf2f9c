/*
 * The kernel's <string.h>: the freestanding subset that kernel and portable
 * code use (kernel/lib/libc/string.c). Host builds use the C library's instead,
 * so portable code simply includes <string.h>.
 */
#ifndef VEIL_LIBC_STRING_H
#define VEIL_LIBC_STRING_H

#include <stddef.h>

void *memcpy(void *restrict dst, const void *restrict src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
size_t strnlen(const char *s, size_t max);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strchr(const char *s, int c);
char *strrchr(const char *s, int c);
size_t strlcpy(char *dst, const char *src, size_t size);
char *strstr(const char *haystack, const char *needle);

/*
 * The kernel is built freestanding (-ffreestanding implies -fno-builtin),
 * so without these every memcpy(&word, p, 4) would be a call. As builtins
 * the compiler turns copies of a small known size into plain moves and
 * calls the functions above for the rest (-mstringop-strategy=libcall in
 * mk/kernel.mk: a page copy or clear is always the rep movsq/stosq of
 * kernel/lib/libc/string.c, never an inline variant chosen per call site).
 */
#define memcpy(dst, src, n) __builtin_memcpy((dst), (src), (n))
#define memset(dst, c, n)   __builtin_memset((dst), (c), (n))
#define memmove(dst, src, n) __builtin_memmove((dst), (src), (n))
#define memcmp(a, b, n)     __builtin_memcmp((a), (b), (n))

#endif
