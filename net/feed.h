/*
 * A small document polled often: the alerts. One thread per feed asks for
 * the document every few seconds with a conditional request, hands each
 * new valid version to the player, and keeps the last good copy on disk so
 * that it survives a reboot without network.
 */
#ifndef LIANBO_FEED_H
#define LIANBO_FEED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "config/config.h"

/* Parses a document; on failure writes its problems to ERR and returns
 * NULL. */
typedef void *(*feed_parse_fn)(const char *text, size_t len, const char *url, FILE *err);

/* Called on the feed's thread with a new document; takes ownership. */
typedef void (*feed_publish_fn)(void *obj, void *ud);

struct feed_params {
    const char *name;        /* for the log: "alerts" */
    const char *url;         /* http(s)://, file:// or an absolute path */
    int poll_seconds;
    const char *store_dir;   /* where the last good copy is kept */
    const char *store_name;  /* its file name there */
    size_t max_bytes;        /* a larger document is refused */
    feed_parse_fn parse;
    feed_publish_fn publish;
    void *ud;
};

struct feed;

/* Starts polling. CFG gives the device id, proxy, CA bundle and timeouts;
 * nothing of it is kept. NULL with a log line on failure. */
struct feed *feed_create(const struct feed_params *params, const struct config *cfg);

/* Stops the thread promptly, even mid-transfer; accepts NULL. */
void feed_destroy(struct feed *f);

#endif
