#define LOG_MODULE "feed"
#include "net/feed.h"

#include <curl/curl.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "net/cache.h"
#include "net/fetch.h"
#include "net/source.h"
#include "net/store.h"
#include "player/log.h"

/* Files one document may name, at most. */
#define MAX_FILES 64

/* A failed download is tried again after this long, seconds, doubled
 * each time up to FILE_RETRY_MAX_S: a broken link costs the server one
 * request every few minutes, not one every poll. */
#define FILE_RETRY_FIRST_S 5.0
#define FILE_RETRY_MAX_S 300.0

struct download {
    char *request_url;
    char sha256[65];
    int64_t size;
    char *what;
    bool done;            /* verified in the cache */
    unsigned failures;    /* in a row */
    double retry_at;      /* monotonic seconds */
};

struct feed {
    struct feed_params p;
    char *name, *url, *request_url, *store_dir, *store_name;
    char *user_agent, *proxy, *ca_file;
    long connect_timeout_s, timeout_s;

    pthread_t thread;
    bool running;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    atomic_bool stop;

    char *etag, *last_modified;
    char *last_text;        /* the document in use, to skip republishing it */
    size_t last_len;
    bool failing;           /* the last poll failed: log the recovery */

    struct cache *cache;    /* for the files documents name; NULL: none */
    struct download *downloads;
    size_t n_downloads;
};

static double mono_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Sleeps until SECONDS have passed or the feed is stopped. */
static void feed_wait(struct feed *f, double seconds)
{
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    double t = until.tv_sec + until.tv_nsec / 1e9 + seconds;
    until.tv_sec = (time_t)t;
    until.tv_nsec = (long)((t - (double)until.tv_sec) * 1e9);
    pthread_mutex_lock(&f->lock);
    while (!atomic_load(&f->stop) && mono_now() < t) {
        if (pthread_cond_timedwait(&f->wake, &f->lock, &until) == ETIMEDOUT)
            break;
    }
    pthread_mutex_unlock(&f->lock);
}

static void log_lines(enum log_level level, const char *text)
{
    while (text && *text) {
        size_t len = strcspn(text, "\n");
        if (len)
            log_write(level, LOG_MODULE, "%.*s", (int)len, text);
        text += len + (text[len] != '\0');
    }
}

static void downloads_clear(struct download *list, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(list[i].request_url);
        free(list[i].what);
    }
    free(list);
}

/* The download of FILE as planned before, if it was: its state goes on
 * across versions of the document. */
static struct download *planned(struct feed *f, const struct feed_file *file)
{
    for (size_t i = 0; i < f->n_downloads; i++) {
        struct download *d = &f->downloads[i];
        if (strcmp(d->sha256, file->sha256) == 0 && d->size == file->size &&
            d->request_url && strcmp(d->what, file->what) == 0)
            return d;
    }
    return NULL;
}

static void plan_one(struct feed *f, const struct feed_file *file, struct download *d)
{
    char why[512];
    struct download *old = planned(f, file);
    if (old) {
        *d = *old;
        *old = (struct download){0};
        return;
    }
    *d = (struct download){.size = file->size, .what = strdup(file->what)};
    snprintf(d->sha256, sizeof(d->sha256), "%s", file->sha256);
    d->request_url = source_http_url(f->url, file->url, why, sizeof(why));
    if (!d->request_url) {
        log_warn("%s: the media of %s cannot be downloaded from \"%s\": %s", f->name,
                 file->what, file->url, why);
        d->done = true;
    }
}

/*
 * Works out what OBJ needs downloaded, pins it in the cache, and fills in
 * the path of each file already there, before OBJ is handed over.
 */
static void plan_files(struct feed *f, void *obj)
{
    struct feed_file files[MAX_FILES];
    if (!f->p.files || !f->cache)
        return;
    size_t n = f->p.files(obj, files, MAX_FILES);
    struct download *list = calloc(n ? n : 1, sizeof(*list));
    const char *hashes[MAX_FILES];
    if (!list) {
        log_error("%s: out of memory planning downloads", f->name);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        plan_one(f, &files[i], &list[i]);
        hashes[i] = files[i].sha256;
    }
    downloads_clear(f->downloads, f->n_downloads);
    f->downloads = list;
    f->n_downloads = n;
    /* Pinned before any download starts, so that the schedule's cache
     * collection never takes a file, or half of one, that is coming. */
    cache_pin(f->cache, f->name, hashes, n);
    for (size_t i = 0; i < n; i++) {
        char *path = cache_find(f->cache, files[i].sha256, files[i].size, true);
        list[i].done = list[i].done || path != NULL;
        free(*files[i].path);
        *files[i].path = path;
    }
}

/* Parses TEXT; publishes it when valid and new. True when valid. */
static bool take(struct feed *f, const char *text, size_t len, bool store)
{
    if (f->last_text && f->last_len == len && memcmp(f->last_text, text, len) == 0)
        return true;
    char *errors = NULL;
    size_t errors_len = 0;
    FILE *err = open_memstream(&errors, &errors_len);
    void *obj = err ? f->p.parse(text, len, f->url, err) : NULL;
    if (err)
        fclose(err);
    if (!obj) {
        log_warn("%s: the new document is not valid; the one in use stays", f->name);
        log_lines(LOG_WARN, errors);
        free(errors);
        return false;
    }
    free(errors);
    free(f->last_text);
    f->last_text = malloc(len + 1);
    f->last_len = f->last_text ? len : 0;
    if (f->last_text) {
        memcpy(f->last_text, text, len);
        f->last_text[len] = '\0';
    }
    if (store && !store_write_atomic(f->store_dir, f->store_name, text, len))
        log_warn("%s: cannot keep a copy in %s", f->name, f->store_dir);
    log_info("%s: new document from %s", f->name, f->url);
    plan_files(f, obj);
    f->p.publish(obj, f->p.ud);
    return true;
}

/* Hands the document in use over again, now that more of its files are
 * there. It was valid before, so it parses again. */
static void republish(struct feed *f)
{
    if (!f->last_text)
        return;
    void *obj = f->p.parse(f->last_text, f->last_len, f->url, NULL);
    if (!obj)
        return;
    plan_files(f, obj);
    f->p.publish(obj, f->p.ud);
}

static double retry_delay(unsigned failures)
{
    double wait = FILE_RETRY_FIRST_S;
    for (unsigned i = 1; i < failures && wait < FILE_RETRY_MAX_S; i++)
        wait *= 2;
    return wait < FILE_RETRY_MAX_S ? wait : FILE_RETRY_MAX_S;
}

/* One slice of the download of D: a slice no longer than a poll, so that
 * a large video on a slow link never holds back a new alert. */
static void download(struct feed *f, struct download *d)
{
    struct fetch_request rq = fetch_request_base(f->user_agent, f->proxy, f->ca_file,
                                                 f->connect_timeout_s, &f->stop);
    const char *keep[] = {d->sha256};
    char why[512] = "";
    bool grew = false;
    rq.url = d->request_url;
    rq.timeout_s = f->timeout_s;
    log_debug("%s: downloading the media of %s from %s", f->name, d->what, rq.url);
    enum cache_result r = cache_download(f->cache, &rq, d->sha256, d->size, keep, 1, &grew,
                                         why, sizeof(why));
    if (r == CACHE_CANCELLED)
        return;
    if (r == CACHE_STORED) {
        log_info("%s: the media of %s is downloaded and verified", f->name, d->what);
        d->done = true;
        d->failures = 0;
        republish(f);
        return;
    }
    if (r == CACHE_FAILED && grew) {
        log_debug("%s: the media of %s: %s; continuing", f->name, d->what, why);
        return;
    }
    d->failures++;
    d->retry_at = mono_now() + retry_delay(d->failures);
    /* A technician needs the first failure; the retries say nothing new. */
    log_write(d->failures == 1 ? LOG_WARN : LOG_DEBUG, LOG_MODULE,
              "%s: the media of %s from %s: %s; its card shows the words only, next try in "
              "%.0f s", f->name, d->what, rq.url, why, retry_delay(d->failures));
}

/* Starts the next download that is due; false when none is. Sets *NEXT
 * to when the next one waiting will be. */
static bool download_due(struct feed *f, double now, double *next)
{
    for (size_t i = 0; i < f->n_downloads; i++) {
        struct download *d = &f->downloads[i];
        if (d->done)
            continue;
        if (d->retry_at <= now) {
            download(f, d);
            return true;
        }
        if (d->retry_at < *next)
            *next = d->retry_at;
    }
    return false;
}

static void note_failure(struct feed *f, const char *fmt, const char *detail)
{
    if (!f->failing)
        log_warn(fmt, f->name, f->url, detail);
    else
        log_debug(fmt, f->name, f->url, detail);
    f->failing = true;
}

static void replace(char **slot, const char *value)
{
    free(*slot);
    *slot = value ? strdup(value) : NULL;
}

static void poll_http(struct feed *f)
{
    struct fetch_request rq = fetch_request_base(f->user_agent, f->proxy, f->ca_file,
                                                 f->connect_timeout_s, &f->stop);
    rq.url = f->request_url;
    rq.timeout_s = f->timeout_s;
    rq.max_bytes = (int64_t)f->p.max_bytes;
    rq.if_none_match = f->etag;
    rq.if_modified_since = f->last_modified;
    rq.compressed = true;

    struct fetch_reply reply = {0};
    bool got = fetch_to_memory(&rq, &reply);
    if (!got || reply.status != FETCH_DONE) {
        if (reply.status != FETCH_CANCELLED)
            note_failure(f, "%s: cannot fetch %s: %s", reply.error);
    } else if (reply.code == 304) {
        f->failing = false;
    } else if (reply.code != 200) {
        char code[32];
        snprintf(code, sizeof(code), "HTTP %ld", reply.code);
        note_failure(f, "%s: %s answered %s", code);
    } else {
        if (f->failing)
            log_info("%s: %s answers again", f->name, f->url);
        f->failing = false;
        take(f, reply.body, reply.body_len, true);
        /* Also for a refused document: asked again unchanged, the server
         * answers 304 and the refusal is not logged again every poll. */
        replace(&f->etag, reply.etag);
        replace(&f->last_modified, reply.last_modified);
    }
    fetch_reply_finish(&reply);
}

static void poll_file(struct feed *f)
{
    char *text = NULL, why[512];
    size_t len = 0;
    if (!source_read(f->url, f->p.max_bytes, &text, &len, why, sizeof(why))) {
        note_failure(f, "%s: cannot read %s: %s", why);
        return;
    }
    f->failing = false;
    take(f, text, len, false);
    free(text);
}

static void *feed_main(void *data)
{
    struct feed *f = data;
    bool http = source_is_http(f->url);

    /* The copy kept on disk first, before any network: alerts still in
     * force come back after a reboot without network. */
    char *text = NULL, path[4096], why[512];
    size_t len = 0;
    snprintf(path, sizeof(path), "%s/%s", f->store_dir, f->store_name);
    if (http && access(path, F_OK) == 0) {
        if (source_read(path, f->p.max_bytes, &text, &len, why, sizeof(why))) {
            log_info("%s: using the copy kept from before", f->name);
            take(f, text, len, false);
        } else {
            log_warn("%s: the copy kept in %s is unusable: %s", f->name, path, why);
        }
    }
    free(text);

    double next_poll = 0;
    while (!atomic_load(&f->stop)) {
        double now = mono_now(), next = INFINITY;
        if (now >= next_poll) {
            if (http)
                poll_http(f);
            else
                poll_file(f);
            next_poll = mono_now() + f->p.poll_seconds;
            continue;
        }
        if (download_due(f, now, &next))
            continue;
        feed_wait(f, (next < next_poll ? next : next_poll) - now);
    }
    return NULL;
}

struct feed *feed_create(const struct feed_params *params, const struct config *cfg)
{
    struct feed *f = calloc(1, sizeof(*f));
    char agent[256], why[512];
    if (!f)
        return NULL;
    f->p = *params;
    atomic_init(&f->stop, false);
    fetch_user_agent(agent, sizeof(agent), cfg->device_id);
    f->name = strdup(params->name);
    f->url = strdup(params->url);
    f->store_dir = strdup(params->store_dir);
    f->store_name = strdup(params->store_name);
    f->user_agent = strdup(agent);
    f->proxy = strdup(cfg->proxy);
    f->ca_file = strdup(cfg->ca_file);
    f->connect_timeout_s = cfg->connect_timeout_s;
    /* A poll must end well before the next one is due. */
    f->timeout_s = params->poll_seconds > 2 ? params->poll_seconds : 2;
    if (!f->name || !f->url || !f->store_dir || !f->store_name || !f->user_agent ||
        !f->proxy || !f->ca_file)
        goto fail;
    if (source_is_http(f->url)) {
        f->request_url = source_http_url(f->url, f->url, why, sizeof(why));
        if (!f->request_url) {
            log_error("%s: %s: %s", f->name, f->url, why);
            goto fail;
        }
    }
    /* Files are fetched over http(s) whatever the document came by. */
    if ((source_is_http(f->url) || params->files) &&
        curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        goto fail;
    /* No size cap of its own: evicting to make room is the schedule's
     * business, and the files here are pinned against it. */
    if (params->files)
        f->cache = cache_create(f->store_dir, 0, &f->stop);
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&f->wake, &attr);
    pthread_condattr_destroy(&attr);
    pthread_mutex_init(&f->lock, NULL);
    if (pthread_create(&f->thread, NULL, feed_main, f) != 0) {
        log_error("%s: cannot start its thread", f->name);
        pthread_cond_destroy(&f->wake);
        pthread_mutex_destroy(&f->lock);
        goto fail;
    }
    f->running = true;
    log_info("%s: polling %s every %d s", f->name, f->url, params->poll_seconds);
    return f;

fail:
    feed_destroy(f);
    return NULL;
}

void feed_destroy(struct feed *f)
{
    if (!f)
        return;
    if (f->running) {
        pthread_mutex_lock(&f->lock);
        atomic_store(&f->stop, true);
        pthread_cond_broadcast(&f->wake);
        pthread_mutex_unlock(&f->lock);
        pthread_join(f->thread, NULL);
        pthread_cond_destroy(&f->wake);
        pthread_mutex_destroy(&f->lock);
    }
    free(f->name);
    free(f->url);
    free(f->request_url);
    free(f->store_dir);
    free(f->store_name);
    free(f->user_agent);
    free(f->proxy);
    free(f->ca_file);
    free(f->etag);
    free(f->last_modified);
    free(f->last_text);
    downloads_clear(f->downloads, f->n_downloads);
    cache_destroy(f->cache);
    free(f);
}
