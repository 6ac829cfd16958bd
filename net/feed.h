/*
 * A small document polled often: the alerts. One thread per feed asks for
 * the document every few seconds with a conditional request, hands each
 * new valid version to the player, and keeps the last good copy on disk so
 * that it survives a reboot without network.
 *
 * Files a document names (an alert's own picture or video) are downloaded
 * by the same thread between polls into the media cache (net/cache.h),
 * checked against their size and SHA-256, and pinned there so that they
 * outlive schedule changes and reboots while the document needs them.
 * Each time one is verified the document is handed over again, with the
 * file's path filled in.
 */
#ifndef LIANBO_FEED_H
#define LIANBO_FEED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "config/config.h"

/* Parses a document; on failure writes its problems to ERR and returns
 * NULL. */
typedef void *(*feed_parse_fn)(const char *text, size_t len, const char *url, FILE *err);

/* Called on the feed's thread with a new document; takes ownership. */
typedef void (*feed_publish_fn)(void *obj, void *ud);

/* A file a document needs downloaded. The strings point into the document. */
struct feed_file {
    const char *url;     /* as written: absolute, or relative to the feed's URL */
    int64_t size;        /* bytes */
    const char *sha256;  /* 64 lower-case hex digits */
    const char *what;    /* for the log: the alert's id */
    char **path;         /* set (malloc'd) to the verified file, when there is one */
};

/* Lists up to MAX files that document OBJ needs into OUT; returns how
 * many. Called on the feed's thread before OBJ is published. */
typedef size_t (*feed_files_fn)(void *obj, struct feed_file *out, size_t max);

struct feed_params {
    const char *name;        /* for the log: "alerts" */
    const char *url;         /* http(s)://, file:// or an absolute path */
    int poll_seconds;
    const char *store_dir;   /* where the last good copy is kept */
    const char *store_name;  /* its file name there */
    size_t max_bytes;        /* a larger document is refused */
    feed_parse_fn parse;
    feed_publish_fn publish;
    feed_files_fn files;     /* NULL: documents name no files */
    void *ud;
};

struct feed;

/* Starts polling. CFG gives the device id, proxy, CA bundle and timeouts;
 * nothing of it is kept. NULL with a log line on failure. */
struct feed *feed_create(const struct feed_params *params, const struct config *cfg);

/* Stops the thread promptly, even mid-transfer; accepts NULL. */
void feed_destroy(struct feed *f);

#endif
