/*
 * Linux's error numbers (asm-generic/errno-base.h and errno.h values, the
 * x86-64 ABI user programs are built against): system calls return their
 * negation.
 */
#ifndef VEIL_KERNEL_USER_USER_ERRNO_H
#define VEIL_KERNEL_USER_USER_ERRNO_H

#define USER_EPERM	1
#define USER_ENOENT	2
#define USER_ESRCH	3
#define USER_EINTR	4
#define USER_EIO	5
#define USER_E2BIG	7
#define USER_ENOEXEC	8
#define USER_EBADF	9
#define USER_ECHILD	10
#define USER_EAGAIN	11
#define USER_ENOMEM	12
#define USER_EACCES	13
#define USER_EFAULT	14
#define USER_EBUSY	16
#define USER_EEXIST	17
#define USER_EXDEV	18
#define USER_ENOTDIR	20
#define USER_EISDIR	21
#define USER_EINVAL	22
#define USER_EMFILE	24
#define USER_ENOTTY	25
#define USER_EFBIG	27
#define USER_ENOSPC	28
#define USER_ESPIPE	29
#define USER_EROFS	30
#define USER_EPIPE	32
#define USER_ERANGE	34
#define USER_ENAMETOOLONG 36
#define USER_ENOSYS	38
#define USER_ENOTEMPTY	39
#define USER_EOPNOTSUPP	95
#define USER_ETIMEDOUT	110
/* Kernel-internal, never seen by a program: a blocking call a signal
 * interrupted that is restarted when the handler has SA_RESTART (or no
 * handler runs) and fails with -EINTR otherwise (process_signal.c), as
 * Linux's ERESTARTSYS. */
#define USER_ERESTARTSYS 512

#endif
