/*
 * Host test of build/host/veil-codec: pages round-trip through encode and
 * decode for every codec that applies, "lz4" output is plain LZ4 (liblz4
 * decodes it), and bad input (unknown codec, truncated stream, corrupt
 * block, partial page) gives a message and a non-zero exit. Runs the tool
 * through the shell from the repository root; skips if it is not built.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <lz4.h>
#include "tests/host/htest.h"
#include "tests/host/test_codec_util.h"

#define TOOL "build/host/veil-codec"
#define PAGES 24

static char tool_dir[] = "/tmp/veil-codec-test-XXXXXX";

/* Runs a shell command; its exit status, or -1. */
static int tool_run(const char *command)
{
	int status = system(command);

	return status >= 0 && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static bool write_file(const char *path, const void *data, size_t length)
{
	FILE *file = fopen(path, "wb");
	bool ok = file && fwrite(data, 1, length, file) == length;

	if (file)
		fclose(file);
	return ok;
}

static size_t read_file(const char *path, uint8_t *data, size_t capacity)
{
	FILE *file = fopen(path, "rb");
	size_t length = file ? fread(data, 1, capacity, file) : 0;

	if (file)
		fclose(file);
	return length;
}

HTEST(tool_round_trip)
{
	static uint8_t pages[PAGES * 4096], back[PAGES * 4096 + 1];
	static uint8_t stream[PAGES * 8192];
	static const char *const codecs[] = { "lz4", "wkdm", "adaptive", "dense" };
	char command[1024], in[128], encoded[128], decoded[128];
	size_t length;

	if (access(TOOL, X_OK) != 0) {
		htest_skip(TOOL " not built");
		return;
	}
	if (!mkdtemp(tool_dir)) {
		htest_skip("no temporary directory");
		return;
	}
	for (size_t i = 0; i < PAGES; i++)
		test_codec_page(pages + i * 4096, 4096, (unsigned)i, i + 5);
	snprintf(in, sizeof(in), "%s/pages", tool_dir);
	snprintf(encoded, sizeof(encoded), "%s/encoded", tool_dir);
	snprintf(decoded, sizeof(decoded), "%s/decoded", tool_dir);
	HCHECK(write_file(in, pages, sizeof(pages)));

	snprintf(command, sizeof(command), TOOL " list | grep -qx adaptive");
	HCHECK_EQ(tool_run(command), 0);
	for (size_t c = 0; c < sizeof(codecs) / sizeof(codecs[0]); c++) {
		snprintf(command, sizeof(command),
			 TOOL " encode --codec %s < %s > %s && "
			 TOOL " decode --codec %s < %s > %s",
			 codecs[c], in, encoded, codecs[c], encoded, decoded);
		HCHECK_EQ(tool_run(command), 0);
		length = read_file(decoded, back, sizeof(back));
		HCHECK(length == sizeof(pages) && memcmp(back, pages, length) == 0);
	}

	/* lz4: each record is a plain LZ4 block */
	snprintf(command, sizeof(command), TOOL " encode --codec lz4 < %s > %s", in, encoded);
	HCHECK_EQ(tool_run(command), 0);
	length = read_file(encoded, stream, sizeof(stream));
	{
		size_t at = 0, page = 0;
		bool ok = true;

		while (at + 4 <= length && page < PAGES) {
			uint32_t block = (uint32_t)stream[at] | (uint32_t)stream[at + 1] << 8 |
					 (uint32_t)stream[at + 2] << 16 |
					 (uint32_t)stream[at + 3] << 24;

			ok &= LZ4_decompress_safe((const char *)stream + at + 4,
						  (char *)back, (int)block, 4096) == 4096 &&
			      memcmp(back, pages + page * 4096, 4096) == 0;
			at += 4 + block;
			page++;
		}
		HCHECK(ok && page == PAGES && at == length);

		/* a truncated stream, a corrupt block, a bad length */
		HCHECK(write_file(decoded, stream, length - 3));
		snprintf(command, sizeof(command),
			 TOOL " decode --codec lz4 < %s > /dev/null 2>%s/err", decoded, tool_dir);
		HCHECK_EQ(tool_run(command), 1);
		snprintf(command, sizeof(command), "grep -q 'stream ends' %s/err", tool_dir);
		HCHECK_EQ(tool_run(command), 0);
		stream[5] ^= 0xff;
		stream[6] ^= 0xff;
		HCHECK(write_file(decoded, stream, length));
		snprintf(command, sizeof(command),
			 TOOL " decode --codec lz4 < %s > /dev/null 2>%s/err", decoded, tool_dir);
		HCHECK_EQ(tool_run(command), 1);
		stream[3] = 0x7f;
		HCHECK(write_file(decoded, stream, length));
		HCHECK_EQ(tool_run(command), 1);
	}

	/* unknown codec, bad usage, a partial page, samefill on other pages */
	snprintf(command, sizeof(command),
		 TOOL " encode --codec nosuch < %s > /dev/null 2>%s/err", in, tool_dir);
	HCHECK(tool_run(command) != 0);
	snprintf(command, sizeof(command), "grep -q 'unknown codec' %s/err", tool_dir);
	HCHECK_EQ(tool_run(command), 0);
	snprintf(command, sizeof(command), TOOL " frobnicate 2>/dev/null");
	HCHECK(tool_run(command) != 0);
	snprintf(command, sizeof(command),
		 "head -c 5000 %s | " TOOL " encode --codec lz4 > /dev/null 2>&1", in);
	HCHECK(tool_run(command) != 0);
	snprintf(command, sizeof(command),
		 TOOL " encode --codec samefill < %s > /dev/null 2>&1", in);
	HCHECK(tool_run(command) != 0);

	snprintf(command, sizeof(command), "rm -rf %s", tool_dir);
	tool_run(command);
}
