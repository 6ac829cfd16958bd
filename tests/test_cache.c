/*
 * Tests for net/cache.c: hashing, the partial-file bookkeeping a resumed
 * download relies on, what counts as verified, start-up checks of stored
 * files, collection of unused files and the least-recently-used order of
 * the size cap. Everything happens in a temporary directory.
 */
#define LOG_MODULE "test-cache"
#include "player/log.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "net/cache.h"
#include "tests/check.h"

static char root[] = "/tmp/lianbo-test-cache-XXXXXX";

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    return remove(path);
}

static void remove_tree(const char *path)
{
    nftw(path, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* A fresh cache directory under ROOT. */
static struct cache *fresh(const char *name, int64_t max_bytes, char *dir, size_t cap)
{
    snprintf(dir, cap, "%s/%s", root, name);
    remove_tree(dir);
    struct cache *c = cache_create(dir, max_bytes, NULL);
    CHECK(c != NULL, "cache_create %s", dir);
    return c;
}

static void fill(unsigned char *buf, size_t len, unsigned seed)
{
    for (size_t i = 0; i < len; i++) {
        seed = seed * 1103515245u + 12345u;
        buf[i] = (unsigned char)(seed >> 16);
    }
}

static bool write_all(int fd, const void *data, size_t len)
{
    return write(fd, data, len) == (ssize_t)len;
}

static bool exists(const char *dir, const char *sub, const char *name)
{
    char path[1200];
    snprintf(path, sizeof(path), "%s/%s/%s", dir, sub, name);
    return access(path, F_OK) == 0;
}

static void set_mtime(const char *dir, const char *hash, time_t when)
{
    char path[1200];
    struct timespec times[2] = {{when, 0}, {when, 0}};
    snprintf(path, sizeof(path), "%s/media/%s", dir, hash);
    CHECK(utimensat(AT_FDCWD, path, times, 0) == 0, "utimensat %s: %s", path,
          strerror(errno));
}

/* Stores DATA through the partial file, as a download would. */
static bool store(struct cache *c, const void *data, size_t len, char hash[65])
{
    char why[512] = "";
    int64_t have = -1;
    cache_sha256_hex(data, len, hash);
    int fd = cache_partial_open(c, hash, (int64_t)len, &have);
    if (fd < 0)
        return false;
    bool ok = write_all(fd, data, len) &&
              cache_partial_commit(c, fd, hash, (int64_t)len, why, sizeof(why)) == CACHE_STORED;
    close(fd);
    CHECK(ok, "store %s: %s", hash, why);
    return ok;
}

static void test_hash(void)
{
    char out[65];
    cache_sha256_hex("", 0, out);
    CHECK_STR(out, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    cache_sha256_hex("abc", 3, out);
    CHECK_STR(out, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");

    CHECK(cache_valid_hash(out), "a real hash");
    CHECK(!cache_valid_hash(NULL), "NULL");
    CHECK(!cache_valid_hash(""), "empty");
    CHECK(!cache_valid_hash("BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD"),
          "upper case is not a cache name");
    CHECK(!cache_valid_hash("../../../../../../../../../../../../../../../../etc/passwd"),
          "a path is not a hash");
    CHECK(!cache_valid_hash("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015a"),
          "63 digits");
}

static void test_partial_and_commit(void)
{
    char dir[512], hash[65], why[512], path[1200];
    unsigned char data[100000];
    int64_t have = -1;
    struct cache *c = fresh("partial", 0, dir, sizeof(dir));
    if (!c)
        return;
    fill(data, sizeof(data), 1);
    cache_sha256_hex(data, sizeof(data), hash);

    CHECK(exists(dir, "media", "") && exists(dir, "partial", ""), "subdirectories made");
    CHECK(cache_find(c, hash, sizeof(data), true) == NULL, "nothing stored yet");

    /* A first try stops after 40000 bytes. */
    int fd = cache_partial_open(c, hash, sizeof(data), &have);
    CHECK(fd >= 0 && have == 0, "new partial file: fd %d, have %lld", fd, (long long)have);
    CHECK(write_all(fd, data, 40000), "write first piece");
    close(fd);

    /* The next one (maybe after a restart) finds where to go on from. */
    fd = cache_partial_open(c, hash, sizeof(data), &have);
    CHECK(fd >= 0 && have == 40000, "resume point %lld, want 40000", (long long)have);
    CHECK(pwrite(fd, data + 40000, sizeof(data) - 40000, 40000) ==
          (ssize_t)(sizeof(data) - 40000), "write the rest");
    snprintf(path, sizeof(path), "%s.part", hash);
    CHECK(exists(dir, "partial", path), "partial file while downloading");
    CHECK(!exists(dir, "media", hash), "not in media/ before the check");
    enum cache_result r = cache_partial_commit(c, fd, hash, sizeof(data), why, sizeof(why));
    close(fd);
    CHECK(r == CACHE_STORED, "commit: %d %s", (int)r, why);
    CHECK(exists(dir, "media", hash), "in media/ after the check");
    CHECK(!exists(dir, "partial", path), "partial file gone after the check");

    char *found = cache_find(c, hash, sizeof(data), true);
    snprintf(path, sizeof(path), "%s/media/%s", dir, hash);
    CHECK_STR(found, path);
    free(found);
    CHECK(cache_bytes(c) == (int64_t)sizeof(data), "cache_bytes %lld",
          (long long)cache_bytes(c));
    CHECK(cache_find(c, hash, sizeof(data) + 1, false) == NULL,
          "a size the file does not have");
    CHECK(!exists(dir, "media", hash), "a file of the wrong size is deleted");
    cache_destroy(c);
}

static void test_partial_longer_than_size(void)
{
    char dir[512], hash[65];
    unsigned char data[1000];
    int64_t have = -1;
    struct cache *c = fresh("longer", 0, dir, sizeof(dir));
    if (!c)
        return;
    fill(data, sizeof(data), 2);
    cache_sha256_hex(data, 500, hash);
    int fd = cache_partial_open(c, hash, 500, &have);
    CHECK(fd >= 0 && write_all(fd, data, sizeof(data)), "write 1000 bytes");
    close(fd);
    fd = cache_partial_open(c, hash, 500, &have);
    CHECK(fd >= 0 && have == 0, "a partial file longer than the size starts over: %lld",
          (long long)have);
    struct stat st;
    CHECK(fd >= 0 && fstat(fd, &st) == 0 && st.st_size == 0, "emptied");
    if (fd >= 0)
        close(fd);
    cache_destroy(c);
}

struct bad_case {
    const char *what;
    size_t write_len;       /* bytes written to the partial file */
    size_t manifest_size;   /* what the manifest says */
    bool corrupt;           /* flip a byte */
    const char *want;       /* in the reason */
};

static void test_commit_refuses(void)
{
    static const struct bad_case cases[] = {
        {"empty", 0, 0, false, "the server sent an empty file"},
        {"empty, size given", 0, 500, false, "the server sent an empty file"},
        {"short", 300, 500, false, "the server sent 300 bytes, the manifest says 500"},
        {"long", 600, 500, false, "the server sent 600 bytes, the manifest says 500"},
        {"wrong hash", 500, 500, true, "has SHA-256 "},
    };
    char dir[512], hash[65], why[512], name[80];
    unsigned char data[600];
    struct cache *c = fresh("refuse", 0, dir, sizeof(dir));
    if (!c)
        return;
    fill(data, sizeof(data), 3);
    cache_sha256_hex(data, 500, hash);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct bad_case *k = &cases[i];
        unsigned char copy[600];
        int64_t have;
        memcpy(copy, data, sizeof(copy));
        if (k->corrupt)
            copy[123] ^= 1;
        int fd = cache_partial_open(c, hash, 600, &have);
        CHECK(fd >= 0 && ftruncate(fd, 0) == 0 && write_all(fd, copy, k->write_len),
              "%s: set up", k->what);
        why[0] = '\0';
        enum cache_result r = cache_partial_commit(c, fd, hash, (int64_t)k->manifest_size,
                                                   why, sizeof(why));
        close(fd);
        CHECK(r == CACHE_FAILED, "%s: result %d", k->what, (int)r);
        CHECK(strstr(why, k->want) != NULL, "%s: want \"%s\" in \"%s\"", k->what, k->want,
              why);
        snprintf(name, sizeof(name), "%s.part", hash);
        CHECK(!exists(dir, "partial", name), "%s: discarded", k->what);
        CHECK(!exists(dir, "media", hash), "%s: never stored", k->what);
        CHECK(cache_find(c, hash, 500, true) == NULL, "%s: not found", k->what);
    }
    cache_destroy(c);
}

/* A stored file damaged since (a failing SD card) is found at the next
 * start, when the cache is opened again, and deleted. */
static void test_damaged_at_start(void)
{
    char dir[512], hash[65], path[1200];
    unsigned char data[5000];
    struct cache *c = fresh("damaged", 0, dir, sizeof(dir));
    if (!c)
        return;
    fill(data, sizeof(data), 4);
    store(c, data, sizeof(data), hash);
    cache_destroy(c);

    snprintf(path, sizeof(path), "%s/media/%s", dir, hash);
    int fd = open(path, O_WRONLY);
    CHECK(fd >= 0 && pwrite(fd, "X", 1, 2000) == 1, "damage %s", path);
    if (fd >= 0)
        close(fd);

    c = cache_create(dir, 0, NULL);
    char *quick = cache_find(c, hash, sizeof(data), false);
    CHECK(quick != NULL, "the size alone still matches");
    free(quick);
    CHECK(cache_find(c, hash, sizeof(data), true) == NULL, "the hash does not");
    CHECK(!exists(dir, "media", hash), "the damaged file is deleted to be fetched again");
    cache_destroy(c);
}

static void test_collect(void)
{
    char dir[512], a[65], b[65], cc[65], d[65], name[80], path[1200];
    unsigned char data[4][300];
    int64_t have;
    struct cache *c = fresh("collect", 0, dir, sizeof(dir));
    if (!c)
        return;
    for (int i = 0; i < 4; i++)
        fill(data[i], sizeof(data[i]), 10 + (unsigned)i);
    store(c, data[0], 300, a);
    store(c, data[1], 300, b);
    store(c, data[2], 300, cc);
    cache_sha256_hex(data[3], 300, d);
    int fd = cache_partial_open(c, d, 300, &have);
    CHECK(fd >= 0 && write_all(fd, data[3], 100), "partial d");
    close(fd);
    snprintf(path, sizeof(path), "%s/media/README", dir);
    FILE *f = fopen(path, "w");
    if (f)
        fclose(f);

    const char *keep[] = {a, d};
    cache_collect(c, keep, 2);
    snprintf(name, sizeof(name), "%s.part", d);
    CHECK(exists(dir, "media", a), "kept file stays");
    CHECK(exists(dir, "partial", name), "kept partial download stays");
    CHECK(!exists(dir, "media", b) && !exists(dir, "media", cc), "unused files go");
    CHECK(exists(dir, "media", "README"), "a file the cache did not make is left alone");
    CHECK(cache_bytes(c) == 400, "cache_bytes after collecting: %lld",
          (long long)cache_bytes(c));

    cache_collect(c, NULL, 0);
    CHECK(!exists(dir, "media", a) && !exists(dir, "partial", name), "nothing kept");
    cache_destroy(c);
}

/* An alert's own file is pinned: the schedule's clean-up, by another
 * cache object on the same directory, keeps it until the pins change. */
static void test_pins(void)
{
    char dir[512], a[65], b[65];
    unsigned char data[2][200];
    struct cache *c = fresh("pins", 0, dir, sizeof(dir));
    if (!c)
        return;
    struct cache *alerts = cache_create(dir, 0, NULL);
    CHECK(alerts != NULL, "a second cache on the same directory");
    fill(data[0], sizeof(data[0]), 40);
    fill(data[1], sizeof(data[1]), 41);
    store(c, data[0], 200, a);
    store(c, data[1], 200, b);

    const char *pinned[] = {a};
    CHECK(alerts && cache_pin(alerts, "alerts", pinned, 1), "pin a");
    cache_collect(c, NULL, 0);
    CHECK(exists(dir, "media", a), "a pinned file survives the clean-up");
    CHECK(!exists(dir, "media", b), "an unpinned, unused file goes");

    CHECK(alerts && cache_pin(alerts, "alerts", NULL, 0), "unpin");
    cache_collect(c, NULL, 0);
    CHECK(!exists(dir, "media", a), "once unpinned it goes too");
    CHECK(!cache_pin(c, "../escape", pinned, 1), "an owner name with a path is refused");
    cache_destroy(alerts);
    cache_destroy(c);
}

/* The schedule and the alerts may download the same file at once: the
 * second leaves the partial file to the first, untouched. */
static void test_one_writer(void)
{
    char dir[512], hash[65], why[512], path[1200];
    unsigned char data[1000];
    int64_t have;
    struct cache *c = fresh("writer", 0, dir, sizeof(dir));
    if (!c)
        return;
    fill(data, sizeof(data), 50);
    cache_sha256_hex(data, sizeof(data), hash);
    int fd = cache_partial_open(c, hash, sizeof(data), &have);
    CHECK(fd >= 0 && write_all(fd, data, 300), "first writer's piece");
    CHECK(fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) == 0, "first writer's lock");

    /* Nothing listens on port 9 of the loopback: a real attempt fails
     * with a connection error, a refused one never gets that far. */
    struct fetch_request rq = {.url = "http://127.0.0.1:9/file", .connect_timeout_s = 2,
                               .timeout_s = 5};
    bool grew = false;
    enum cache_result r = cache_download(c, &rq, hash, sizeof(data), NULL, 0, &grew, why,
                                         sizeof(why));
    CHECK(r == CACHE_FAILED && strstr(why, "under way"), "second writer: %d %s", (int)r,
          why);
    snprintf(path, sizeof(path), "%s/partial/%s.part", dir, hash);
    struct stat st;
    CHECK(stat(path, &st) == 0 && st.st_size == 300, "the partial file is left as it was");

    close(fd); /* the first writer is gone */
    r = cache_download(c, &rq, hash, sizeof(data), NULL, 0, &grew, why, sizeof(why));
    CHECK(r == CACHE_FAILED && !strstr(why, "under way"), "then it tries itself: %s", why);
    cache_destroy(c);
}

static void test_lru(void)
{
    char dir[512], a[65], b[65], cc[65], e[65], name[80];
    unsigned char data[4][100];
    int64_t have;
    struct cache *c = fresh("lru", 300, dir, sizeof(dir));
    if (!c)
        return;
    for (int i = 0; i < 4; i++)
        fill(data[i], sizeof(data[i]), 20 + (unsigned)i);
    store(c, data[0], 100, a);
    store(c, data[1], 100, b);
    store(c, data[2], 100, cc);
    set_mtime(dir, a, 1000);
    set_mtime(dir, b, 3000);
    set_mtime(dir, cc, 2000);

    const char *all[] = {a, b, cc};
    CHECK(cache_make_room(c, all, 3, 0), "fits exactly");
    CHECK(!cache_make_room(c, all, 3, 1), "one byte more cannot fit when all are used");
    CHECK(exists(dir, "media", a) && exists(dir, "media", b) && exists(dir, "media", cc),
          "files in use are never evicted");

    /* Room for 150 more: A (oldest) goes, then C; B is in use. */
    const char *keep_b[] = {b};
    CHECK(cache_make_room(c, keep_b, 1, 150), "room made");
    CHECK(!exists(dir, "media", a) && !exists(dir, "media", cc), "A and C evicted");
    CHECK(exists(dir, "media", b), "B kept");

    /* Use marks a file: after finding A again it is the newest. */
    store(c, data[0], 100, a);
    store(c, data[2], 100, cc);
    set_mtime(dir, a, 1000);
    set_mtime(dir, cc, 2000);
    char *found = cache_find(c, a, 100, false);
    free(found);
    CHECK(cache_make_room(c, keep_b, 1, 100), "room for 100");
    CHECK(exists(dir, "media", a) && !exists(dir, "media", cc),
          "C, used longest ago, goes before A, just used");

    /* Partial downloads go before whole files, whatever their age. */
    cache_sha256_hex(data[3], 100, e);
    int fd = cache_partial_open(c, e, 100, &have);
    CHECK(fd >= 0 && write_all(fd, data[3], 50), "partial e");
    close(fd);
    CHECK(cache_make_room(c, keep_b, 1, 100), "room for 100 with 250 held");
    snprintf(name, sizeof(name), "%s.part", e);
    CHECK(!exists(dir, "partial", name) && exists(dir, "media", a), "partial evicted first");
    cache_destroy(c);

    c = fresh("nocap", 0, dir, sizeof(dir));
    CHECK(c && cache_make_room(c, NULL, 0, INT64_MAX / 2), "no cap: always room");
    cache_destroy(c);
}

int main(void)
{
    log_set_level(LOG_ERROR);
    if (!mkdtemp(root)) {
        perror("mkdtemp");
        return 2;
    }
    test_hash();
    test_partial_and_commit();
    test_partial_longer_than_size();
    test_commit_refuses();
    test_damaged_at_start();
    test_collect();
    test_lru();
    test_pins();
    test_one_writer();
    cache_destroy(NULL);
    remove_tree(root);
    return check_finish();
}
