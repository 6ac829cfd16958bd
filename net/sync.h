/*
 * Network sync: the thread that keeps an http(s) schedule and its media on
 * the terminal.
 *
 * It polls the manifest URL (schedule.poll_seconds, varied by up to 10%),
 * with conditional requests so an unchanged manifest costs a 304. A new
 * manifest is checked whole before it is adopted: it must parse, every
 * media entry must carry its size and SHA-256, and its version must not be
 * lower than the one in use. The adopted manifest is stored as the last
 * good one (net/store.h) and its media downloaded into the cache
 * (net/cache.h), one at a time, each checked before it counts.
 *
 * Each time there is something new to show (a manifest adopted, or more of
 * its media verified) the thread hands the player a fresh copy of the
 * manifest, a "generation", through the publish callback. At start the
 * stored schedule is handed over before any network access, so a terminal
 * with its server down plays its last schedule from the cache at once.
 *
 * Failures (no network, a bad reply, a refused manifest) are logged and
 * retried after 5 s, then twice as long each time up to 5 minutes, then
 * every 5 minutes; the last good schedule keeps playing meanwhile.
 */
#ifndef LIANBO_SYNC_H
#define LIANBO_SYNC_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "config/config.h"
#include "player/manifest.h"

/*
 * Called on the sync thread with a new generation M: one reference, owned
 * by the receiver. For each media entry, ready is true and path names the
 * verified file in the cache, or ready is false and path is NULL while it
 * is still to come. Items whose media is not ready belong out of the
 * rotation. May be called until sync_destroy() returns.
 */
typedef void (*sync_publish_fn)(struct manifest *m, void *ud);

struct sync;

/*
 * Starts syncing CFG->schedule_url, which must be http:// or https://,
 * with the cache in CACHE_DIR (an existing directory). NULL with the
 * reason logged when it cannot start.
 */
struct sync *sync_create(const struct config *cfg, const char *cache_dir,
                         sync_publish_fn publish, void *ud);

/* Stops the thread, cutting short any transfer, and frees S; accepts NULL. */
void sync_destroy(struct sync *s);

struct sync_status {
    time_t last_success;    /* wall clock of the last good reply, 0 if none yet */
    time_t server_date;     /* the Date header of that reply, 0 if none */
    int64_t version;        /* of the schedule in use, -1 if none */
    size_t media_total;     /* media entries in it */
    size_t media_ready;     /* of which verified in the cache */
    int64_t cache_bytes;    /* held in the cache, partial downloads included */
    unsigned failures;      /* polls failed in a row */
    char last_error[512];   /* the last problem, "" after a good poll */
};

/* A snapshot of what S is doing, for diagnostics. Any thread. */
void sync_status(struct sync *s, struct sync_status *out);

/*
 * The rules, apart so that tests can check them.
 */

/* Seconds to wait after FAILURES (1 or more) failures in a row:
 * 5, 10, 20, ... up to 300. */
double sync_backoff_s(unsigned failures);

/* Seconds to the next poll: POLL_SECONDS varied by -10% to +10%, as U
 * goes from 0 to 1. */
double sync_poll_delay_s(int poll_seconds, double u);

enum sync_verdict {
    SYNC_ADOPT,      /* new: take it */
    SYNC_UNCHANGED,  /* the text in use, again */
    SYNC_ROLLBACK,   /* an older version: refuse it */
};

/* What to do with an offered manifest of version OFFERED, given the one in
 * use (HAVE false when there is none, or it came from another URL).
 * SAME_TEXT says whether the offered text is the one in use. */
enum sync_verdict sync_judge(bool have, int64_t in_use, int64_t offered, bool same_text);

/*
 * The address to fetch each of M's media from, resolved against BASE
 * (the manifest's http(s) address): an array of M->n_media strings, freed
 * with sync_free_urls(). NULL when an entry cannot be fetched safely (no
 * sha256 or size, size 0, not an http(s) address), with one line per
 * problem written to ERR, each naming the manifest's URL and the entry.
 */
char **sync_media_urls(const struct manifest *m, const char *base, FILE *err);
void sync_free_urls(char **urls, size_t n);

#endif
