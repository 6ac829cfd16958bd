#define LOG_MODULE "sync"
#include "player/log.h"

#include "net/sync.h"

#include <curl/curl.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "net/cache.h"
#include "net/fetch.h"
#include "net/source.h"
#include "net/store.h"

/* Waits after failures in a row, seconds: short at first so a blip costs
 * little, capped so a terminal still looks every few minutes. */
#define BACKOFF_FIRST_S 5.0
#define BACKOFF_MAX_S 300.0

/* Share by which each poll interval is varied either way, so terminals
 * powered on together do not ask the server at the same moment forever. */
#define POLL_JITTER 0.10

/* Longest single media transfer, seconds (at least the poll interval):
 * then it stops and goes on from where it was with a Range request, so
 * that a long download on a slow link never holds up polling for long. */
#define MEDIA_SLICE_MIN_S 60L

/* Seconds between the last media of a schedule being verified and the
 * deletion of files it no longer uses: by then the player shows the new
 * generation and has stopped reading the old files. */
#define COLLECT_DELAY_S 10.0

/* Longest piece of a media id echoed in a message, bytes. */
#define ID_ECHO_MAX 64

enum offer {
    OFFER_TAKEN,          /* adopted, or the manifest in use again */
    OFFER_REFUSED,        /* logged at length */
    OFFER_REFUSED_AGAIN,  /* the same text as last time: said already */
};

struct media_state {
    char *request_url;
    char *path;           /* the verified file in the cache; NULL while none */
    unsigned failures;
    double retry_at;      /* monotonic seconds */
};

struct sync {
    char *url;            /* schedule.url, for messages and the sidecar */
    char *request_url;    /* the same, percent-encoded */
    char *cache_dir;
    char *user_agent;
    char *proxy;
    char *ca_file;
    long connect_timeout_s;
    long timeout_s;
    int poll_seconds;
    sync_publish_fn publish;
    void *ud;

    struct cache *cache;
    atomic_bool stop;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    pthread_t thread;
    bool running;
    bool curl_ready;

    /* The network thread's alone. */
    struct manifest *adopted;     /* the schedule in use; owned, never published */
    struct media_state *media;    /* one per adopted->media */
    struct store_meta meta;       /* origin, ETag and hash of ADOPTED */
    bool same_url;                /* ADOPTED came from URL: its version and ETag count */
    unsigned poll_failures;
    double next_poll;
    char refused[65];             /* hash of the last text refused */
    bool collect_pending;
    double collect_at;
    uint64_t rng;

    struct sync_status status;    /* under LOCK */
};

/* ---- The rules ---- */

double sync_backoff_s(unsigned failures)
{
    double wait = BACKOFF_FIRST_S;
    for (unsigned i = 1; i < failures && wait < BACKOFF_MAX_S; i++)
        wait *= 2;
    return wait < BACKOFF_MAX_S ? wait : BACKOFF_MAX_S;
}

double sync_poll_delay_s(int poll_seconds, double u)
{
    if (u < 0)
        u = 0;
    if (u > 1)
        u = 1;
    return poll_seconds * (1.0 - POLL_JITTER + 2 * POLL_JITTER * u);
}

enum sync_verdict sync_judge(bool have, int64_t in_use, int64_t offered, bool same_text)
{
    if (have && same_text)
        return SYNC_UNCHANGED;
    if (have && offered < in_use)
        return SYNC_ROLLBACK;
    return SYNC_ADOPT;
}

/* Copies S for a message: control characters become '?', long ids are cut. */
static const char *echo_id(const char *s, char *buf, size_t cap)
{
    size_t n = 0;
    for (; s && *s && n + 4 < cap && n < ID_ECHO_MAX; s++)
        buf[n++] = (unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s;
    if (s && *s) {
        memcpy(buf + n, "...", 3);
        n += 3;
    }
    buf[n] = '\0';
    return buf;
}

void sync_free_urls(char **urls, size_t n)
{
    if (!urls)
        return;
    for (size_t i = 0; i < n; i++)
        free(urls[i]);
    free(urls);
}

char **sync_media_urls(const struct manifest *m, const char *base, FILE *err)
{
    char **urls = calloc(m->n_media ? m->n_media : 1, sizeof(*urls));
    bool ok = urls != NULL;
    char id[ID_ECHO_MAX + 8];
    char why[512];

    if (!urls && err)
        fprintf(err, "%s: out of memory\n", m->url);
    for (size_t i = 0; urls && i < m->n_media; i++) {
        const struct manifest_media *md = &m->media[i];
        const char *problem = NULL;
        echo_id(md->id, id, sizeof(id));
        if (!md->sha256[0]) {
            problem = "no \"sha256\": media from a web server must give their SHA-256 and "
                      "size, so that a damaged or wrong download is never shown";
        } else if (md->size < 0) {
            problem = "no \"size\": media from a web server must give their size in bytes";
        } else if (md->size == 0) {
            problem = "\"size\" is 0: an empty file cannot be shown";
        }
        if (problem) {
            ok = false;
            if (err)
                fprintf(err, "%s: media[%zu] (\"%s\"): %s\n", m->url, i, id, problem);
        }
        urls[i] = source_http_url(base, md->url, why, sizeof(why));
        if (!urls[i]) {
            ok = false;
            if (err)
                fprintf(err, "%s: media[%zu].url (\"%s\"): %s\n", m->url, i, id, why);
        }
    }
    if (!ok) {
        sync_free_urls(urls, m->n_media);
        return NULL;
    }
    return urls;
}

/* ---- Small helpers ---- */

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* A number in [0, 1) for the poll jitter; not for anything secret. */
static double next_random(struct sync *s)
{
    s->rng ^= s->rng << 13;
    s->rng ^= s->rng >> 7;
    s->rng ^= s->rng << 17;
    return (double)(s->rng >> 11) / 9007199254740992.0;
}

static bool stopping(struct sync *s)
{
    return atomic_load(&s->stop);
}

/* Logs each line of TEXT at LEVEL. */
static void log_text(enum log_level level, const char *text)
{
    while (text && *text) {
        size_t len = strcspn(text, "\n");
        if (len)
            log_write(level, LOG_MODULE, "%.*s", (int)len, text);
        text += len;
        if (*text)
            text++;
    }
}

static struct fetch_request base_request(const struct sync *s)
{
    return fetch_request_base(s->user_agent, s->proxy, s->ca_file, s->connect_timeout_s,
                              &s->stop);
}

/* The hashes of the schedule in use: what the cache must keep. Caller
 * frees the array only. */
static const char **keep_list(const struct sync *s, size_t *n)
{
    *n = s->adopted ? s->adopted->n_media : 0;
    const char **keep = calloc(*n ? *n : 1, sizeof(*keep));
    if (!keep) {
        *n = 0;
        return NULL;
    }
    for (size_t i = 0; i < *n; i++)
        keep[i] = s->adopted->media[i].sha256;
    return keep;
}

static void status_update_cache(struct sync *s)
{
    int64_t bytes = cache_bytes(s->cache);
    pthread_mutex_lock(&s->lock);
    s->status.cache_bytes = bytes;
    pthread_mutex_unlock(&s->lock);
}

/* ---- Generations ---- */

/* Hands the player a copy of the schedule in use with what is ready. */
static void publish(struct sync *s)
{
    struct manifest *m = manifest_copy(s->adopted);
    size_t ready = 0, n = s->adopted->n_media;

    if (!m) {
        log_error("out of memory handing schedule version %" PRId64 " to the player",
                  s->adopted->version);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        struct manifest_media *md = &m->media[i];
        free(md->path);
        md->path = s->media[i].path ? strdup(s->media[i].path) : NULL;
        md->ready = md->path != NULL;
        ready += md->ready;
    }
    pthread_mutex_lock(&s->lock);
    s->status.version = m->version;
    s->status.media_total = n;
    s->status.media_ready = ready;
    pthread_mutex_unlock(&s->lock);

    log_info("schedule version %" PRId64 " to the player: %zu of %zu media ready",
             m->version, ready, n);
    s->publish(m, s->ud);
    if (ready == n) {
        s->collect_pending = true;
        s->collect_at = now_s() + COLLECT_DELAY_S;
    }
}

static void drop_adopted(struct sync *s)
{
    for (size_t i = 0; s->adopted && s->media && i < s->adopted->n_media; i++) {
        free(s->media[i].request_url);
        free(s->media[i].path);
    }
    free(s->media);
    s->media = NULL;
    manifest_unref(s->adopted);
    s->adopted = NULL;
}

/* Makes M, whose media are fetched from URLS, the schedule in use; takes
 * both. Media already in the cache are ready at once; with HASH their
 * content is checked first (once per run). */
static bool take(struct sync *s, struct manifest *m, char **urls, bool hash)
{
    struct media_state *media = calloc(m->n_media ? m->n_media : 1, sizeof(*media));
    if (!media) {
        log_error("out of memory taking schedule version %" PRId64, m->version);
        sync_free_urls(urls, m->n_media);
        manifest_unref(m);
        return false;
    }
    drop_adopted(s);
    s->adopted = m;
    s->media = media;
    for (size_t i = 0; i < m->n_media; i++) {
        media[i].request_url = urls[i];
        media[i].path = cache_find(s->cache, m->media[i].sha256, m->media[i].size, hash);
    }
    free(urls);
    s->collect_pending = false;
    return true;
}

static size_t count_ready(const struct sync *s)
{
    size_t n = 0;
    for (size_t i = 0; s->adopted && i < s->adopted->n_media; i++)
        n += s->media[i].path != NULL;
    return n;
}

/* Parses TEXT as a manifest from URL whose media resolve against BASE.
 * On failure returns NULL and sets *PROBLEMS (caller frees) to the lines
 * saying why. */
static struct manifest *parse(const char *text, size_t len, const char *url,
                              const char *base, char ***urls, char **problems)
{
    size_t problems_len = 0;
    FILE *err = open_memstream(problems, &problems_len);
    struct manifest *m = manifest_parse(text, len, url, err);

    *urls = m ? sync_media_urls(m, base, err) : NULL;
    if (err)
        fclose(err);
    else
        *problems = strdup("out of memory\n");
    if (m && !*urls) {
        manifest_unref(m);
        m = NULL;
    }
    if (m) {
        free(*problems);
        *problems = NULL;
    }
    return m;
}

/* ---- Start-up: the stored schedule ---- */

static void restore(struct sync *s)
{
    char *text = NULL, *problems = NULL;
    char **urls = NULL;
    size_t len = 0;
    struct store_meta meta;

    if (!store_load(s->cache_dir, &text, &len, &meta))
        goto out;
    const char *url = meta.url ? meta.url : s->url;
    const char *base = meta.base ? meta.base : url;
    struct manifest *m = parse(text, len, url, base, &urls, &problems);
    if (!m) {
        log_warn("the stored schedule cannot be used; waiting for the server:");
        log_text(LOG_WARN, problems);
        goto out;
    }
    /* Versions and ETags of another server say nothing about this one. */
    s->same_url = meta.url && strcmp(meta.url, s->url) == 0;
    if (meta.url && !s->same_url) {
        log_info("the stored schedule came from %s, not from schedule.url; it plays "
                 "until %s answers", url, s->url);
    }
    if (!s->same_url) {
        free(meta.etag);
        free(meta.last_modified);
        meta.etag = meta.last_modified = NULL;
    }
    if (!take(s, m, urls, false))
        goto out;
    s->meta = meta;
    memset(&meta, 0, sizeof(meta));
    log_info("playing the stored schedule version %" PRId64 " from %s until the server "
             "is reached", s->adopted->version, url);
    publish(s);
out:
    store_meta_finish(&meta);
    free(problems);
    free(text);
}

/* Checks the content of the cached files the stored schedule plays. They
 * were checked when downloaded; this catches a card that damaged them
 * since. It runs after the first hand-over so a large cache does not keep
 * the screen waiting. */
static void reverify(struct sync *s)
{
    bool lost = false;
    for (size_t i = 0; s->adopted && i < s->adopted->n_media && !stopping(s); i++) {
        const struct manifest_media *md = &s->adopted->media[i];
        if (!s->media[i].path)
            continue;
        char *path = cache_find(s->cache, md->sha256, md->size, true);
        if (!path && !stopping(s)) {
            free(s->media[i].path);
            s->media[i].path = NULL;
            lost = true;
        }
        free(path);
    }
    if (lost && !stopping(s))
        publish(s);
}

/* ---- Polling ---- */

static void remember_origin(struct store_meta *meta, const struct sync *s,
                            const struct fetch_reply *r, const char *hash)
{
    meta->url = strdup(s->url);
    meta->base = strdup(r->effective_url ? r->effective_url : s->request_url);
    meta->etag = r->etag ? strdup(r->etag) : NULL;
    meta->last_modified = r->last_modified ? strdup(r->last_modified) : NULL;
    memcpy(meta->sha256, hash, sizeof(meta->sha256));
}

static bool same_string(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* The server sent the manifest in use again: keep its new validators. */
static void refresh_origin(struct sync *s, const struct fetch_reply *r)
{
    if (same_string(s->meta.etag, r->etag) &&
        same_string(s->meta.last_modified, r->last_modified)) {
        return;
    }
    struct store_meta meta = {0};
    remember_origin(&meta, s, r, s->meta.sha256);
    store_save_meta(s->cache_dir, &meta);
    store_meta_finish(&s->meta);
    s->meta = meta;
}

/* Copies the first line of TEXT into WHY. */
static void first_line(const char *text, char *why, size_t why_len)
{
    size_t len = text ? strcspn(text, "\n") : 0;
    snprintf(why, why_len, "%.*s", (int)len, text ? text : "");
}

static enum offer offer(struct sync *s, const struct fetch_reply *r, char *why,
                        size_t why_len)
{
    char hash[65];
    char **urls = NULL;
    char *problems = NULL;
    const char *base = r->effective_url ? r->effective_url : s->request_url;
    bool have = s->adopted && s->same_url;

    cache_sha256_hex(r->body, r->body_len, hash);
    bool same = s->adopted && strcmp(hash, s->meta.sha256) == 0;
    if (same) {
        s->same_url = true;
        refresh_origin(s, r);
        return OFFER_TAKEN;
    }
    if (strcmp(hash, s->refused) == 0)
        return OFFER_REFUSED_AGAIN;
    memcpy(s->refused, hash, sizeof(hash));

    struct manifest *m = parse(r->body, r->body_len, s->url, base, &urls, &problems);
    if (!m) {
        log_error("%s: the server's reply is not a usable manifest:", s->url);
        log_text(LOG_ERROR, problems);
        first_line(problems, why, why_len);
        free(problems);
        return OFFER_REFUSED;
    }
    int64_t in_use = s->adopted ? s->adopted->version : -1;
    if (sync_judge(have, in_use, m->version, false) == SYNC_ROLLBACK) {
        snprintf(why, why_len, "refusing version %" PRId64 ": older than version %"
                 PRId64 " in use (a stale mirror, or an old file sent again?)",
                 m->version, in_use);
        log_error("%s: %s", s->url, why);
        sync_free_urls(urls, m->n_media);
        manifest_unref(m);
        return OFFER_REFUSED;
    }
    if (have && m->version == in_use) {
        log_warn("%s: the manifest changed but kept version %" PRId64 "; using it "
                 "(raise the version with each change)", s->url, m->version);
    }

    struct store_meta meta = {0};
    remember_origin(&meta, s, r, hash);
    store_save(s->cache_dir, r->body, r->body_len, &meta);
    if (!take(s, m, urls, true)) {
        store_meta_finish(&meta);
        return OFFER_REFUSED;
    }
    store_meta_finish(&s->meta);
    s->meta = meta;
    s->same_url = true;
    s->refused[0] = '\0';
    log_info("%s: adopted schedule version %" PRId64 " (%zu media, %zu already in the "
             "cache)", s->url, s->adopted->version, s->adopted->n_media, count_ready(s));
    publish(s);
    return OFFER_TAKEN;
}

static const char *status_hint(long code)
{
    switch (code) {
    case 401:
    case 403:
        return " (the server refuses this terminal: check its access rules)";
    case 404:
        return " (no manifest at that address: check schedule.url)";
    default:
        return code >= 500 ? " (a problem on the server)" : "";
    }
}

/* Settles the time of the next poll and the status after one. WHY says
 * what went wrong; with LOGGED it was logged already, at length. */
static void after_poll(struct sync *s, bool ok, bool logged, bool quiet, const char *why,
                       const struct fetch_reply *r)
{
    double delay;
    if (ok) {
        s->poll_failures = 0;
        delay = sync_poll_delay_s(s->poll_seconds, next_random(s));
    } else {
        s->poll_failures++;
        delay = sync_backoff_s(s->poll_failures);
    }
    s->next_poll = now_s() + delay;

    pthread_mutex_lock(&s->lock);
    s->status.failures = s->poll_failures;
    if (ok) {
        s->status.last_success = time(NULL);
        s->status.server_date = r->date;
        s->status.last_error[0] = '\0';
    } else if (why[0]) {
        /* Empty for a refusal repeated: the first one's reason stands. */
        size_t len = strnlen(why, sizeof(s->status.last_error) - 1);
        memcpy(s->status.last_error, why, len);
        s->status.last_error[len] = '\0';
    }
    pthread_mutex_unlock(&s->lock);

    if (ok)
        return;
    char keeping[96];
    if (s->adopted)
        snprintf(keeping, sizeof(keeping), "keeping schedule version %" PRId64,
                 s->adopted->version);
    else
        snprintf(keeping, sizeof(keeping), "no schedule yet");
    if (logged) {
        log_write(quiet ? LOG_DEBUG : LOG_WARN, LOG_MODULE, "%s: %s%s, next try in %.0f s",
                  s->url, quiet ? "the same refused manifest again; " : "", keeping, delay);
    } else {
        log_warn("%s: %s; %s, next try in %.0f s", s->url, why, keeping, delay);
    }
}

static void poll_once(struct sync *s)
{
    struct fetch_request rq = base_request(s);
    struct fetch_reply r;
    char why[768] = "";
    bool ok = false, logged = false, quiet = false;

    rq.url = s->request_url;
    rq.timeout_s = s->timeout_s;
    rq.max_bytes = STORE_MANIFEST_MAX;
    rq.compressed = true;
    if (s->adopted && s->same_url) {
        rq.if_none_match = s->meta.etag;
        rq.if_modified_since = s->meta.last_modified;
    }
    if (!fetch_to_memory(&rq, &r)) {
        if (r.status == FETCH_CANCELLED)
            goto out;
        snprintf(why, sizeof(why), "cannot fetch the schedule: %s", r.error);
    } else if (r.code == 304 && (rq.if_none_match || rq.if_modified_since)) {
        log_debug("%s: unchanged (HTTP 304)", s->url);
        ok = true;
    } else if (r.code == 200) {
        enum offer o = offer(s, &r, why, sizeof(why));
        ok = o == OFFER_TAKEN;
        logged = !ok;
        quiet = o == OFFER_REFUSED_AGAIN;
    } else {
        snprintf(why, sizeof(why), "the server answered HTTP %ld%s", r.code,
                 status_hint(r.code));
    }
    after_poll(s, ok, logged, quiet, why, &r);
out:
    fetch_reply_finish(&r);
}

/* ---- Downloads ---- */

/* Marks every entry with SHA256 ready at PATH (another entry may use the
 * same file under another id). */
static void mark_ready(struct sync *s, const char *sha256, const char *path)
{
    for (size_t i = 0; i < s->adopted->n_media; i++) {
        if (s->media[i].path || strcmp(s->adopted->media[i].sha256, sha256) != 0)
            continue;
        s->media[i].path = strdup(path);
        s->media[i].failures = 0;
    }
}

static void download(struct sync *s, size_t i)
{
    const struct manifest_media *md = &s->adopted->media[i];
    struct media_state *st = &s->media[i];
    struct fetch_request rq = base_request(s);
    char why[1024] = "", id[ID_ECHO_MAX + 8];
    size_t n_keep;
    const char **keep = keep_list(s, &n_keep);

    bool grew = false;

    echo_id(md->id, id, sizeof(id));
    rq.url = st->request_url;
    rq.timeout_s = s->poll_seconds > MEDIA_SLICE_MIN_S ? s->poll_seconds : MEDIA_SLICE_MIN_S;
    log_info("downloading media \"%s\" (%" PRId64 " bytes) from %s", id, md->size, rq.url);
    enum cache_result result = cache_download(s->cache, &rq, md->sha256, md->size, keep,
                                              n_keep, &grew, why, sizeof(why));
    free(keep);
    if (result == CACHE_STORED) {
        char *path = cache_find(s->cache, md->sha256, md->size, true);
        if (path) {
            log_info("media \"%s\" downloaded and verified", id);
            mark_ready(s, md->sha256, path);
            free(path);
            status_update_cache(s);
            publish(s);
            return;
        }
        snprintf(why, sizeof(why), "the verified file vanished from the cache");
    }
    if (result == CACHE_CANCELLED)
        return;
    if (result == CACHE_FAILED && grew) {
        /* It moved on: the time slice ran out, or the link dropped after a
         * while. Go on from there at once (after a poll, if one is due). */
        log_info("media \"%s\": %s; continuing", id, why);
        st->failures = 0;
        st->retry_at = 0;
        status_update_cache(s);
        return;
    }
    st->failures++;
    st->retry_at = now_s() + sync_backoff_s(st->failures);
    log_write(result == CACHE_NO_SPACE ? LOG_ERROR : LOG_WARN, LOG_MODULE,
              "media \"%s\" from %s: %s; %snext try in %.0f s", id, rq.url, why,
              result == CACHE_NO_SPACE ? "playback goes on without it, " : "",
              sync_backoff_s(st->failures));
    status_update_cache(s);
}

/* Starts the next download that is due; false when none is. */
static bool download_next(struct sync *s, double now)
{
    for (size_t i = 0; s->adopted && i < s->adopted->n_media; i++) {
        const struct manifest_media *md = &s->adopted->media[i];
        if (s->media[i].path || s->media[i].retry_at > now)
            continue;
        /* Another entry may have brought the same file meanwhile. */
        char *path = cache_find(s->cache, md->sha256, md->size, true);
        if (path) {
            mark_ready(s, md->sha256, path);
            free(path);
            publish(s);
        } else {
            download(s, i);
        }
        return true;
    }
    return false;
}

static void collect(struct sync *s)
{
    size_t n_keep;
    const char **keep = keep_list(s, &n_keep);
    if (keep) {
        cache_collect(s->cache, keep, n_keep);
        status_update_cache(s);
    }
    free(keep);
    s->collect_pending = false;
}

/* ---- The thread ---- */

static double next_wake(const struct sync *s)
{
    double when = s->next_poll;
    for (size_t i = 0; s->adopted && i < s->adopted->n_media; i++) {
        if (!s->media[i].path && s->media[i].retry_at < when)
            when = s->media[i].retry_at;
    }
    if (s->collect_pending && s->collect_at < when)
        when = s->collect_at;
    return when;
}

static void sleep_until(struct sync *s, double when)
{
    struct timespec ts;
    ts.tv_sec = (time_t)when;
    ts.tv_nsec = (long)((when - (double)ts.tv_sec) * 1e9);
    pthread_mutex_lock(&s->lock);
    while (!stopping(s) && now_s() < when) {
        if (pthread_cond_timedwait(&s->wake, &s->lock, &ts) == ETIMEDOUT)
            break;
    }
    pthread_mutex_unlock(&s->lock);
}

static void *sync_main(void *arg)
{
    struct sync *s = arg;

    restore(s);
    reverify(s);
    status_update_cache(s);
    s->next_poll = now_s();
    while (!stopping(s)) {
        double now = now_s();
        if (now >= s->next_poll) {
            poll_once(s);
            continue;
        }
        if (download_next(s, now))
            continue;
        if (s->collect_pending && now >= s->collect_at) {
            collect(s);
            continue;
        }
        sleep_until(s, next_wake(s));
    }
    return NULL;
}

/* ---- Creating and destroying ---- */

static char *copy_string(const char *s, bool *ok)
{
    char *copy = strdup(s ? s : "");
    *ok = *ok && copy != NULL;
    return copy;
}

static bool init_lock(struct sync *s)
{
    pthread_condattr_t attr;
    bool ok = pthread_condattr_init(&attr) == 0;
    ok = ok && pthread_condattr_setclock(&attr, CLOCK_MONOTONIC) == 0;
    ok = ok && pthread_cond_init(&s->wake, &attr) == 0;
    pthread_condattr_destroy(&attr);
    if (ok && pthread_mutex_init(&s->lock, NULL) != 0) {
        pthread_cond_destroy(&s->wake);
        ok = false;
    }
    return ok;
}

struct sync *sync_create(const struct config *cfg, const char *cache_dir,
                         sync_publish_fn publish_fn, void *ud)
{
    struct sync *s = NULL;
    char why[512], agent[256];
    bool ok = true;

    if (!cfg->schedule_url || !source_is_http(cfg->schedule_url)) {
        log_error("network sync needs an http:// or https:// schedule.url, got \"%s\"",
                  cfg->schedule_url ? cfg->schedule_url : "");
        return NULL;
    }
    s = calloc(1, sizeof(*s));
    if (!s)
        goto fail_memory;
    atomic_init(&s->stop, false);
    s->status.version = -1;
    s->publish = publish_fn;
    s->ud = ud;
    s->poll_seconds = cfg->poll_seconds > 0 ? cfg->poll_seconds : 60;
    s->connect_timeout_s = cfg->connect_timeout_s;
    s->timeout_s = cfg->timeout_s;
    fetch_user_agent(agent, sizeof(agent), cfg->device_id);
    s->user_agent = copy_string(agent, &ok);
    s->url = copy_string(cfg->schedule_url, &ok);
    s->proxy = copy_string(cfg->proxy, &ok);
    s->ca_file = copy_string(cfg->ca_file, &ok);
    s->cache_dir = realpath(cache_dir, NULL);
    if (!ok)
        goto fail_memory;
    if (!s->cache_dir) {
        log_error("cannot use the cache directory %s: %s", cache_dir, strerror(errno));
        goto fail;
    }
    s->request_url = source_http_url(s->url, s->url, why, sizeof(why));
    if (!s->request_url) {
        log_error("schedule.url \"%s\": %s", s->url, why);
        goto fail;
    }
    s->rng = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32) ^ (uint64_t)(uintptr_t)s;
    s->rng = s->rng ? s->rng : 1;
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        log_error("cannot start libcurl");
        goto fail;
    }
    s->curl_ready = true;
    s->cache = cache_create(s->cache_dir, (int64_t)cfg->cache_max_mb * 1024 * 1024,
                            &s->stop);
    if (!s->cache)
        goto fail;
    if (!init_lock(s)) {
        log_error("cannot create the network thread's lock");
        goto fail;
    }
    int rc = pthread_create(&s->thread, NULL, sync_main, s);
    if (rc != 0) {
        log_error("cannot start the network thread: %s", strerror(rc));
        pthread_mutex_destroy(&s->lock);
        pthread_cond_destroy(&s->wake);
        goto fail;
    }
    s->running = true;
    log_info("syncing %s every %d s into %s", s->url, s->poll_seconds, s->cache_dir);
    return s;

fail_memory:
    log_error("out of memory starting network sync");
fail:
    sync_destroy(s);
    return NULL;
}

void sync_destroy(struct sync *s)
{
    if (!s)
        return;
    if (s->running) {
        pthread_mutex_lock(&s->lock);
        atomic_store(&s->stop, true);
        pthread_cond_signal(&s->wake);
        pthread_mutex_unlock(&s->lock);
        pthread_join(s->thread, NULL);
        pthread_mutex_destroy(&s->lock);
        pthread_cond_destroy(&s->wake);
    }
    drop_adopted(s);
    store_meta_finish(&s->meta);
    cache_destroy(s->cache);
    if (s->curl_ready)
        curl_global_cleanup();
    free(s->url);
    free(s->request_url);
    free(s->cache_dir);
    free(s->user_agent);
    free(s->proxy);
    free(s->ca_file);
    free(s);
}

void sync_status(struct sync *s, struct sync_status *out)
{
    pthread_mutex_lock(&s->lock);
    *out = s->status;
    pthread_mutex_unlock(&s->lock);
}
