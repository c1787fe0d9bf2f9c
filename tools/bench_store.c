/*
 * bench-store: figures for the page stores (mm/zstore.c, and the
 * log-structured mm/logstore.c: every line twice, ending store=zstore or
 * store=logstore) on the host. Pages
 * of a corpus file are compressed alone with liblz4 (pages that do not
 * shrink are kept raw, as transforms do) and stored REPEAT times over, to
 * see the packing at a realistic size; then half are freed at random and the
 * store compacted. Prints one line per file; then, for populations of 64,
 * 1000, 10^5 and 10^6 objects (the file's pages over and over), one line
 *   efficiency file=F pages=<n> codec_ratio=<x> store_ratio=<y> efficiency=<y/x>
 * where store_ratio counts data and every metadata frame. Asserts nothing.
 *
 * Usage: bench-store [REPEAT] FILE...
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <lz4.h>
#include "mm/logstore.h"
#include "mm/store.h"
#include "mm/zstore.h"

static long bench_frames_live;

static void *bench_alloc_page(void *context)
{
	void *page = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	(void)context;
	if (page == MAP_FAILED)
		return NULL;
	bench_frames_live++;
	return page;
}

static void bench_free_page(void *context, void *page)
{
	(void)context;
	bench_frames_live--;
	munmap(page, 4096);
}

/*
 * The population runs need up to a few hundred thousand frames: they come
 * from one lazily backed reservation with a free list (a mapping per frame
 * would hit the kernel's limit on mappings).
 */
#define BENCH_POOL_FRAMES (1u << 21)
static char *bench_pool;
static unsigned bench_pool_used;
static void *bench_pool_free;

static void *bench_pool_alloc(void *context)
{
	void *page = bench_pool_free;

	(void)context;
	if (page) {
		bench_pool_free = *(void **)page;
	} else {
		if (bench_pool_used == BENCH_POOL_FRAMES)
			return NULL;
		page = bench_pool + (size_t)bench_pool_used++ * 4096;
	}
	bench_frames_live++;
	return page;
}

static void bench_pool_release(void *context, void *page)
{
	(void)context;
	bench_frames_live--;
	*(void **)page = bench_pool_free;
	bench_pool_free = page;
}

/* The stores measured, by the name their ops table gives. */
enum bench_kind { BENCH_ZSTORE, BENCH_LOGSTORE, BENCH_KINDS };

static struct store *bench_store_create(enum bench_kind kind,
					struct store_page_provider provider,
					uint64_t frame_limit, uint64_t max_objects)
{
	struct zstore_config z = {
		.name = "bench", .provider = provider,
		.frame_limit = frame_limit, .max_objects = max_objects,
	};
	struct logstore_config log = {
		.name = "bench", .provider = provider,
		.frame_limit = frame_limit, .max_objects = max_objects,
	};

	return kind == BENCH_LOGSTORE ? logstore_create(&log) : zstore_create(&z);
}

static double bench_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static char pages[2048][4096];
static char blobs[2048][LZ4_COMPRESSBOUND(4096)];
static int lengths[2048];

/* Stores `population` objects (the corpus's pages in turn) in a new store
 * and prints the store's efficiency against the codec's ratio. */
static void bench_population(const char *path, unsigned count,
			     unsigned population, enum bench_kind kind)
{
	struct store_page_provider pool = { bench_pool_alloc, bench_pool_release, NULL };
	store_handle_t *handles = calloc(population, sizeof(*handles));
	struct store *store = bench_store_create(kind, pool, BENCH_POOL_FRAMES,
						 population);
	struct store_stats st;
	unsigned stored = 0;
	double codec, ratio;

	if (!store || !handles) {
		fprintf(stderr, "bench-store: no store\n");
		free(handles);
		return;
	}
	for (unsigned i = 0; i < population; i++)
		stored += store_put(store, blobs[i % count], (size_t)lengths[i % count],
				    &handles[i]) == STORE_OK;
	store_stats(store, &st);
	codec = st.pages_stored * 4096.0 / st.bytes_stored;
	ratio = (double)st.pages_stored / (st.frames_used + st.metadata_frames);
	printf("efficiency file=%s pages=%u stored=%u data_frames=%llu "
	       "metadata_frames=%llu codec_ratio=%.3f store_ratio=%.3f "
	       "efficiency=%.3f store=%s\n", path, population, stored,
	       (unsigned long long)st.frames_used,
	       (unsigned long long)st.metadata_frames, codec, ratio,
	       ratio / codec, store->ops->name);
	store_destroy(store);
	free(handles);
}

/* Reads a corpus file and compresses its pages; the page count, 0 when
 * there is none. */
static unsigned bench_load(const char *path)
{
	unsigned count;
	FILE *f = fopen(path, "rb");

	if (!f) {
		fprintf(stderr, "bench-store: cannot open %s\n", path);
		return 0;
	}
	count = (unsigned)fread(pages, 4096, 2048, f);
	fclose(f);
	if (count == 0) {
		fprintf(stderr, "bench-store: %s holds no page\n", path);
		return 0;
	}
	for (unsigned i = 0; i < count; i++) {
		lengths[i] = LZ4_compress_default(pages[i], blobs[i], 4096,
						  sizeof(blobs[i]));
		if (lengths[i] <= 0 || lengths[i] >= 4096) {
			memcpy(blobs[i], pages[i], 4096);
			lengths[i] = 4096;
		}
	}
	return count;
}

static void bench_file(const char *path, unsigned count, unsigned repeat,
		       enum bench_kind kind)
{
	static const unsigned populations[] = { 64, 1000, 100000, 1000000 };
	struct store_page_provider mapped = { bench_alloc_page, bench_free_page, NULL };
	struct store_stats full, half, compacted;
	store_handle_t *handles;
	char buffer[4096];
	unsigned total, stored = 0, freed = 0;
	uint64_t rng = 12345;
	double t0, t_put, t_read, t_free, t_compact;
	struct store *store;

	total = count * repeat;
	handles = calloc(total, sizeof(*handles));
	store = bench_store_create(kind, mapped, 1u << 22, 0);
	if (!store || !handles) {
		fprintf(stderr, "bench-store: no store\n");
		free(handles);
		return;
	}

	t0 = bench_now();
	for (unsigned i = 0; i < total; i++)
		stored += store_put(store, blobs[i % count], (size_t)lengths[i % count],
				    &handles[i]) == STORE_OK;
	t_put = bench_now() - t0;
	store_stats(store, &full);

	t0 = bench_now();
	for (unsigned i = 0; i < total; i++) {
		size_t length;

		store_read(store, handles[i], buffer, sizeof(buffer), &length);
	}
	t_read = bench_now() - t0;

	t0 = bench_now();
	for (unsigned i = 0; i < total; i++) {
		rng ^= rng << 13;
		rng ^= rng >> 7;
		rng ^= rng << 17;
		if (rng & 1) {
			store_free(store, handles[i]);
			freed++;
		}
	}
	t_free = bench_now() - t0;
	store_stats(store, &half);

	t0 = bench_now();
	store_compact(store);
	t_compact = bench_now() - t0;
	store_stats(store, &compacted);

	printf("store file=%s objects=%u stored=%u bytes=%llu data_frames=%llu "
	       "metadata_frames=%llu ratio=%.3f codec_ratio=%.3f packing=%.3f "
	       "put_ns=%.0f read_ns=%.0f free_ns=%.0f store=%s\n",
	       path, total, stored, (unsigned long long)full.bytes_stored,
	       (unsigned long long)full.frames_used,
	       (unsigned long long)full.metadata_frames, full.ratio_milli / 1000.0,
	       full.pages_stored * 4096.0 / full.bytes_stored,
	       full.bytes_stored / (full.frames_used * 4096.0),
	       t_put * 1e9 / total, t_read * 1e9 / total,
	       t_free * 1e9 / (freed ? freed : 1), store->ops->name);
	printf("store file=%s half_freed=%u data_frames_before=%llu "
	       "data_frames_after=%llu objects_moved=%llu ratio_before=%.3f "
	       "ratio_after=%.3f compact_ms=%.2f store=%s\n",
	       path, freed, (unsigned long long)half.frames_used,
	       (unsigned long long)compacted.frames_used,
	       (unsigned long long)compacted.objects_moved,
	       half.ratio_milli / 1000.0, compacted.ratio_milli / 1000.0,
	       t_compact * 1e3, store->ops->name);
	store_destroy(store);
	free(handles);
	if (bench_frames_live)
		printf("store file=%s leaked_frames=%ld\n", path, bench_frames_live);
	for (unsigned i = 0; i < sizeof(populations) / sizeof(populations[0]); i++)
		bench_population(path, count, populations[i], kind);
	if (bench_frames_live)
		printf("store file=%s leaked_frames=%ld\n", path, bench_frames_live);
}

int main(int argc, char **argv)
{
	unsigned repeat = 8;
	int first = 1;

	if (argc > 1 && strtoul(argv[1], NULL, 10) > 0) {
		repeat = (unsigned)strtoul(argv[1], NULL, 10);
		first = 2;
	}
	if (first >= argc) {
		fprintf(stderr, "usage: bench-store [REPEAT] FILE...\n");
		return 2;
	}
	bench_pool = mmap(NULL, (size_t)BENCH_POOL_FRAMES * 4096,
			  PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (bench_pool == MAP_FAILED) {
		fprintf(stderr, "bench-store: no frame pool\n");
		return 1;
	}
	for (int i = first; i < argc; i++) {
		unsigned count = bench_load(argv[i]);

		for (unsigned kind = 0; count && kind < BENCH_KINDS; kind++)
			bench_file(argv[i], count, repeat, kind);
	}
	return 0;
}
