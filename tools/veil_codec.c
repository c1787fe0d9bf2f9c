/*
 * veil-codec: the page codecs as a host filter, to look at their output,
 * feed them real pages and check them against other implementations.
 *
 *   veil-codec list
 *   veil-codec encode --codec NAME < pages > stream
 *   veil-codec decode --codec NAME < stream > pages
 *
 * encode reads raw 4096-byte pages and writes, per page, a 4-byte
 * little-endian length and the encoded block: "lz4" writes plain LZ4 blocks
 * (any LZ4 block decoder reads them), "adaptive" writes sealed pages
 * (header byte + payload). decode reverses it and insists that every block
 * decodes to exactly one page. Bad input is reported with the page number
 * and a non-zero exit.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "transforms/codec.h"

#define PAGE CODEC_PAGE_BYTES
#define BLOCK_MAX CODEC_BOUND(PAGE)

static struct codec_workspace tool_workspace;

static const char *tool_result_name(int result)
{
	switch (result) {
	case XF_NO_SPACE:
		return "output does not fit";
	case XF_CORRUPT:
		return "malformed data";
	case XF_REFUSED:
		return "the codec does not apply";
	default:
		return "error";
	}
}

static int usage(void)
{
	fprintf(stderr,
		"usage: veil-codec list\n"
		"       veil-codec encode --codec NAME < pages > stream\n"
		"       veil-codec decode --codec NAME < stream > pages\n");
	return 2;
}

/* Reads exactly length bytes; 1 done, 0 clean end before any, -1 short. */
static int read_full(void *buffer, size_t length)
{
	size_t got = fread(buffer, 1, length, stdin);

	if (got == length)
		return 1;
	if (ferror(stdin)) {
		fprintf(stderr, "veil-codec: read error: %s\n", strerror(errno));
		return -1;
	}
	return got == 0 ? 0 : -1;
}

static int write_full(const void *buffer, size_t length)
{
	if (fwrite(buffer, 1, length, stdout) != length) {
		fprintf(stderr, "veil-codec: write error: %s\n", strerror(errno));
		return -1;
	}
	return 0;
}

static int tool_encode(const struct codec_ops *codec)
{
	static uint8_t page[PAGE], block[BLOCK_MAX];

	for (unsigned long number = 0;; number++) {
		size_t length = 0;
		uint8_t prefix[4];
		int got = read_full(page, PAGE), result;

		if (got == 0)
			return 0;
		if (got < 0) {
			fprintf(stderr, "veil-codec: page %lu: input ends inside the page "
				"(input must be whole 4096-byte pages)\n", number);
			return 1;
		}
		result = codec->encode(&tool_workspace, page, PAGE, block,
				       sizeof(block), &length);
		if (result != XF_OK) {
			fprintf(stderr, "veil-codec: page %lu: codec %s cannot encode it: %s\n",
				number, codec->name,
				result == XF_REFUSED ? "the codec does not apply to this page"
						     : tool_result_name(result));
			return 1;
		}
		for (unsigned i = 0; i < 4; i++)
			prefix[i] = (uint8_t)(length >> (8 * i));
		if (write_full(prefix, 4) || write_full(block, length))
			return 1;
	}
}

static int tool_decode(const struct codec_ops *codec)
{
	static uint8_t page[PAGE], block[BLOCK_MAX];

	for (unsigned long number = 0;; number++) {
		uint8_t prefix[4];
		size_t length, produced = 0;
		int got = read_full(prefix, 4), result;

		if (got == 0)
			return 0;
		if (got < 0) {
			fprintf(stderr, "veil-codec: block %lu: stream ends inside the length\n",
				number);
			return 1;
		}
		length = (size_t)prefix[0] | (size_t)prefix[1] << 8 |
			 (size_t)prefix[2] << 16 | (size_t)prefix[3] << 24;
		if (length > BLOCK_MAX) {
			fprintf(stderr, "veil-codec: block %lu: length %zu exceeds the "
				"largest block (%u bytes)\n", number, length,
				(unsigned)BLOCK_MAX);
			return 1;
		}
		if (read_full(block, length) != 1 && length) {
			fprintf(stderr, "veil-codec: block %lu: stream ends inside the "
				"block (%zu bytes announced)\n", number, length);
			return 1;
		}
		result = codec->decode(block, length, page, PAGE, &produced);
		if (result != XF_OK || produced != PAGE) {
			fprintf(stderr, "veil-codec: block %lu: corrupt %s block (%s)\n",
				number, codec->name,
				result != XF_OK ? tool_result_name(result)
						: "does not decode to one 4096-byte page");
			return 1;
		}
		if (write_full(page, PAGE))
			return 1;
	}
}

int main(int argc, char **argv)
{
	const struct codec_ops *codec;
	const char *name = NULL;
	int result;

	if (argc == 2 && strcmp(argv[1], "list") == 0) {
		for (size_t i = 0; codec_table[i]; i++)
			printf("%s\n", codec_table[i]->name);
		return 0;
	}
	if (argc != 4 || (strcmp(argv[1], "encode") && strcmp(argv[1], "decode")))
		return usage();
	if (strcmp(argv[2], "--codec") == 0)
		name = argv[3];
	else
		return usage();
	codec = codec_by_name(name);
	if (!codec) {
		fprintf(stderr, "veil-codec: unknown codec '%s' (veil-codec list "
			"names them)\n", name);
		return 2;
	}
	result = strcmp(argv[1], "encode") == 0 ? tool_encode(codec) : tool_decode(codec);
	if (fflush(stdout) != 0) {
		fprintf(stderr, "veil-codec: write error: %s\n", strerror(errno));
		return 1;
	}
	return result;
}
