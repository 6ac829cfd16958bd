/*
 * Tests for the rules of network sync (net/sync.c): back-off, poll jitter,
 * refusing rollbacks, which media a web server's manifest may name and the
 * addresses they are fetched from (net/source.c), the copies handed to the
 * player (manifest_copy), the stored last good schedule (net/store.c),
 * and a start with the server unreachable, which must hand over the
 * stored schedule at once.
 */
#define LOG_MODULE "test-sync"
#include "player/log.h"

#include <errno.h>
#include <ftw.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "config/config.h"
#include "net/cache.h"
#include "net/source.h"
#include "net/store.h"
#include "net/sync.h"
#include "player/manifest.h"
#include "tests/check.h"

static char root[] = "/tmp/lianbo-test-sync-XXXXXX";

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    return remove(path);
}

static void test_backoff(void)
{
    static const struct {
        unsigned failures;
        double want;
    } cases[] = {
        {1, 5}, {2, 10}, {3, 20}, {4, 40}, {5, 80}, {6, 160}, {7, 300}, {8, 300},
        {100, 300}, {4000000000u, 300},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        double got = sync_backoff_s(cases[i].failures);
        CHECK(got == cases[i].want, "after %u failures: %g s, want %g", cases[i].failures,
              got, cases[i].want);
    }
}

static void test_poll_delay(void)
{
    CHECK(sync_poll_delay_s(60, 0) == 54, "low end %g", sync_poll_delay_s(60, 0));
    CHECK(sync_poll_delay_s(60, 0.5) == 60, "middle %g", sync_poll_delay_s(60, 0.5));
    CHECK(sync_poll_delay_s(60, 1) == 66, "high end %g", sync_poll_delay_s(60, 1));
    CHECK(sync_poll_delay_s(60, -3) == 54 && sync_poll_delay_s(60, 7) == 66, "clamped");
    CHECK(sync_poll_delay_s(1, 0) == 0.9, "one second %g", sync_poll_delay_s(1, 0));
}

static void test_judge(void)
{
    static const struct {
        bool have;
        int64_t in_use, offered;
        bool same_text;
        enum sync_verdict want;
    } cases[] = {
        {false, -1, 0, false, SYNC_ADOPT},
        {false, 9, 3, false, SYNC_ADOPT},     /* the one held came from another URL */
        {true, 5, 6, false, SYNC_ADOPT},
        {true, 5, 5, false, SYNC_ADOPT},      /* changed without a new version */
        {true, 5, 5, true, SYNC_UNCHANGED},
        {true, 5, 4, false, SYNC_ROLLBACK},
        {true, 5, 0, false, SYNC_ROLLBACK},
        {true, 1000000000000, 999999999999, false, SYNC_ROLLBACK},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        enum sync_verdict got = sync_judge(cases[i].have, cases[i].in_use, cases[i].offered,
                                           cases[i].same_text);
        CHECK(got == cases[i].want, "case %zu: verdict %d, want %d", i, (int)got,
              (int)cases[i].want);
    }
}

static const struct {
    const char *base, *ref, *want;   /* want NULL: refused */
    const char *why;                 /* in the reason when refused */
} url_cases[] = {
    {"http://h/signs/m.json", "media/photo 1.jpg", "http://h/signs/media/photo%201.jpg", NULL},
    {"http://h/signs/m.json", "\xe5\xaa\x92\xe4\xbd\x93/\xe5\xa4\xa7\xe5\xa0\x82.png",
     "http://h/signs/%E5%AA%92%E4%BD%93/%E5%A4%A7%E5%A0%82.png", NULL},
    {"http://h/signs/m.json", "a%20b.png", "http://h/signs/a%20b.png", NULL},
    {"http://h/signs/m.json", "50% off.jpg", "http://h/signs/50%25%20off.jpg", NULL},
    {"http://h/signs/m.json", "../x.png", "http://h/x.png", NULL},
    {"http://h/signs/m.json", "./a/./b/../c.png", "http://h/signs/a/c.png", NULL},
    {"http://h/signs/m.json", "/abs/y.png", "http://h/abs/y.png", NULL},
    {"http://h/signs/m.json", "//cdn.example/z.png", "http://cdn.example/z.png", NULL},
    {"https://h:8443/m.json", "x.png?sig=1&t=2", "https://h:8443/x.png?sig=1&t=2", NULL},
    {"http://h/signs/m.json", "https://cdn.example/v.mp4", "https://cdn.example/v.mp4",
     NULL},
    {"http://h/my signs/m.json", "a.png", "http://h/my%20signs/a.png", NULL},
    {"http://h/signs/m.json", "file:///etc/passwd", NULL, "may only name http"},
    {"http://h/signs/m.json", "a:b.png", NULL, "write ./a:b.png"},
    {"http://h/signs/m.json", "./a:b.png", "http://h/signs/a:b.png", NULL},
    {"http://h/signs/m.json", "", NULL, "empty address"},
};

static void test_http_urls(void)
{
    for (size_t i = 0; i < sizeof(url_cases) / sizeof(url_cases[0]); i++) {
        char why[512] = "";
        char *got = source_http_url(url_cases[i].base, url_cases[i].ref, why, sizeof(why));
        if (url_cases[i].want) {
            CHECK(got && strcmp(got, url_cases[i].want) == 0, "case %zu (%s): got %s (%s)",
                  i, url_cases[i].ref, got ? got : "NULL", why);
        } else {
            CHECK(!got && strstr(why, url_cases[i].why), "case %zu (%s): got %s, why \"%s\"",
                  i, url_cases[i].ref, got ? got : "NULL", why);
        }
        free(got);
    }
}

static const char http_manifest[] =
    "{\"version\": 4, \"media\": [\n"
    "  {\"id\": \"a\", \"url\": \"media/a b.png\", \"size\": 10,\n"
    "   \"sha256\": \"" "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef" "\"},\n"
    "  {\"id\": \"b\", \"url\": \"/b.png\", \"size\": 20,\n"
    "   \"sha256\": \"" "FEDCBA9876543210fedcba9876543210fedcba9876543210fedcba9876543210" "\"}\n"
    "], \"zones\": {\"upper\": {\"items\": [\n"
    "  {\"type\": \"image\", \"media\": \"a\"}, {\"id\": \"two\", \"type\": \"image\","
    " \"media\": \"b\"}]},\n"
    " \"lower\": {\"items\": [{\"type\": \"text\", \"title\": \"T\", \"body\": \"B\"}]}}}\n";

static struct manifest *parse(const char *text, const char *url)
{
    return manifest_parse(text, strlen(text), url, stderr);
}

static void test_media_urls(void)
{
    struct manifest *m = parse(http_manifest, "http://h/s/m.json");
    CHECK(m != NULL, "manifest parses");
    if (!m)
        return;
    CHECK(!m->media[0].ready && !m->media[1].ready, "remote media start not ready");
    char **urls = sync_media_urls(m, "http://h/s/m.json", stderr);
    CHECK(urls != NULL, "urls");
    if (urls) {
        CHECK_STR(urls[0], "http://h/s/media/a%20b.png");
        CHECK_STR(urls[1], "http://h/b.png");
    }
    sync_free_urls(urls, m->n_media);
    manifest_unref(m);

    static const struct {
        const char *entry, *want;
    } bad[] = {
        {"{\"id\": \"x\", \"url\": \"x.png\", \"size\": 5}",
         "http://h/m.json: media[0] (\"x\"): no \"sha256\""},
        {"{\"id\": \"x\", \"url\": \"x.png\", \"sha256\": \"" "0123456789abcdef0123456789"
         "abcdef0123456789abcdef0123456789abcdef" "\"}", "media[0] (\"x\"): no \"size\""},
        {"{\"id\": \"x\", \"url\": \"x.png\", \"size\": 0, \"sha256\": \""
         "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" "\"}",
         "\"size\" is 0: an empty file cannot be shown"},
        {"{\"id\": \"x\", \"url\": \"file:///etc/x.png\", \"size\": 5, \"sha256\": \""
         "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" "\"}",
         "media[0].url (\"x\"): a manifest from a web server may only name http"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char text[1024], *out = NULL;
        size_t len = 0;
        snprintf(text, sizeof(text), "{\"version\": 1, \"media\": [%s], \"zones\": {}}",
                 bad[i].entry);
        m = parse(text, "http://h/m.json");
        CHECK(m != NULL, "bad case %zu parses as a manifest", i);
        if (!m)
            continue;
        FILE *err = open_memstream(&out, &len);
        urls = sync_media_urls(m, "http://h/m.json", err);
        fclose(err);
        CHECK(urls == NULL, "bad case %zu refused", i);
        CHECK(strstr(out, bad[i].want) != NULL, "bad case %zu: want \"%s\" in \"%s\"", i,
              bad[i].want, out);
        free(out);
        sync_free_urls(urls, m->n_media);
        manifest_unref(m);
    }
}

static void test_copy(void)
{
    struct manifest *m = parse(http_manifest, "http://h/s/m.json");
    if (!m)
        return;
    struct manifest *c = manifest_copy(m);
    CHECK(c != NULL, "copy");
    if (!c) {
        manifest_unref(m);
        return;
    }
    CHECK(c->version == 4 && c->n_media == 2, "version %lld, %zu media",
          (long long)c->version, c->n_media);
    CHECK(c->url != m->url && strcmp(c->url, m->url) == 0, "url copied");
    CHECK(c->media[0].id != m->media[0].id, "media strings are the copy's own");
    CHECK_STR(c->media[1].sha256,
              "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210");
    const struct manifest_item *it = c->zones[ZONE_UPPER].items;
    CHECK(c->zones[ZONE_UPPER].n_items == 2 && it[0].media == &c->media[0] &&
          it[1].media == &c->media[1], "items point into the copy's media");
    CHECK_STR(it[1].id, "two");
    CHECK_STR(c->zones[ZONE_LOWER].items[0].title, "T");
    /* The copy outlives the original (run under ASan to see it matters). */
    manifest_unref(m);
    CHECK_STR(c->zones[ZONE_LOWER].items[0].body, "B");
    CHECK_STR(c->zones[ZONE_UPPER].items[0].media->url, "media/a b.png");
    manifest_unref(c);

    m = parse("{\"version\": 1, \"media\": [{\"id\": \"l\", \"url\": \"/srv/x.png\"}],"
              " \"zones\": {}}", "file:///srv/m.json");
    CHECK(m && m->media[0].ready, "local media are ready as they are");
    manifest_unref(m);
}

static void test_store(void)
{
    char dir[512], *text = NULL;
    size_t len = 0;
    struct store_meta meta = {0}, back;
    static const char doc[] = "{\"version\": 2, \"zones\": {}}";

    snprintf(dir, sizeof(dir), "%s/store", root);
    mkdir(dir, 0755);
    CHECK(!store_load(dir, &text, &len, &back), "nothing stored yet");

    meta.url = "http://h/m.json";
    meta.base = "http://h/real/m.json";
    meta.etag = "\"abc\"";
    meta.last_modified = "Tue, 01 Jul 2025 10:00:00 GMT";
    cache_sha256_hex(doc, strlen(doc), meta.sha256);
    CHECK(store_save(dir, doc, strlen(doc), &meta), "save");
    CHECK(store_load(dir, &text, &len, &back), "load");
    CHECK(len == strlen(doc) && text && strcmp(text, doc) == 0, "text back");
    CHECK_STR(back.url, meta.url);
    CHECK_STR(back.base, meta.base);
    CHECK_STR(back.etag, meta.etag);
    CHECK_STR(back.last_modified, meta.last_modified);
    store_meta_finish(&back);
    free(text);

    /* A new manifest whose sidecar did not make it (power cut between the
     * two): its ETag must not be used for the new text. */
    static const char newer[] = "{\"version\": 3, \"zones\": {}}";
    CHECK(store_write_atomic(dir, "manifest.json", newer, strlen(newer)), "write newer");
    CHECK(store_load(dir, &text, &len, &back), "load newer");
    CHECK(text && strcmp(text, newer) == 0, "newer text back");
    CHECK(back.etag == NULL && back.last_modified == NULL, "stale ETag dropped");
    CHECK_STR(back.url, meta.url);
    store_meta_finish(&back);
    free(text);

    CHECK(store_write_atomic(dir, "manifest.meta", "garbage", 7), "break the sidecar");
    CHECK(store_load(dir, &text, &len, &back), "the manifest still loads");
    CHECK(back.url == NULL && back.etag == NULL, "a broken sidecar is ignored");
    store_meta_finish(&back);
    free(text);

    char tmp[1200];
    snprintf(tmp, sizeof(tmp), "%s/.manifest.json.tmp", dir);
    CHECK(access(tmp, F_OK) != 0, "no temporary file left behind");
}

/* ---- A start with the server down ---- */

struct catch {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    struct manifest *got;
    int count;
};

static void on_publish(struct manifest *m, void *ud)
{
    struct catch *c = ud;
    pthread_mutex_lock(&c->lock);
    manifest_unref(c->got);
    c->got = m;
    c->count++;
    pthread_cond_signal(&c->cond);
    pthread_mutex_unlock(&c->lock);
}

static double mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void test_offline_start(void)
{
    char dir[512], path[1200], text[2048];
    char have_hash[65];
    static const char content[] = "pretend this is a picture";
    struct store_meta meta = {0};
    /* Port 1 on loopback: nothing listens there, the connection is refused. */
    const char *url = "http://127.0.0.1:1/signs/m.json";

    snprintf(dir, sizeof(dir), "%s/offline", root);
    struct cache *c = cache_create(dir, 0, NULL);
    cache_sha256_hex(content, strlen(content), have_hash);
    int64_t have;
    int fd = c ? cache_partial_open(c, have_hash, (int64_t)strlen(content), &have) : -1;
    char why[256];
    CHECK(fd >= 0 && write(fd, content, strlen(content)) == (ssize_t)strlen(content) &&
          cache_partial_commit(c, fd, have_hash, (int64_t)strlen(content), why,
                               sizeof(why)) == CACHE_STORED, "store the cached medium");
    if (fd >= 0)
        close(fd);
    cache_destroy(c);

    snprintf(text, sizeof(text),
             "{\"version\": 9, \"media\": [\n"
             " {\"id\": \"here\", \"url\": \"here.png\", \"size\": %zu, \"sha256\": \"%s\"},\n"
             " {\"id\": \"gone\", \"url\": \"gone.png\", \"size\": 3, \"sha256\": \"%s\"}],\n"
             " \"zones\": {\"upper\": {\"items\": [{\"type\": \"image\", \"media\": \"here\"},"
             " {\"type\": \"image\", \"media\": \"gone\"}]}}}", strlen(content), have_hash,
             "0000000000000000000000000000000000000000000000000000000000000000");
    meta.url = (char *)url;
    cache_sha256_hex(text, strlen(text), meta.sha256);
    CHECK(store_save(dir, text, strlen(text), &meta), "store the manifest");

    struct config *cfg = config_create_default();
    free(cfg->schedule_url);
    cfg->schedule_url = strdup(url);
    cfg->poll_seconds = 1;
    struct catch got = {.lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER};
    double start = mono();
    struct sync *s = sync_create(cfg, dir, on_publish, &got);
    CHECK(s != NULL, "sync_create");

    pthread_mutex_lock(&got.lock);
    while (!got.got && mono() - start < 5) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += 1;
        pthread_cond_timedwait(&got.cond, &got.lock, &ts);
    }
    double took = mono() - start;
    struct manifest *m = got.got ? manifest_ref(got.got) : NULL;
    pthread_mutex_unlock(&got.lock);

    CHECK(m != NULL && took < 2.0, "stored schedule handed over after %.2f s", took);
    if (m) {
        snprintf(path, sizeof(path), "%s/media/%s", dir, have_hash);
        CHECK(m->version == 9, "version %lld", (long long)m->version);
        CHECK(m->media[0].ready && m->media[0].path && strcmp(m->media[0].path, path) == 0,
              "cached medium ready at %s", m->media[0].path ? m->media[0].path : "NULL");
        CHECK(!m->media[1].ready && m->media[1].path == NULL, "missing medium not ready");
    }
    manifest_unref(m);

    struct sync_status st;
    for (int i = 0; i < 40 && s; i++) {
        sync_status(s, &st);
        if (st.failures > 0)
            break;
        usleep(50 * 1000);
    }
    if (s) {
        CHECK(st.failures >= 1 && strstr(st.last_error, "cannot fetch the schedule"),
              "status after a refused connection: %u failures, \"%s\"", st.failures,
              st.last_error);
        CHECK(st.version == 9 && st.media_total == 2 && st.media_ready == 1,
              "status: version %lld, %zu of %zu", (long long)st.version, st.media_ready,
              st.media_total);
        CHECK(st.last_success == 0, "no good reply yet");
    }
    start = mono();
    sync_destroy(s);
    CHECK(mono() - start < 1.0, "sync_destroy took %.2f s", mono() - start);
    sync_destroy(NULL);
    manifest_unref(got.got);
    config_free(cfg);

    cfg = config_create_default();
    CHECK(sync_create(cfg, dir, on_publish, &got) == NULL, "no sync for the demo schedule");
    config_free(cfg);
}

int main(void)
{
    log_set_level(LOG_ERROR);
    if (!mkdtemp(root)) {
        perror("mkdtemp");
        return 2;
    }
    test_backoff();
    test_poll_delay();
    test_judge();
    test_http_urls();
    test_media_urls();
    test_copy();
    test_store();
    test_offline_start();
    nftw(root, remove_one, 16, FTW_DEPTH | FTW_PHYS);
    return check_finish();
}
