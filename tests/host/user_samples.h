/*
 * The sample programs and archives mk/user.mk builds for the host tests of
 * kernel/user/ (in USER_SAMPLES), read whole.
 */
#ifndef VEIL_TESTS_HOST_USER_SAMPLES_H
#define VEIL_TESTS_HOST_USER_SAMPLES_H

#include <stddef.h>
#include <stdint.h>

/* The sample file name read into an exact-size heap buffer (free it);
 * NULL, and a failed check, when it cannot be read. */
uint8_t *user_sample_read(const char *name, size_t *size);

#endif
