/*
 * Checks Veil's process system calls from user mode: fork, vfork, clone,
 * execve, wait4, kill, tgkill, exit_group and getppid, with Linux's error
 * codes. Prints a KTAP line per check and "# checks N failures F" (the
 * ktest suite user_process requires exit status 0 and every check
 * passed). With "alone", only the checks that make no child run (fork
 * needs copy-on-write memory in the kernel).
 * A child reports by its exit status only; the parent prints.
 * Built with musl-gcc -static (tests/user).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int checks, failures;
static void *const bad = (void *)0x8;		/* never mapped */
static volatile int shared_value = 1;		/* copied by fork */

static void check(int ok, const char *name)
{
	checks++;
	if (!ok)
		failures++;
	printf("%sok %d %s\n", ok ? "" : "not ", checks, name);
	fflush(stdout);
}

/* A raw system call's result as Linux gives it: -errno on failure. */
static long raw(long number, long a, long b, long c, long d, long e)
{
	long result = syscall(number, a, b, c, d, e, 0);
	return result == -1 ? -errno : result;
}

static void sleep_ms(long ms)
{
	struct timespec t = { ms / 1000, (ms % 1000) * 1000000 };
	nanosleep(&t, NULL);
}

/* The wait status of pid (blocking). */
static int reap(pid_t pid)
{
	int status = -1;
	pid_t got = waitpid(pid, &status, 0);
	return got == pid ? status : -2;
}

static int exited_with(int status, int code)
{
	return WIFEXITED(status) && WEXITSTATUS(status) == code;
}

static int killed_by(int status, int signal)
{
	return WIFSIGNALED(status) && WTERMSIG(status) == signal;
}

/* Checks that need no child. */
static void alone(void)
{
	char *argv[] = { "x", NULL };

	check(raw(SYS_wait4, -1, 0, 0, 0, 0) == -ECHILD, "wait4 without children ECHILD");
	check(raw(SYS_wait4, -1, 0, 0x4, 0, 0) == -EINVAL, "wait4 unknown option EINVAL");
	check(raw(SYS_wait4, 12345, 0, WNOHANG, 0, 0) == -ECHILD, "wait4 WNOHANG no such child ECHILD");
	check(raw(SYS_kill, getpid(), 0, 0, 0, 0) == 0, "kill self signal 0");
	check(raw(SYS_kill, 99999, 0, 0, 0, 0) == -ESRCH, "kill missing pid ESRCH");
	check(raw(SYS_kill, getpid(), 65, 0, 0, 0) == -EINVAL, "kill signal 65 EINVAL");
	check(raw(SYS_kill, getpid(), -1, 0, 0, 0) == -EINVAL, "kill signal -1 EINVAL");
	check(raw(SYS_tgkill, getpid(), getpid(), 0, 0, 0) == 0, "tgkill self signal 0");
	check(raw(SYS_tgkill, getpid(), getpid() + 5000, 0, 0, 0) == -ESRCH, "tgkill other tid ESRCH");
	check(raw(SYS_tgkill, 0, getpid(), 0, 0, 0) == -EINVAL, "tgkill tgid 0 EINVAL");
	check(raw(SYS_tgkill, getpid(), getpid(), 99, 0, 0) == -EINVAL, "tgkill signal 99 EINVAL");
	check(raw(SYS_kill, getpid(), SIGCHLD, 0, 0, 0) == 0, "SIGCHLD to self is ignored");
	signal(SIGTERM, SIG_IGN);
	check(raw(SYS_kill, getpid(), SIGTERM, 0, 0, 0) == 0, "ignored SIGTERM to self");
	signal(SIGTERM, SIG_DFL);
	check(raw(SYS_execve, (long)bad, (long)argv, 0, 0, 0) == -EFAULT, "execve bad path EFAULT");
	check(raw(SYS_execve, (long)"/bin/hello", (long)bad, 0, 0, 0) == -EFAULT, "execve bad argv EFAULT");
	char *bad_list[] = { "x", bad, NULL };
	check(raw(SYS_execve, (long)"/bin/hello", (long)bad_list, 0, 0, 0) == -EFAULT, "execve bad argv string EFAULT");
	check(raw(SYS_execve, (long)"/bin/hello", (long)argv, (long)bad, 0, 0) == -EFAULT, "execve bad envp EFAULT");
	check(raw(SYS_execve, (long)"/bin/no-such", (long)argv, 0, 0, 0) == -ENOENT, "execve missing ENOENT");
	check(raw(SYS_execve, (long)"", (long)argv, 0, 0, 0) == -ENOENT, "execve empty path ENOENT");
	check(raw(SYS_execve, (long)"/etc/motd", (long)argv, 0, 0, 0) == -ENOEXEC, "execve text file ENOEXEC");
	check(raw(SYS_execve, (long)"/bin", (long)argv, 0, 0, 0) == -EACCES, "execve directory EACCES");
	static char many[70][2];
	static char *long_argv[72];
	for (int i = 0; i < 70; i++) {
		many[i][0] = 'a';
		long_argv[i] = many[i];
	}
	check(raw(SYS_execve, (long)"/bin/hello", (long)long_argv, 0, 0, 0) == -E2BIG, "execve too many arguments E2BIG");
	check(raw(SYS_clone, 0x10000 | 0x800 | 0x100, 0, 0, 0, 0) == -ENOSYS, "clone thread ENOSYS");
	check(raw(SYS_clone, 0x10000, 0, 0, 0, 0) == -EINVAL, "clone thread without sighand EINVAL");
	check(raw(SYS_clone, 0x100 | SIGCHLD, 0, 0, 0, 0) == -ENOSYS, "clone VM without VFORK ENOSYS");
	stack_t small = { .ss_sp = many, .ss_size = 100 };
	check(raw(SYS_sigaltstack, (long)&small, 0, 0, 0, 0) == -ENOMEM, "sigaltstack too small ENOMEM");
	small.ss_flags = 0x10;
	check(raw(SYS_sigaltstack, (long)&small, 0, 0, 0, 0) == -EINVAL, "sigaltstack bad flags EINVAL");
	check(raw(SYS_sigaltstack, 0, (long)bad, 0, 0, 0) == -EFAULT, "sigaltstack bad old EFAULT");
}

/* fork: the child's memory is a copy; each side's writes are its own. */
static void fork_copies(void)
{
	pid_t parent = getpid();
	pid_t pid = fork();

	if (pid == 0) {
		if (shared_value != 1 || getppid() != parent)
			_exit(10);
		shared_value = 2;
		sleep_ms(30);		/* the parent writes meanwhile */
		_exit(shared_value == 2 ? 0 : 11);
	}
	check(pid > 0, "fork returns the child's pid");
	shared_value = 3;
	int status = reap(pid);
	check(exited_with(status, 0), "child saw a copy, and not the parent's write");
	check(shared_value == 3, "parent does not see the child's write");
	check(raw(SYS_wait4, pid, 0, 0, 0, 0) == -ECHILD, "a reaped child is gone");
}

static void wait_statuses(void)
{
	pid_t a = fork();
	if (a == 0)
		_exit(7);
	pid_t b = fork();
	if (b == 0)
		syscall(SYS_exit_group, 9);
	pid_t c = fork();
	if (c == 0) {
		sleep_ms(100);
		_exit(0);
	}
	int status = 0;
	check(waitpid(c, &status, WNOHANG) == 0, "WNOHANG while the child runs");
	check(exited_with(reap(b), 9), "exit_group status");
	check(exited_with(reap(a), 7), "exit status 7");
	struct rusage usage;
	memset(&usage, 0xff, sizeof(usage));
	check(wait4(-1, &status, 0, &usage) == c && exited_with(status, 0), "wait4 -1 reaps the last");
	check(usage.ru_utime.tv_sec == 0 && usage.ru_maxrss == 0, "rusage zeroed");
	pid_t d = fork();
	if (d == 0)
		_exit(1);
	check(raw(SYS_wait4, d, (long)bad, 0, 0, 0) == -EFAULT, "wait4 bad status EFAULT");
	check(exited_with(reap(d), 1), "the child stays after EFAULT");
	check(raw(SYS_wait4, 0, 0, 0, 0, 0) == -ECHILD, "wait4 0 with no children ECHILD");
}

static void signals(void)
{
	pid_t sleeper = fork();
	if (sleeper == 0) {
		sleep_ms(10000);
		_exit(0);
	}
	sleep_ms(20);
	check(kill(sleeper, SIGTERM) == 0, "kill a sleeping child");
	check(killed_by(reap(sleeper), SIGTERM), "sleeping child ended by SIGTERM");

	pid_t spinner = fork();
	if (spinner == 0) {
		for (volatile unsigned long i = 0;; i++)
			;
	}
	sleep_ms(20);
	check(kill(spinner, SIGKILL) == 0, "kill a child in user mode");
	check(killed_by(reap(spinner), SIGKILL), "spinning child ended by SIGKILL");

	pid_t self_killer = fork();
	if (self_killer == 0) {
		kill(getpid(), SIGUSR1);
		_exit(0);
	}
	check(killed_by(reap(self_killer), SIGUSR1), "kill of self ends it");

	pid_t raiser = fork();
	if (raiser == 0) {
		raise(SIGINT);		/* tgkill after blocking, then unblocks */
		_exit(0);
	}
	check(killed_by(reap(raiser), SIGINT), "raise (tgkill) ends it");

	pid_t ignorer = fork();
	if (ignorer == 0) {
		signal(SIGTERM, SIG_IGN);
		kill(getpid(), SIGTERM);
		_exit(4);
	}
	check(exited_with(reap(ignorer), 4), "SIG_IGN survives");

	/* A child blocked in wait4, killed: its own child becomes an orphan
	 * the kernel reaps. */
	pid_t middle = fork();
	if (middle == 0) {
		pid_t grandchild = fork();
		if (grandchild == 0) {
			sleep_ms(100);
			_exit(getppid() == 0 ? 0 : 1);
		}
		waitpid(grandchild, NULL, 0);
		_exit(0);
	}
	sleep_ms(30);
	check(kill(middle, SIGHUP) == 0, "kill a child blocked in wait4");
	check(killed_by(reap(middle), SIGHUP), "child in wait4 ended by SIGHUP");
	check(kill(0, 0) == 0, "kill 0 signal 0");
}

static void exec_children(void)
{
	pid_t pid = fork();
	if (pid == 0) {
		char *argv[] = { "hello", "fail", NULL };
		execve("/bin/hello", argv, NULL);
		_exit(99);
	}
	check(exited_with(reap(pid), 3), "execve of hello: its exit status");

	pid = fork();
	if (pid == 0) {
		char *argv[] = { "process", "exec-target", NULL };
		char *envp[] = { "VEIL_TEST=exec", NULL };
		shared_value = 5;
		execve("/bin/process", argv, envp);
		_exit(99);
	}
	check(exited_with(reap(pid), 42), "execve keeps the pid, new memory, argv and envp");

	pid = fork();
	if (pid == 0) {
		char *argv[] = { "x", NULL };
		long r = raw(SYS_execve, (long)"/etc/motd", (long)argv, 0, 0, 0);
		_exit(r == -ENOEXEC ? 6 : 7);
	}
	check(exited_with(reap(pid), 6), "a failed execve returns to the child");

	/* /bin/script is "#!/bin/hello  fail ": hello sees argv[1] "fail". */
	pid = fork();
	if (pid == 0) {
		char *argv[] = { "script", NULL };
		execve("/bin/script", argv, NULL);
		_exit(99);
	}
	check(exited_with(reap(pid), 3), "execve of a #! script runs its interpreter");
}

/* vfork and clone with a stack of the caller's. */
static void clones(void)
{
	pid_t pid = vfork();
	if (pid == 0)
		_exit(5);
	check(pid > 0 && exited_with(reap(pid), 5), "vfork");

	static char stack[8192] __attribute__((aligned(16)));
	char *top = stack + sizeof(stack);
	long result;
	/* The child runs on top: exits 40 when its stack pointer is top. */
	__asm__ __volatile__(
		"syscall\n\t"
		"test %%rax, %%rax\n\t"
		"jnz 1f\n\t"
		"xor %%edi, %%edi\n\t"
		"cmp %%rsp, %%rsi\n\t"
		"setne %%dil\n\t"
		"add $40, %%edi\n\t"
		"mov $231, %%eax\n\t"
		"syscall\n\t"
		"1:\n\t"
		: "=a"(result)
		: "a"((long)SYS_clone), "D"((long)(0x100 | 0x4000 | SIGCHLD)),
		  "S"(top), "d"(0L)
		: "rcx", "r11", "r10", "r8", "cc", "memory");
	check(result > 0 && exited_with(reap((pid_t)result), 40), "clone VM|VFORK runs the child on its stack");

	int tid = 0;
	pid = (pid_t)raw(SYS_clone, 0x100000 | SIGCHLD, 0, (long)&tid, 0, 0);
	if (pid == 0)
		_exit(tid == 0 ? 8 : 9);
	check(pid > 0 && tid == pid, "clone PARENT_SETTID");
	check(exited_with(reap(pid), 8), "clone fork-like child");
}

static volatile int handled, handled_info;
static volatile uintptr_t handler_stack;

static void on_signal(int signal, siginfo_t *info, void *context)
{
	int local = 0;

	(void)context;
	handled = signal;
	handled_info = info->si_signo;
	handler_stack = (uintptr_t)&local;
	/* SSE registers used here must not leak into the interrupted code. */
	volatile double scratch = 1.0;
	for (int i = 0; i < 8; i++)
		scratch = scratch * 3.5 + 0.25;
}

static void on_term_exit(int signal)
{
	_exit(signal + 5);
}

static void install(int signal, void (*fn)(int, siginfo_t *, void *), int flags)
{
	struct sigaction action;

	memset(&action, 0, sizeof(action));
	action.sa_sigaction = fn;
	action.sa_flags = SA_SIGINFO | flags;
	sigaction(signal, &action, NULL);
}

/* Handlers installed with rt_sigaction run, return through rt_sigreturn,
 * and leave the interrupted code as it was. */
static void handlers(void)
{
	volatile double value = 1.5;
	sigset_t set;

	install(SIGUSR1, on_signal, 0);
	handled = 0;
	kill(getpid(), SIGUSR1);
	check(handled == SIGUSR1 && handled_info == SIGUSR1, "handler runs with its siginfo");
	check(value * 2 == 3.0, "SSE state kept across a handler");

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, NULL);
	handled = 0;
	kill(getpid(), SIGUSR1);
	check(handled == 0, "a blocked signal waits");
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	check(handled == SIGUSR1, "unblocking runs it");

	static char alternate[16384];
	stack_t stack = { .ss_sp = alternate, .ss_size = sizeof(alternate) };
	check(sigaltstack(&stack, NULL) == 0, "sigaltstack");
	install(SIGUSR2, on_signal, SA_ONSTACK);
	kill(getpid(), SIGUSR2);
	check(handler_stack > (uintptr_t)alternate &&
	      handler_stack < (uintptr_t)alternate + sizeof(alternate),
	      "SA_ONSTACK handler runs on the alternate stack");
	stack_t old;
	stack.ss_flags = SS_DISABLE;
	check(sigaltstack(&stack, &old) == 0 && old.ss_sp == alternate, "sigaltstack gives the old one");

	install(SIGCHLD, on_signal, 0);
	handled = 0;
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigset_t old_set;
	sigprocmask(SIG_BLOCK, &set, &old_set);
	pid_t pid = fork();
	if (pid == 0)
		_exit(0);
	sigemptyset(&set);
	int r = sigsuspend(&set);
	check(r == -1 && errno == EINTR && handled == SIGCHLD, "SIGCHLD handler after sigsuspend");
	sigprocmask(SIG_SETMASK, NULL, &set);
	check(sigismember(&set, SIGCHLD), "sigsuspend's mask is restored");
	sigprocmask(SIG_SETMASK, &old_set, NULL);
	signal(SIGCHLD, SIG_DFL);
	check(exited_with(reap(pid), 0), "the child is reaped after its SIGCHLD");

	pid = fork();
	if (pid == 0) {
		signal(SIGTERM, on_term_exit);
		for (volatile unsigned long i = 0;; i++)
			;
	}
	sleep_ms(30);
	kill(pid, SIGTERM);
	check(exited_with(reap(pid), SIGTERM + 5), "handler of a child in user mode runs");

	pid = fork();
	if (pid == 0) {
		install(SIGUSR1, on_signal, SA_RESETHAND);
		kill(getpid(), SIGUSR1);
		kill(getpid(), SIGUSR1);
		_exit(0);
	}
	check(killed_by(reap(pid), SIGUSR1), "SA_RESETHAND: the second one ends it");
	signal(SIGUSR1, SIG_DFL);
	signal(SIGUSR2, SIG_DFL);
}

int main(int argc, char **argv, char **envp)
{
	if (argc > 1 && strcmp(argv[1], "exec-target") == 0)
		return shared_value == 1 && envp[0] &&
			strcmp(envp[0], "VEIL_TEST=exec") == 0 ? 42 : 43;
	check(getppid() == 0, "getppid of the first process is 0");
	alone();
	if (argc < 2 || strcmp(argv[1], "alone") != 0) {
		fork_copies();
		wait_statuses();
		signals();
		exec_children();
		clones();
		handlers();
		check(raw(SYS_wait4, -1, 0, WNOHANG, 0, 0) == -ECHILD, "every child reaped");
	}
	printf("# checks %d failures %d\n", checks, failures);
	return failures ? 1 : 0;
}
