#define LOG_MODULE "feed"
#include "net/feed.h"

#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "net/fetch.h"
#include "net/source.h"
#include "net/store.h"
#include "player/log.h"

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
    bool failing;           /* the last poll failed: log the recovery */
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

/* Parses TEXT; publishes it when valid and new. True when valid. */
static bool take(struct feed *f, const char *text, size_t len, bool store)
{
    if (f->last_text && strlen(f->last_text) == len && memcmp(f->last_text, text, len) == 0)
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
    f->last_text = strndup(text, len);
    if (store && !store_write_atomic(f->store_dir, f->store_name, text, len))
        log_warn("%s: cannot keep a copy in %s", f->name, f->store_dir);
    log_info("%s: new document from %s", f->name, f->url);
    f->p.publish(obj, f->p.ud);
    return true;
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

    while (!atomic_load(&f->stop)) {
        if (http)
            poll_http(f);
        else
            poll_file(f);
        feed_wait(f, f->p.poll_seconds);
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
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
            goto fail;
    }
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
    free(f);
}
