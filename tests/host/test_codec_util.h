/*
 * Shared helpers of the codec host tests: corpus loading (always the
 * in-tree corpus the build unpacks into build/corpus, and the *.pages of
 * the folder $VEIL_CORPUS names when it is set: make test VEIL_CORPUS=
 * ../shared/corpus) and seeded page contents.
 */
#ifndef VEIL_TESTS_HOST_TEST_CODEC_UTIL_H
#define VEIL_TESTS_HOST_TEST_CODEC_UTIL_H

#include <stddef.h>
#include <stdint.h>

/* The folder searched for *.pages files, relative to the project root (where
 * tests/run runs the host tests); the one $VEIL_CORPUS names is added. */
#define TEST_CODEC_CORPUS_TREE "build/corpus"

/* Loads the corpus files of both folders (each folder's sorted, names given
 * as "folder/file"); returns how many, 0 when neither folder has one. Each
 * file's pages stay loaded for the whole run. */
size_t test_codec_corpus(const char *const **names, uint8_t *const **pages,
			 const size_t **page_counts);

uint64_t test_codec_rng(uint64_t *state);
/* Kinds of synthetic page: 0 zero, 1 same word, 2 random, 3 small integers,
 * 4 pointer-like words, 5 text-like, 6 runs of short periods, 7 mixed. */
#define TEST_CODEC_KINDS 8
void test_codec_page(uint8_t *page, size_t length, unsigned kind, uint64_t seed);

#endif
