/*
 * Key registers: the page-encryption key kept in CPU registers that
 * programs cannot read, so that it never rests in RAM (the TRESOR idea).
 * The architecture says which registers (<arch/keyreg.h>: on x86-64 the
 * debug registers DR0-DR3) and provides KEYREG_ASM_LOAD, the assembly text
 * an accelerated cipher pastes into its own asm statement to move the key
 * from those registers into vector registers with no value the compiler
 * could spill. Functions: keyreg_boot_init, keyreg_generate,
 * keyreg_set_test_key, keyreg_read, keyreg_clear, keyreg_origin.
 */
#ifndef VEIL_KERNEL_KEYREG_H
#define VEIL_KERNEL_KEYREG_H

#include <arch/keyreg.h>

#endif
