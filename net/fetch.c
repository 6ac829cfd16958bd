#define LOG_MODULE "fetch"
#include "player/log.h"

#include "net/fetch.h"

#include <curl/curl.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "build-config.h"

/* A transfer slower than LOW_SPEED_BYTES a second for LOW_SPEED_S seconds
 * is abandoned: even a poor 4G link moves far more than that, and a server
 * dripping a byte at a time would otherwise hold the thread forever. */
#define LOW_SPEED_BYTES 100L
#define LOW_SPEED_S 60L

/* Longest header value kept (ETag, Last-Modified, Date, Content-Range).
 * Real ones are well under 100 bytes; a longer one is not trusted, and it
 * would be sent back in the next request. */
#define HEADER_VALUE_MAX 256

/* Redirects followed before giving up: enough for http -> https -> CDN. */
#define MAX_REDIRECTS 5

struct headers {
    char etag[HEADER_VALUE_MAX + 1];
    char last_modified[HEADER_VALUE_MAX + 1];
    char date[HEADER_VALUE_MAX + 1];
    bool has_range;
    int64_t range_first;
};

struct transfer {
    const struct fetch_request *rq;
    struct fetch_reply *reply;
    CURL *curl;
    struct headers h;       /* of the reply being read */

    bool started;           /* the first body byte came and was judged */
    bool discard;           /* the body is not wanted (an error page) */
    enum fetch_status abort_status;
    bool aborted;

    char *buf;              /* to memory */
    size_t len, cap;

    int fd;                 /* to a file, else -1 */
    int64_t resume_from;
    int64_t offset;         /* where the next byte goes */
};

__attribute__((format(printf, 3, 4)))
static void transfer_abort(struct transfer *t, enum fetch_status status, const char *fmt, ...)
{
    va_list ap;
    t->aborted = true;
    t->abort_status = status;
    va_start(ap, fmt);
    vsnprintf(t->reply->error, sizeof(t->reply->error), fmt, ap);
    va_end(ap);
}

/* ---- Headers ---- */

/* Copies the value of a header line (after the colon) into OUT, without
 * the spaces around it. A value with control characters or longer than
 * the buffer is not kept: it would be sent back to the server. */
static void header_value(const char *value, size_t len, char *out)
{
    while (len && (*value == ' ' || *value == '\t')) {
        value++;
        len--;
    }
    while (len && strchr(" \t\r\n", value[len - 1]))
        len--;
    out[0] = '\0';
    if (len > HEADER_VALUE_MAX)
        return;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)value[i];
        if (c < 0x20 || c == 0x7f)
            return;
    }
    memcpy(out, value, len);
    out[len] = '\0';
}

/* "bytes 100-199/200", or with "*" for an unknown total: the first byte. */
static bool parse_content_range(const char *value, int64_t *first)
{
    char *end;
    if (strncasecmp(value, "bytes ", 6) != 0)
        return false;
    errno = 0;
    long long v = strtoll(value + 6, &end, 10);
    if (errno || end == value + 6 || *end != '-' || v < 0)
        return false;
    *first = v;
    return true;
}

static bool header_is(const char *line, size_t len, const char *name, size_t *value_at)
{
    size_t n = strlen(name);
    if (len <= n || line[n] != ':' || strncasecmp(line, name, n) != 0)
        return false;
    *value_at = n + 1;
    return true;
}

static size_t on_header(char *line, size_t size, size_t n, void *ud)
{
    struct transfer *t = ud;
    size_t len = size * n;
    size_t at;
    char value[HEADER_VALUE_MAX + 1];

    /* Each reply (a redirect, then the real one) starts with its status
     * line; only the last reply's headers count. */
    if (len >= 5 && strncmp(line, "HTTP/", 5) == 0) {
        memset(&t->h, 0, sizeof(t->h));
    } else if (header_is(line, len, "ETag", &at)) {
        header_value(line + at, len - at, t->h.etag);
    } else if (header_is(line, len, "Last-Modified", &at)) {
        header_value(line + at, len - at, t->h.last_modified);
    } else if (header_is(line, len, "Date", &at)) {
        header_value(line + at, len - at, t->h.date);
    } else if (header_is(line, len, "Content-Range", &at)) {
        header_value(line + at, len - at, value);
        t->h.has_range = parse_content_range(value, &t->h.range_first);
    }
    return len;
}

/* ---- The body ---- */

/* Decides, at the first byte of the body, what to do with it. */
static bool begin_memory(struct transfer *t, long code, curl_off_t length)
{
    int64_t max = t->rq->max_bytes;
    if (code != 200) {
        t->discard = true;
        return true;
    }
    if (max >= 0 && length > max) {
        transfer_abort(t, FETCH_TOO_LARGE, "the server announced %" CURL_FORMAT_CURL_OFF_T
                       " bytes, more than the %" PRId64 " allowed", length, max);
        return false;
    }
    return true;
}

static bool begin_file(struct transfer *t, long code, curl_off_t length)
{
    int64_t max = t->rq->max_bytes;
    if (code == 206 && t->resume_from > 0) {
        if (!t->h.has_range || t->h.range_first != t->resume_from) {
            transfer_abort(t, FETCH_BAD_RANGE, "asked for the bytes from %" PRId64
                           " on, the server sent another range", t->resume_from);
            return false;
        }
        if (max >= 0 && length >= 0 && t->resume_from + length > max) {
            transfer_abort(t, FETCH_TOO_LARGE, "the server announced %" PRId64
                           " bytes in all, more than the %" PRId64 " expected",
                           t->resume_from + (int64_t)length, max);
            return false;
        }
        t->offset = t->resume_from;
        return true;
    }
    if (code == 206) {
        transfer_abort(t, FETCH_BAD_RANGE, "the server sent part of the file "
                       "unasked (HTTP 206)");
        return false;
    }
    if (code != 200) {
        t->discard = true;
        return true;
    }
    if (max >= 0 && length > max) {
        transfer_abort(t, FETCH_TOO_LARGE, "the server announced %" CURL_FORMAT_CURL_OFF_T
                       " bytes, more than the %" PRId64 " expected", length, max);
        return false;
    }
    /* The whole file came back although only its end was asked for: start
     * again from its first byte. */
    if (t->resume_from > 0 && ftruncate(t->fd, 0) != 0) {
        t->reply->write_errno = errno;
        transfer_abort(t, FETCH_WRITE_FAILED, "cannot empty the partial file: %s",
                       strerror(errno));
        return false;
    }
    t->offset = 0;
    return true;
}

static bool write_memory(struct transfer *t, const char *data, size_t len)
{
    int64_t max = t->rq->max_bytes;
    if (max >= 0 && (int64_t)(t->len + len) > max) {
        transfer_abort(t, FETCH_TOO_LARGE, "the body passed the %" PRId64
                       " bytes allowed", max);
        return false;
    }
    if (t->len + len + 1 > t->cap) {
        size_t cap = t->cap ? t->cap : 16384;
        while (cap < t->len + len + 1)
            cap *= 2;
        char *grown = realloc(t->buf, cap);
        if (!grown) {
            transfer_abort(t, FETCH_FAILED, "out of memory for a %zu-byte body",
                           t->len + len);
            return false;
        }
        t->buf = grown;
        t->cap = cap;
    }
    memcpy(t->buf + t->len, data, len);
    t->len += len;
    t->buf[t->len] = '\0';
    return true;
}

static bool write_file(struct transfer *t, const char *data, size_t len)
{
    int64_t max = t->rq->max_bytes;
    bool too_much = max >= 0 && t->offset + (int64_t)len > max;
    size_t keep = too_much ? (size_t)(max - t->offset) : len;

    while (keep > 0) {
        ssize_t n = pwrite(t->fd, data, keep, (off_t)t->offset);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            t->reply->write_errno = errno;
            transfer_abort(t, FETCH_WRITE_FAILED, "cannot write the download: %s",
                           strerror(errno));
            return false;
        }
        data += n;
        keep -= (size_t)n;
        t->offset += n;
    }
    if (too_much) {
        transfer_abort(t, FETCH_TOO_LARGE, "the server sent more than the %" PRId64
                       " bytes expected; cut off there", max);
        return false;
    }
    return true;
}

static size_t on_body(char *data, size_t size, size_t n, void *ud)
{
    struct transfer *t = ud;
    size_t len = size * n;

    if (!t->started) {
        long code = 0;
        curl_off_t length = -1;
        curl_easy_getinfo(t->curl, CURLINFO_RESPONSE_CODE, &code);
        curl_easy_getinfo(t->curl, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &length);
        t->started = true;
        bool go = t->fd < 0 ? begin_memory(t, code, length) : begin_file(t, code, length);
        if (!go)
            return 0;
    }
    if (t->discard)
        return len;
    bool ok = t->fd < 0 ? write_memory(t, data, len) : write_file(t, data, len);
    /* Anything but LEN makes libcurl stop the transfer. */
    return ok ? len : 0;
}

static int on_progress(void *ud, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                       curl_off_t ulnow)
{
    const struct transfer *t = ud;
    return t->rq->cancel && atomic_load(t->rq->cancel) ? 1 : 0;
}

/* ---- The request ---- */

static struct curl_slist *conditional_headers(const struct fetch_request *rq, bool *ok)
{
    struct curl_slist *list = NULL, *grown;
    char line[HEADER_VALUE_MAX + 64];

    *ok = true;
    if (rq->if_none_match && rq->if_none_match[0]) {
        snprintf(line, sizeof(line), "If-None-Match: %s", rq->if_none_match);
        grown = curl_slist_append(list, line);
        *ok = grown != NULL;
        list = grown ? grown : list;
    }
    if (*ok && rq->if_modified_since && rq->if_modified_since[0]) {
        snprintf(line, sizeof(line), "If-Modified-Since: %s", rq->if_modified_since);
        grown = curl_slist_append(list, line);
        *ok = grown != NULL;
        list = grown ? grown : list;
    }
    return list;
}

static bool set_options(CURL *c, struct transfer *t, char *errbuf,
                        struct curl_slist *headers, const char *range)
{
    const struct fetch_request *rq = t->rq;
    bool ok = true;

#define SET(opt, value) ok = curl_easy_setopt(c, opt, value) == CURLE_OK && ok
    SET(CURLOPT_URL, rq->url);
    SET(CURLOPT_ERRORBUFFER, errbuf);
    /* Signals would hit whichever thread; the threaded resolver needs none. */
    SET(CURLOPT_NOSIGNAL, 1L);
    SET(CURLOPT_PROTOCOLS_STR, "http,https");
    SET(CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    SET(CURLOPT_FOLLOWLOCATION, 1L);
    SET(CURLOPT_MAXREDIRS, (long)MAX_REDIRECTS);
    SET(CURLOPT_USERAGENT, rq->user_agent);
    SET(CURLOPT_CONNECTTIMEOUT, rq->connect_timeout_s);
    SET(CURLOPT_TIMEOUT, rq->timeout_s);
    SET(CURLOPT_LOW_SPEED_LIMIT, rq->low_speed_bytes);
    SET(CURLOPT_LOW_SPEED_TIME, rq->low_speed_s);
    SET(CURLOPT_TCP_KEEPALIVE, 1L);
    SET(CURLOPT_HEADERFUNCTION, on_header);
    SET(CURLOPT_HEADERDATA, t);
    SET(CURLOPT_WRITEFUNCTION, on_body);
    SET(CURLOPT_WRITEDATA, t);
    SET(CURLOPT_XFERINFOFUNCTION, on_progress);
    SET(CURLOPT_XFERINFODATA, t);
    SET(CURLOPT_NOPROGRESS, 0L);
    if (rq->proxy && rq->proxy[0])
        SET(CURLOPT_PROXY, rq->proxy);
    if (rq->ca_file && rq->ca_file[0]) {
        SET(CURLOPT_CAINFO, rq->ca_file);
        SET(CURLOPT_PROXY_CAINFO, rq->ca_file);
    }
    if (rq->compressed)
        SET(CURLOPT_ACCEPT_ENCODING, "");
    if (headers)
        SET(CURLOPT_HTTPHEADER, headers);
    /* CURLOPT_RANGE rather than CURLOPT_RESUME_FROM: the latter fails on a
     * 200 reply, and a server that ignores ranges should get a restart. */
    if (range)
        SET(CURLOPT_RANGE, range);
#undef SET
    return ok;
}

static char *copy_or_null(const char *s)
{
    return s && s[0] ? strdup(s) : NULL;
}

/*
 * A certificate check that fails because the board's clock is far in the
 * past (no battery-backed clock, no network time yet) reads like an attack
 * to a technician; say what it really is.
 */
static void explain_clock(struct fetch_reply *r, CURLcode rc)
{
    time_t now = time(NULL);
    if (rc != CURLE_PEER_FAILED_VERIFICATION || now >= (time_t)LIANBO_BUILD_EPOCH)
        return;
    char when[32];
    struct tm tm;
    strftime(when, sizeof(when), "%Y-%m-%d %H:%M", gmtime_r(&now, &tm));
    size_t n = strlen(r->error);
    snprintf(r->error + n, sizeof(r->error) - n,
             " -- this terminal's clock says %s (UTC), before this player was even built, "
             "so no certificate can be checked until the clock is set: is network time "
             "(NTP) reachable?", when);
}

static void reply_fill(struct transfer *t, CURLcode rc, const char *errbuf)
{
    struct fetch_reply *r = t->reply;
    char *url = NULL;

    curl_easy_getinfo(t->curl, CURLINFO_RESPONSE_CODE, &r->code);
    if (curl_easy_getinfo(t->curl, CURLINFO_EFFECTIVE_URL, &url) == CURLE_OK && url)
        r->effective_url = strdup(url);
    r->etag = copy_or_null(t->h.etag);
    r->last_modified = copy_or_null(t->h.last_modified);
    r->date = 0;
    if (t->h.date[0]) {
        time_t date = curl_getdate(t->h.date, NULL);
        r->date = date > 0 ? date : 0;
    }
    r->file_bytes = t->offset;

    if (t->aborted) {
        r->status = t->abort_status;
    } else if (rc == CURLE_ABORTED_BY_CALLBACK) {
        r->status = FETCH_CANCELLED;
        snprintf(r->error, sizeof(r->error), "stopped: the player is shutting down");
    } else if (rc != CURLE_OK) {
        r->status = FETCH_FAILED;
        snprintf(r->error, sizeof(r->error), "%s", errbuf[0] ? errbuf
                 : curl_easy_strerror(rc));
        explain_clock(r, rc);
    } else {
        r->status = FETCH_DONE;
    }
}

static bool fetch_run(const struct fetch_request *rq, struct fetch_reply *reply, int fd,
                      int64_t resume_from)
{
    struct transfer t = {.rq = rq, .reply = reply, .fd = fd, .resume_from = resume_from,
                         .offset = resume_from};
    char errbuf[CURL_ERROR_SIZE] = "";
    char range[32];
    struct curl_slist *headers = NULL;
    bool ok = true;

    memset(reply, 0, sizeof(*reply));
    t.curl = curl_easy_init();
    if (!t.curl) {
        snprintf(reply->error, sizeof(reply->error), "cannot start libcurl");
        reply->status = FETCH_FAILED;
        goto out;
    }
    headers = conditional_headers(rq, &ok);
    snprintf(range, sizeof(range), "%" PRId64 "-", resume_from);
    if (!ok || !set_options(t.curl, &t, errbuf, headers, resume_from > 0 ? range : NULL)) {
        snprintf(reply->error, sizeof(reply->error), "cannot set up the request "
                 "(this libcurl lacks a needed feature, or memory ran out)");
        reply->status = FETCH_FAILED;
        goto out;
    }
    CURLcode rc = curl_easy_perform(t.curl);
    reply_fill(&t, rc, errbuf);
    if (resume_from > 0) {
        log_debug("GET %s from byte %" PRId64 ": HTTP %ld%s%s", rq->url, resume_from,
                  reply->code, reply->error[0] ? ", " : "", reply->error);
    } else {
        log_debug("GET %s: HTTP %ld%s%s", rq->url, reply->code, reply->error[0] ? ", " : "",
                  reply->error);
    }
    if (reply->status == FETCH_DONE && fd < 0 && !t.discard) {
        reply->body = t.buf ? t.buf : strdup("");
        reply->body_len = t.len;
        t.buf = NULL;
    }
out:
    free(t.buf);
    curl_slist_free_all(headers);
    curl_easy_cleanup(t.curl);
    return reply->status == FETCH_DONE;
}

bool fetch_to_memory(const struct fetch_request *request, struct fetch_reply *reply)
{
    return fetch_run(request, reply, -1, 0);
}

bool fetch_to_file(const struct fetch_request *request, int fd, int64_t resume_from,
                   struct fetch_reply *reply)
{
    return fetch_run(request, reply, fd, resume_from);
}

void fetch_reply_finish(struct fetch_reply *reply)
{
    free(reply->etag);
    free(reply->last_modified);
    free(reply->effective_url);
    free(reply->body);
    memset(reply, 0, sizeof(*reply));
}

struct fetch_request fetch_request_base(const char *user_agent, const char *proxy,
                                        const char *ca_file, long connect_timeout_s,
                                        const atomic_bool *cancel)
{
    return (struct fetch_request){
        .user_agent = user_agent,
        .proxy = proxy,
        .ca_file = ca_file,
        .connect_timeout_s = connect_timeout_s,
        .low_speed_bytes = LOW_SPEED_BYTES,
        .low_speed_s = LOW_SPEED_S,
        .max_bytes = -1,
        .cancel = cancel,
    };
}

void fetch_user_agent(char *buf, size_t len, const char *device_id)
{
    snprintf(buf, len, "lianbo/%s (%s)", LIANBO_VERSION, device_id);
}
