/*
 * Linux's x86-64 values of open's flags and st_mode's file types, which
 * the system calls and the file systems share.
 */
#ifndef VEIL_KERNEL_USER_USER_FCNTL_H
#define VEIL_KERNEL_USER_USER_FCNTL_H

#define O_ACCMODE 3u
#define O_RDONLY 0u
#define O_WRONLY 1u
#define O_RDWR 2u
#define O_CREAT 0x40u
#define O_EXCL 0x80u
#define O_NOCTTY 0x100u
#define O_TRUNC 0x200u
#define O_APPEND 0x400u
#define O_NONBLOCK 0x800u
#define O_DSYNC 0x1000u
#define O_LARGEFILE 0x8000u
#define O_DIRECTORY 0x10000u
#define O_NOFOLLOW 0x20000u
#define O_CLOEXEC 0x80000u

#define S_IFMT 0170000u
#define S_IFIFO 0010000u
#define S_IFCHR 0020000u
#define S_IFDIR 0040000u
#define S_IFREG 0100000u
#define S_IFLNK 0120000u

#endif
