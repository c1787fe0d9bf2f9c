/*
 * Key generations (transforms/cipher_keyring.h): the rotation, the vault
 * of the previous generation, and the hooks through which every cipher
 * transform call gets its generation's key.
 *
 * Which key a CPU holds: keyring_cpu_generation[cpu] is the generation in
 * that CPU's registers, written with interrupts off together with the
 * registers (on CPU 0 by the rotation, on the others in the IPI of
 * keyreg_share_generation). A cipher call runs with interrupts off from
 * its hook's begin to its end, so the registers cannot change under it: a
 * call of the generation the CPU holds uses the registers; a call of the
 * vault's generation, on a CPU that already holds the newer key which
 * wrapped it, unwraps it; any other call is refused. During a rotation's
 * IPIs a CPU still holding the old key uses its registers for the old
 * generation, and no instance of the new one exists yet (they are
 * registered after every CPU took the new key).
 */
#include <stdint.h>
#include <string.h>
#include "kernel/keyreg.h"
#include "kernel/build_config.h"
#include "kernel/lib/cpu.h"
#include "kernel/lib/irq.h"
#include "kernel/lib/panic.h"
#include "kernel/lib/printk.h"
#include "kernel/lib/spinlock.h"
#include "kernel/sched/sched.h"
#include "kernel/sched/wait.h"
#include "transforms/aes.h"
#include "transforms/cipher.h"
#include "transforms/cipher_keyring.h"
#include "transforms/xf.h"
#include "transforms/xf_cipher.h"

/* The wrap's tweak: a region id no page has (bit 61; the transforms use
 * up to bit 62, the MAC bit 63, cipher.c refuses 2^63 and above), with the
 * wrapped generation as the page index. */
#define KEYRING_WRAP_REGION ((1ull << 61) | 0x6b6579ull)

static struct mutex keyring_rotate_mutex =
	MUTEX_INIT(keyring_rotate_mutex, "keyring_rotate");

/* The previous generation's key, wrapped by the newest. keyring_vault_lock. */
static struct spinlock keyring_vault_lock = SPINLOCK_INIT("keyring_vault");
static struct {
	bool held;
	unsigned generation;	/* whose key is wrapped */
	unsigned wrapped_by;	/* the generation whose key wrapped it */
	uint8_t wrapped[KEYREG_BYTES];
} keyring_vault;

/* Per CPU: the generation in its key registers (see the top). */
static volatile unsigned keyring_cpu_generation[CONFIG_MAX_CPUS];
/* The newest generation; written by rotations (the mutex). */
static volatile unsigned keyring_newest;

static const struct cipher_key_source keyring_registers = {
	.kind = CIPHER_KEY_CPU_REGISTERS,
};

/* The vault's key into scratch, unwrapped with this CPU's registers; false
 * when the vault holds no key of generation for this CPU. Interrupts off. */
static bool keyring_unwrap(unsigned generation, unsigned held_here,
			   uint8_t scratch[XF_CIPHER_KEY_SCRATCH])
{
	const struct cipher_ops *wrap = cipher_select(16);
	bool ok = false;

	spin_lock(&keyring_vault_lock);
	if (wrap && keyring_vault.held && keyring_vault.generation == generation &&
	    keyring_vault.wrapped_by == held_here)
		ok = cipher_restore_page(wrap, &keyring_registers,
					 KEYRING_WRAP_REGION, generation,
					 keyring_vault.wrapped, scratch,
					 KEYREG_BYTES, NULL) == CIPHER_OK;
	spin_unlock(&keyring_vault_lock);
	return ok;
}

static int keyring_begin(unsigned generation, struct cipher_key_source *key,
			 uint8_t scratch[XF_CIPHER_KEY_SCRATCH],
			 unsigned long *flags)
{
	unsigned held_here;

	*flags = irq_save();
	held_here = keyring_cpu_generation[cpu_current()];
	if (generation == held_here) {
		*key = keyring_registers;
		return XF_OK;
	}
	if (!keyring_unwrap(generation, held_here, scratch))
		return XF_REFUSED;
	*key = (struct cipher_key_source){
		.kind = CIPHER_KEY_MEMORY,
		.material = scratch,
		.material_bytes = KEYREG_BYTES,
	};
	return XF_OK;
}

static void keyring_end(uint8_t scratch[XF_CIPHER_KEY_SCRATCH],
			unsigned long flags)
{
	aes_wipe(scratch, XF_CIPHER_KEY_SCRATCH);
	irq_restore(flags);
}

static const struct xf_cipher_key_hooks keyring_hooks = {
	.begin = keyring_begin,
	.end = keyring_end,
};

void cipher_keyring_init(void)
{
	xf_cipher_set_key_hooks(&keyring_hooks);
}

unsigned cipher_keyring_generation(void)
{
	return keyring_newest;
}

/* On CPU 0 with interrupts off: the old key out of the registers into a
 * stack buffer, a fresh key in, the old one wrapped into the vault under
 * the new one, the stack buffer wiped. */
static void keyring_replace_key(unsigned old_generation, unsigned generation)
{
	const struct cipher_ops *wrap = cipher_select(16);
	uint8_t old[KEYREG_BYTES];
	unsigned long flags = irq_save();
	int status;

	keyreg_read(old);
	keyreg_generate();
	spin_lock(&keyring_vault_lock);
	status = cipher_seal_page(wrap, &keyring_registers, KEYRING_WRAP_REGION,
				  old_generation, old, keyring_vault.wrapped,
				  KEYREG_BYTES, NULL);
	keyring_vault.generation = old_generation;
	keyring_vault.wrapped_by = generation;
	keyring_vault.held = true;
	spin_unlock(&keyring_vault_lock);
	aes_wipe(old, sizeof(old));
	if (status != CIPHER_OK)	/* fixed, valid arguments: a bug */
		panic("keyring: wrapping the old key failed (%d)", status);
	keyring_cpu_generation[cpu_current()] = generation;
	irq_restore(flags);
}

struct keyring_rotation {
	unsigned old_generation, generation;
};

/* The rotation's thread, on CPU 0 (the key it generates must be the one
 * it then shares: it may not move to another CPU in between). */
static void keyring_rotate_on_cpu0(void *argument)
{
	const struct keyring_rotation *rotation = argument;

	keyring_replace_key(rotation->old_generation, rotation->generation);
	keyreg_share_generation(keyring_cpu_generation, rotation->generation);
	keyring_newest = rotation->generation;
	xf_cipher_rekey(rotation->generation);
}

int cipher_keyring_rotate(unsigned *generation)
{
	struct keyring_rotation rotation;
	struct thread *thread;
	int result = CIPHER_KEYRING_OK;

	if (!cipher_select(16))
		return CIPHER_KEYRING_NO_CIPHER;
	mutex_lock(&keyring_rotate_mutex);
	if (__atomic_load_n(&keyring_vault.held, __ATOMIC_ACQUIRE)) {
		result = CIPHER_KEYRING_BUSY;
	} else {
		rotation.old_generation = keyring_newest;
		rotation.generation = keyring_newest + 1;
		thread = thread_create_on("rekey", keyring_rotate_on_cpu0,
					  &rotation, 1);
		if (!thread) {
			result = CIPHER_KEYRING_NO_THREAD;
		} else {
			thread_join(thread);
			*generation = rotation.generation;
			log_info("keyring: key generation %u in the key registers of "
				 "%u CPU(s); generation %u kept wrapped until its "
				 "pages have moved", rotation.generation,
				 cpu_count(), rotation.old_generation);
		}
	}
	mutex_unlock(&keyring_rotate_mutex);
	return result;
}

bool cipher_keyring_held(unsigned *generation)
{
	unsigned long flags = spin_lock_irqsave(&keyring_vault_lock);
	bool held = keyring_vault.held;

	if (held && generation)
		*generation = keyring_vault.generation;
	spin_unlock_irqrestore(&keyring_vault_lock, flags);
	return held;
}

void cipher_keyring_retire(unsigned generation)
{
	unsigned long flags;
	bool retired = false;

	mutex_lock(&keyring_rotate_mutex);
	flags = spin_lock_irqsave(&keyring_vault_lock);
	if (keyring_vault.held && keyring_vault.generation == generation) {
		aes_wipe(keyring_vault.wrapped, sizeof(keyring_vault.wrapped));
		keyring_vault.held = false;
		retired = true;
	}
	spin_unlock_irqrestore(&keyring_vault_lock, flags);
	mutex_unlock(&keyring_rotate_mutex);
	if (retired)
		log_info("keyring: key generation %u retired: no page depends on "
			 "it, its wrapped copy is wiped", generation);
}
