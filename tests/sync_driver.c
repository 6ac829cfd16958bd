/*
 * sync-driver: runs network sync (net/sync.c) alone, without a screen, and
 * prints each generation it publishes as one JSON line on stdout, so that
 * the integration tests can watch the network layer on its own:
 *
 *     {"generation": 2, "t": 0.4, "version": 7, "ready": 1, "total": 2,
 *      "media": [{"id": "a", "sha256": "...", "ready": true,
 *                 "path": "/cache/media/...", "content_sha256": "..."}, ...]}
 *
 * t is the seconds since the driver started; content_sha256 is the hash
 * of the file's content, read when the generation arrived, so a test can
 * check that nothing unverified was ever handed to the player. "playable"
 * lists, per zone, the items whose media are ready. At the end a
 * {"status": ...} line follows, then {"stopped_ms": ...}: how long
 * sync_destroy() took.
 *
 * usage: sync-driver --config PATH [--seconds N] [--until-version V]
 *   --seconds N        stop after N seconds (default 20)
 *   --until-version V  stop as soon as version V is published fully ready
 * SIGTERM and SIGINT stop it too. Logs go to stderr.
 */
#define LOG_MODULE "sync-driver"
#include "player/log.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config/config.h"
#include "net/cache.h"
#include "net/sync.h"
#include "player/paths.h"

struct driver {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int generations;
    int64_t until_version;
    bool done;
};

static volatile sig_atomic_t driver_quit;

/* When the driver started, monotonic seconds: generations say how long
 * after it they came. */
static double driver_start;

static double driver_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void driver_on_signal(int sig)
{
    (void)sig;
    driver_quit = 1;
}

/* The SHA-256 of the file at PATH, or "" when it cannot be read. */
static void driver_hash_file(const char *path, char out[65])
{
    FILE *f = fopen(path, "rb");
    char *data = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&data, &len);
    char buf[65536];
    size_t n;

    out[0] = '\0';
    if (f && mem) {
        while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
            fwrite(buf, 1, n, mem);
        fflush(mem);
        if (!ferror(f))
            cache_sha256_hex(data, len, out);
    }
    if (mem)
        fclose(mem);
    if (f)
        fclose(f);
    free(data);
}

static json_t *driver_media_json(const struct manifest_media *md)
{
    json_t *o = json_object();
    char content[65] = "";
    json_object_set_new(o, "id", json_string(md->id));
    json_object_set_new(o, "url", json_string(md->url));
    json_object_set_new(o, "sha256", json_string(md->sha256));
    json_object_set_new(o, "ready", json_boolean(md->ready));
    json_object_set_new(o, "path", md->path ? json_string(md->path) : json_null());
    if (md->path)
        driver_hash_file(md->path, content);
    json_object_set_new(o, "content_sha256", json_string(content));
    return o;
}

/* Items each zone would rotate through: those whose media is ready. */
static json_t *driver_zones_json(const struct manifest *m)
{
    json_t *zones = json_object();
    for (int z = 0; z < ZONE_COUNT; z++) {
        json_t *ids = json_array();
        for (size_t i = 0; i < m->zones[z].n_items; i++) {
            const struct manifest_item *it = &m->zones[z].items[i];
            if (!it->media || it->media->ready)
                json_array_append_new(ids, json_string(it->id));
        }
        json_object_set_new(zones, manifest_zone_name((enum zone_id)z), ids);
    }
    return zones;
}

static void driver_publish(struct manifest *m, void *ud)
{
    struct driver *d = ud;
    size_t ready = 0;
    json_t *media = json_array();

    for (size_t i = 0; i < m->n_media; i++) {
        ready += m->media[i].ready;
        json_array_append_new(media, driver_media_json(&m->media[i]));
    }
    pthread_mutex_lock(&d->lock);
    int generation = ++d->generations;
    if (d->until_version >= 0 && m->version == d->until_version && ready == m->n_media)
        d->done = true;
    pthread_cond_signal(&d->cond);
    pthread_mutex_unlock(&d->lock);

    json_t *line = json_pack("{s:i, s:f, s:I, s:I, s:I, s:o, s:o}", "generation", generation,
                             "t", driver_now() - driver_start,
                             "version", (json_int_t)m->version, "ready", (json_int_t)ready,
                             "total", (json_int_t)m->n_media, "media", media,
                             "playable", driver_zones_json(m));
    char *text = line ? json_dumps(line, JSON_COMPACT) : NULL;
    if (text) {
        printf("%s\n", text);
        fflush(stdout);
    }
    free(text);
    json_decref(line);
    manifest_unref(m);
}

static void driver_print_status(struct sync *s)
{
    struct sync_status st;
    sync_status(s, &st);
    json_t *o = json_pack("{s:{s:I, s:I, s:I, s:I, s:I, s:I, s:i, s:s}}", "status",
                          "last_success", (json_int_t)st.last_success,
                          "server_date", (json_int_t)st.server_date,
                          "version", (json_int_t)st.version,
                          "media_total", (json_int_t)st.media_total,
                          "media_ready", (json_int_t)st.media_ready,
                          "cache_bytes", (json_int_t)st.cache_bytes,
                          "failures", (int)st.failures, "last_error", st.last_error);
    char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
    if (text)
        printf("%s\n", text);
    free(text);
    json_decref(o);
}

static void driver_wait(struct driver *d, double seconds)
{
    double end = driver_now() + seconds;
    pthread_mutex_lock(&d->lock);
    while (!d->done && !driver_quit && driver_now() < end) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 100 * 1000 * 1000;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&d->cond, &d->lock, &ts);
    }
    pthread_mutex_unlock(&d->lock);
}

int main(int argc, char **argv)
{
    static const struct option options[] = {
        {"config", required_argument, NULL, 'c'},
        {"seconds", required_argument, NULL, 's'},
        {"until-version", required_argument, NULL, 'v'},
        {0},
    };
    const char *config_path = NULL;
    double seconds = 20;
    struct driver d = {.until_version = -1};
    int c;

    driver_start = driver_now();
    while ((c = getopt_long(argc, argv, "", options, NULL)) != -1) {
        if (c == 'c')
            config_path = optarg;
        else if (c == 's')
            seconds = atof(optarg);
        else if (c == 'v')
            d.until_version = strtoll(optarg, NULL, 10);
        else
            return 2;
    }
    if (!config_path) {
        fprintf(stderr, "usage: sync-driver --config PATH [--seconds N] "
                "[--until-version V]\n");
        return 2;
    }
    struct config *cfg = config_load(config_path, stderr);
    if (!cfg)
        return 1;
    enum log_level level;
    if (log_level_from_name(cfg->log_level, &level))
        log_set_level(level);

    struct sigaction sa = {.sa_handler = driver_on_signal};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);

    pthread_mutex_init(&d.lock, NULL);
    pthread_cond_init(&d.cond, NULL);
    char *cache_dir = paths_cache_dir(cfg);
    struct sync *s = cache_dir ? sync_create(cfg, cache_dir, driver_publish, &d) : NULL;
    int status = s ? 0 : 1;
    if (s) {
        driver_wait(&d, seconds);
        /* Printed before stopping, so it shows the running state. */
        driver_print_status(s);
        double t0 = driver_now();
        sync_destroy(s);
        printf("{\"stopped_ms\": %.0f}\n", (driver_now() - t0) * 1000);
    }
    free(cache_dir);
    config_free(cfg);
    pthread_cond_destroy(&d.cond);
    pthread_mutex_destroy(&d.lock);
    return status;
}
