/*
 * One HTTP(S) GET with libcurl, with the limits a terminal on a flaky link
 * needs: connect and total timeouts, a floor on the transfer speed, a cap
 * on the body, a bounded number of redirects, conditional requests and
 * resuming a download into a file. TLS certificates are always checked.
 *
 * The functions block until the transfer ends; they are meant for the
 * network thread (net/sync.c), never the render thread. curl_global_init()
 * must have been called first.
 */
#ifndef LIANBO_FETCH_H
#define LIANBO_FETCH_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct fetch_request {
    const char *url;              /* http:// or https://, already encoded */
    const char *user_agent;
    const char *proxy;            /* NULL or "": libcurl reads https_proxy etc. */
    const char *ca_file;          /* NULL or "": the system's bundle */
    long connect_timeout_s;
    long timeout_s;               /* the whole transfer; 0 for no limit */
    long low_speed_bytes;         /* slower than this many bytes a second ... */
    long low_speed_s;             /* ... for this many seconds: abandoned */
    int64_t max_bytes;            /* largest body (to_file: the whole file), -1: any */
    const char *if_none_match;    /* ETag of the copy held, or NULL */
    const char *if_modified_since;/* Last-Modified of the copy held, or NULL */
    bool compressed;              /* offer gzip and the like (not with ranges) */
    const atomic_bool *cancel;    /* the transfer stops soon after it turns true */
};

enum fetch_status {
    FETCH_DONE,          /* a reply came; CODE says which */
    FETCH_FAILED,        /* no usable reply: DNS, connection, TLS, timeout, redirects */
    FETCH_TOO_LARGE,     /* the body went, or was announced to go, past max_bytes */
    FETCH_BAD_RANGE,     /* a resumed download came back for another range */
    FETCH_WRITE_FAILED,  /* the local file could not be written: see write_errno */
    FETCH_CANCELLED,     /* REQUEST.cancel turned true */
};

struct fetch_reply {
    enum fetch_status status;
    long code;                /* HTTP status of the last reply, 0 if none came */
    char *etag;               /* of the last reply; NULL when it had none */
    char *last_modified;
    time_t date;              /* its Date header, 0 when absent or unreadable */
    char *effective_url;      /* after redirects */
    char *body;               /* fetch_to_memory: NUL-terminated; else NULL */
    size_t body_len;
    int64_t file_bytes;       /* fetch_to_file: bytes in the file afterwards */
    int write_errno;          /* FETCH_WRITE_FAILED: why (ENOSPC: disk full) */
    char error[512];          /* what went wrong, for a log line; "" if nothing */
};

/*
 * The parts of a request every lianbo transfer shares: who asks, through
 * which proxy, trusting which certificates, how long to wait for a
 * connection, the floor on the transfer speed, and the flag that cancels
 * it. The strings are kept as pointers; URL and limits are the caller's.
 */
struct fetch_request fetch_request_base(const char *user_agent, const char *proxy,
                                        const char *ca_file, long connect_timeout_s,
                                        const atomic_bool *cancel);

/* Writes "lianbo/VERSION (DEVICE_ID)", the User-Agent of every request. */
void fetch_user_agent(char *buf, size_t len, const char *device_id);

/*
 * Fetches REQUEST.url into memory. True when a reply came (any status:
 * look at CODE); false otherwise, with the reason in REPLY.error. A 304
 * reply has no body. Either way release REPLY with fetch_reply_finish().
 */
bool fetch_to_memory(const struct fetch_request *request, struct fetch_reply *reply);

/*
 * Fetches REQUEST.url into FD, whose first RESUME_FROM bytes are already
 * there; with RESUME_FROM > 0 only the rest is asked for (a Range
 * request). A 206 reply for exactly that range is appended; a 200 reply
 * (the server ignored the range) replaces the file's content; a 206 for
 * another range is refused (FETCH_BAD_RANGE) and nothing is written. Any
 * other status writes nothing. Bytes past REQUEST.max_bytes are cut off
 * (FETCH_TOO_LARGE). REPLY.file_bytes says how much the file holds after.
 */
bool fetch_to_file(const struct fetch_request *request, int fd, int64_t resume_from,
                   struct fetch_reply *reply);

/* Frees what REPLY holds and clears it; accepts a cleared reply. */
void fetch_reply_finish(struct fetch_reply *reply);

#endif
