/*
 * Start-up of the page-encryption key: SSE sections enabled (the AES-NI
 * cipher runs in them), then DR0-DR3 filled, either from the hardware
 * random source (keyreg_generate) or, for tests only, from the command
 * line option test_key=HEX64 (a known key, so that a test can look for it
 * in a memory dump). The log says which, and warns when the key is not
 * secret or not strong.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <arch/fpu.h>
#include <arch/keyreg.h>
#include "arch/x86/random.h"
#include "kernel/cmdline.h"
#include "kernel/lib/printk.h"
#include "transforms/aes.h"

#define KEYREG_TEST_KEY_HEX (2 * KEYREG_BYTES)

/* The option's text until keyreg_boot_init decodes it; wiped after. */
static char keyreg_test_key_text[KEYREG_TEST_KEY_HEX + 1];

static int keyreg_hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static bool keyreg_set_test_key_text(const char *value)
{
	if (strlen(value) != KEYREG_TEST_KEY_HEX)
		return false;
	for (unsigned i = 0; i < KEYREG_TEST_KEY_HEX; i++)
		if (keyreg_hex_digit(value[i]) < 0)
			return false;
	memcpy(keyreg_test_key_text, value, KEYREG_TEST_KEY_HEX + 1);
	return true;
}
CMDLINE_OPTION(test_key, "test_key",
	       "HEX64: TESTS ONLY: load this known 256-bit page-encryption key "
	       "(sealed pages are then not secret)",
	       keyreg_set_test_key_text);

/* Decodes the option into a stack buffer only for the one call that puts
 * it into the debug registers; both copies are wiped. */
static void keyreg_load_test_key(void)
{
	uint8_t key[KEYREG_BYTES];

	for (unsigned i = 0; i < KEYREG_BYTES; i++)
		key[i] = (uint8_t)(keyreg_hex_digit(keyreg_test_key_text[2 * i]) << 4 |
				   keyreg_hex_digit(keyreg_test_key_text[2 * i + 1]));
	keyreg_set_test_key(key);
	aes_wipe(key, sizeof(key));
	aes_wipe(keyreg_test_key_text, sizeof(keyreg_test_key_text));
	log_warn("keyreg: test_key= given on the command line: FOR TESTS ONLY, "
		 "never use a known key for data that matters");
}

void keyreg_boot_init(void)
{
	fpu_init();
	if (keyreg_test_key_text[0]) {
		keyreg_load_test_key();
	} else {
		random_init();		/* logs the source, warns loudly if none */
		keyreg_generate();	/* logs rdseed, rdrand or jitter */
	}
	keyreg_share();		/* a seal may run on any CPU */
}
