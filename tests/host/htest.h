/*
 * htest: a small harness for host unit tests of portable kernel code. Each
 * test binary is one suite; cases registered with HTEST(name) run in file
 * order and the binary prints KTAP version 1 (tests/run parses it). A check
 * that fails records file, line and expression and the case goes on.
 * Arguments: a case name runs that case only.
 */
#ifndef VEIL_TESTS_HTEST_H
#define VEIL_TESTS_HTEST_H

#include <stdbool.h>
#include <stdio.h>

struct htest_case {
	const char *name;
	void (*run)(void);
	struct htest_case *next;
};

void htest_register(struct htest_case *c);
void htest_check(bool ok, const char *file, int line, const char *expr);
/* A diagnostic line inside the current case ("    # ..."). */
void htest_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Marks the current case skipped (KTAP "# SKIP") with a reason. */
void htest_skip(const char *reason);

#define HTEST(case_name)                                                       \
	static void htest_fn_##case_name(void);                                \
	static struct htest_case htest_case_##case_name = {                    \
		#case_name, htest_fn_##case_name, NULL };                      \
	__attribute__((constructor)) static void htest_reg_##case_name(void)   \
	{                                                                      \
		htest_register(&htest_case_##case_name);                       \
	}                                                                      \
	static void htest_fn_##case_name(void)

#define HCHECK(cond) htest_check((cond), __FILE__, __LINE__, #cond)
#define HCHECK_EQ(a, b)                                                        \
	do {                                                                   \
		unsigned long long htest_a_ = (unsigned long long)(a);         \
		unsigned long long htest_b_ = (unsigned long long)(b);         \
		if (htest_a_ != htest_b_)                                      \
			htest_log("%s == %s: 0x%llx != 0x%llx", #a, #b,        \
				  htest_a_, htest_b_);                         \
		htest_check(htest_a_ == htest_b_, __FILE__, __LINE__,          \
			    #a " == " #b);                                     \
	} while (0)

#endif
