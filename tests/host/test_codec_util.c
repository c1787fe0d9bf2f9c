/*
 * Corpus loading and synthetic pages for the codec host tests: the
 * corpora beside the project and the in-tree one (test_codec_util.h).
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tests/host/test_codec_util.h"

#define CORPUS_MAX 16

static const char *corpus_names[CORPUS_MAX];
static uint8_t *corpus_pages[CORPUS_MAX];
static size_t corpus_counts[CORPUS_MAX];
static size_t corpus_files;
static int corpus_loaded;

static int name_order(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Loads one corpus file as the next entry; a file that cannot be read
 * adds nothing. */
static void corpus_load_file(const char *path)
{
	FILE *file = fopen(path, "rb");
	long size;

	if (!file)
		return;
	fseek(file, 0, SEEK_END);
	size = ftell(file);
	rewind(file);
	corpus_pages[corpus_files] = malloc((size_t)size + 1);
	corpus_counts[corpus_files] = (size_t)size / 4096;
	if (fread(corpus_pages[corpus_files], 4096, corpus_counts[corpus_files],
		  file) == corpus_counts[corpus_files])
		corpus_names[corpus_files++] = strdup(path);
	fclose(file);
}

/* Loads the *.pages files of one folder, in name order; a missing folder
 * adds nothing. */
static void corpus_load_folder(const char *folder)
{
	DIR *dir = opendir(folder);
	struct dirent *entry;
	char *found[CORPUS_MAX];
	size_t count = 0;

	while (dir && (entry = readdir(dir)) && corpus_files + count < CORPUS_MAX) {
		size_t length = strlen(entry->d_name);

		if (length > 6 && strcmp(entry->d_name + length - 6, ".pages") == 0)
			found[count++] = strdup(entry->d_name);
	}
	if (dir)
		closedir(dir);
	qsort(found, count, sizeof(found[0]), name_order);
	for (size_t i = 0; i < count; i++) {
		char path[512];

		snprintf(path, sizeof(path), "%s/%s", folder, found[i]);
		corpus_load_file(path);
		free(found[i]);
	}
}

size_t test_codec_corpus(const char *const **names, uint8_t *const **pages,
			 const size_t **page_counts)
{
	if (!corpus_loaded) {
		corpus_loaded = 1;
		const char *asked = getenv("VEIL_CORPUS");

		if (asked && *asked)
			corpus_load_folder(asked);
		corpus_load_folder(TEST_CODEC_CORPUS_TREE);
	}
	*names = corpus_names;
	*pages = corpus_pages;
	*page_counts = corpus_counts;
	return corpus_files;
}

uint64_t test_codec_rng(uint64_t *state)
{
	uint64_t x = *state;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*state = x;
	return x;
}

void test_codec_page(uint8_t *page, size_t length, unsigned kind, uint64_t seed)
{
	uint64_t state = seed * 0x9e3779b97f4a7c15ull + 7;
	uint64_t word = test_codec_rng(&state);

	for (size_t i = 0; i < length; i++) {
		uint64_t r = test_codec_rng(&state);

		switch (kind % TEST_CODEC_KINDS) {
		case 0:
			page[i] = 0;
			break;
		case 1:
			page[i] = (uint8_t)(word >> (i % 8 * 8));
			break;
		case 2:
			page[i] = (uint8_t)r;
			break;
		case 3:	/* little-endian 32-bit integers under 1000 */
			page[i] = i % 4 == 0 ? (uint8_t)(r % 232) :
				  i % 4 == 1 ? (uint8_t)(r % 4) : 0;
			break;
		case 4:	/* 0x00007fxx_xxxxxxxx pointers, 8-byte aligned */
			page[i] = i % 8 < 2 ? (uint8_t)(r & 0xf8) :
				  i % 8 < 4 ? (uint8_t)(word >> (i % 8 * 8)) :
				  i % 8 == 4 ? 0xff : i % 8 == 5 ? 0x7f : 0;
			break;
		case 5:
			page[i] = (uint8_t)("the quick brown fox jumps over "[r % 31]);
			break;
		case 6:	/* periods 1..9, switching now and then */
			page[i] = i >= (word % 9 + 1) && r % 64 ?
				  page[i - (word % 9 + 1)] : (uint8_t)r;
			if (r % 512 == 0)
				word = test_codec_rng(&state);
			break;
		default:
			page[i] = r % 4 == 0 ? (uint8_t)r : i >= 16 ? page[i - 16 + r % 3] : 0;
			break;
		}
	}
}
