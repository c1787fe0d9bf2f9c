/*
 * ktest suite "user_files": the writable /tmp and pipes. tests/user/
 * files.c checks every file call from user mode (its own KTAP lines,
 * counted here), run twice: the second run must give back every frame and
 * leave /tmp as it found it. A pipe is also driven from two kernel
 * threads (the blocking reader and writer, the order of the bytes, the
 * end of the stream), and SIGPIPE's default is checked to end a writer.
 */
#include <stdint.h>
#include <string.h>
#include "kernel/ktest/ktest.h"
#include "kernel/lib/cpu.h"
#include "kernel/lib/printk.h"
#include "kernel/sched/sched.h"
#include "kernel/user/file.h"
#include "kernel/user/initramfs.h"
#include "kernel/user/pipe.h"
#include "kernel/user/process.h"
#include "kernel/user/user_test_util.h"
#include "kernel/user/tmpfs.h"
#include "kernel/user/user_errno.h"
#include "mm/mm.h"
#include "mm/slab.h"

/* Runs /bin/files with argv, capturing its output: its wait status. */
static int file_test_run(struct ktest *t, const char *const *argv,
			 struct user_test_output *output)
{
	struct process_config config = user_test_config("/bin/files", argv, output);
	struct process *process;
	struct process_result ended;

	memset(output, 0, sizeof(*output));
	if (!initramfs_present())
		ktest_skip(t, "no initramfs module (tests/user programs)");
	KTEST_ASSERT(t, process_spawn(&config, &process) == 0);
	process_wait(process, &ended);
	ktest_log(t, "files: status 0x%x, %zu bytes of output",
		  ended.wait_status, output->length);
	return ended.wait_status;
}

/* Checks the program's summary: exit 0, at least 140 checks, all passed. */
static void file_test_summary(struct ktest *t, int status,
			      const struct user_test_output *output)
{
	KTEST_EXPECT_EQ(t, status, PROCESS_STATUS_EXITED(0));
	KTEST_EXPECT(t, user_test_check_summary(t, output) >= 140);
}

KTEST_SLOW(user_files, file_calls_answer_as_linux_does, 60000)
{
	static struct user_test_output output;
	const char *argv[] = { "files", NULL };
	uint64_t pages, nodes, pages_after, nodes_after;

	tmpfs_usage(&pages, &nodes);
	file_test_run(t, argv, &output);
	uint64_t before = user_test_free_frames();
	int status = file_test_run(t, argv, &output);
	KTEST_EXPECT_EQ(t, user_test_free_frames(), before);
	file_test_summary(t, status, &output);
	tmpfs_usage(&pages_after, &nodes_after);
	KTEST_EXPECT_EQ(t, pages_after, pages);
	KTEST_EXPECT_EQ(t, nodes_after, nodes);
}

KTEST(user_files, a_write_with_no_reader_is_sigpipe)
{
	static struct user_test_output output;
	const char *argv[] = { "files", "sigpipe", NULL };

	int status = file_test_run(t, argv, &output);
	KTEST_EXPECT_EQ(t, status, 13);	/* killed by SIGPIPE */
	KTEST_EXPECT(t, strstr(output.bytes, "no reader") != NULL);
	KTEST_EXPECT(t, strstr(output.bytes, "still alive") == NULL);
}

/* The writer thread of the kernel pipe case: FILE_TEST_PIPE_BYTES of a
 * known pattern in writes of varying sizes, then its end closed. */
#define FILE_TEST_PIPE_BYTES (300u * 1024)

struct file_test_pipe {
	struct file *read_end, *write_end;
	long written;
};

static uint8_t file_test_pattern(uint64_t at)
{
	return (uint8_t)(at * 7 + at / 251);
}

static void file_test_writer(void *argument)
{
	struct file_test_pipe *pipe = argument;
	uint8_t chunk[3000];
	uint64_t at = 0;

	while (at < FILE_TEST_PIPE_BYTES) {
		size_t step = 1 + (size_t)(at % sizeof(chunk));
		if (step > FILE_TEST_PIPE_BYTES - at)
			step = (size_t)(FILE_TEST_PIPE_BYTES - at);
		for (size_t i = 0; i < step; i++)
			chunk[i] = file_test_pattern(at + i);
		long put = pipe_write(pipe->write_end->pipe,
				      file_buffer_kernel(chunk), step, false);
		if (put != (long)step)
			break;
		at += step;
	}
	pipe->written = (long)at;
	file_put(pipe->write_end);
}

KTEST(user_files, pipe_between_two_threads_blocks_and_keeps_order)
{
	static struct file_test_pipe pipe;
	static uint8_t chunk[5000];
	uint64_t at = 0, wrong = 0;
	long got;

	KTEST_ASSERT(t, pipe_create(&pipe.read_end, &pipe.write_end) == 0);
	pipe.written = 0;
	struct thread *writer = thread_create("pipe-writer", file_test_writer,
					      &pipe);
	KTEST_ASSERT(t, writer != NULL);
	while ((got = pipe_read(pipe.read_end->pipe, file_buffer_kernel(chunk),
				sizeof(chunk), false)) > 0) {
		for (long i = 0; i < got; i++)
			wrong += chunk[i] != file_test_pattern(at + (uint64_t)i);
		at += (uint64_t)got;
	}
	thread_join(writer);
	KTEST_EXPECT_EQ(t, got, 0);	/* the end of the stream */
	KTEST_EXPECT_EQ(t, pipe.written, (long)FILE_TEST_PIPE_BYTES);
	KTEST_EXPECT_EQ(t, at, FILE_TEST_PIPE_BYTES);
	KTEST_EXPECT_EQ(t, wrong, 0);
	/* No reader left: the write is refused. */
	struct file *read_end, *write_end;
	KTEST_ASSERT(t, pipe_create(&read_end, &write_end) == 0);
	file_put(read_end);
	KTEST_EXPECT_EQ(t, pipe_write(write_end->pipe, file_buffer_kernel(chunk),
				      1, false), -USER_EPIPE);
	file_put(write_end);
	file_put(pipe.read_end);
}
