/*
 * Breaking alerts: the document operators publish when a rainstorm warning,
 * a road closure or a safety notice must reach every screen at once, and
 * the rules for which alert shows where at a given moment.
 *
 * Pure logic: parsing, validation and selection. docs/alerts.md describes
 * the format.
 */
#ifndef LIANBO_ALERTS_H
#define LIANBO_ALERTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "player/manifest.h"

/* Same-level alerts sharing a zone take turns of this many seconds. */
#define ALERTS_TURN_S 10.0

enum alert_level {
    ALERT_INFO,      /* a ticker crawling along the bottom of a zone */
    ALERT_WARNING,   /* takes over one zone */
    ALERT_EMERGENCY, /* takes over the whole terminal */
};

enum alert_target {
    ALERT_TARGET_DEFAULT, /* what the level implies */
    ALERT_TARGET_ALL,
    ALERT_TARGET_UPPER,
    ALERT_TARGET_LOWER,
    ALERT_TARGET_TICKER,
};

/*
 * What an alert may show besides its words: a media entry of the schedule
 * named by ID, or a file of its own at URL, downloaded and checked against
 * SIZE and SHA256 before it is shown. Neither: no media.
 */
struct alert_media {
    char *id;           /* a media id of the schedule; may be NULL */
    char *url;          /* its own file, as written; may be NULL */
    int64_t size;       /* bytes of the own file */
    char sha256[65];    /* lower-case hex of the own file, or "" */
    char *path;         /* the own file, verified, once the alerts feed has
                         * it (net/feed.c fills it in); NULL until then */
};

struct alert {
    char *id;
    enum alert_level level;
    enum alert_target target;
    char *title;        /* may be NULL */
    char *body;         /* may be NULL */
    char *qr;           /* may be NULL */
    struct alert_media media;
    time_t start;       /* 0: already in force */
    time_t expires;
};

struct alert_insert {
    char *id;           /* plays once per id: a new id plays again */
    enum zone_id zone;
    char *item;         /* the id of an item of the manifest */
    int times;
    time_t expires;     /* 0: no end; an insert past it is not played */
};

struct alerts {
    struct alert *alerts;
    size_t n_alerts;
    struct alert_insert *inserts;
    size_t n_inserts;
};

/*
 * Parses an alerts document read from URL. On failure writes one line per
 * problem to ERR ("URL:LINE:COL: alerts[1].level: ...") and returns NULL.
 */
struct alerts *alerts_parse(const char *text, size_t len, const char *url, FILE *err);
void alerts_free(struct alerts *a); /* accepts NULL */

/* Whether alert A names media of either kind. */
bool alerts_has_media(const struct alert *a);

/* Whether alert A is in force at T. */
bool alerts_active(const struct alert *a, time_t t);

/* What alerts show at a moment. */
struct alerts_view {
    /* The warning or emergency covering each zone, or NULL. */
    const struct alert *cover[ZONE_COUNT];
    /* The info alerts crawling along each zone's bottom, in document
     * order; n_ticker[z] of them. Pointers into the alerts. */
    const struct alert *ticker[ZONE_COUNT][8];
    int n_ticker[ZONE_COUNT];
};

/*
 * Decides what shows at time T. TICKER_ZONE is where info alerts crawl by
 * default; TURN (seconds on any steady clock) picks whose turn it is among
 * alerts of the same level.
 */
void alerts_select(const struct alerts *a, time_t t, enum zone_id ticker_zone, double turn,
                   struct alerts_view *out);

/* The next time after T when an alert starts or expires; 0 if none. */
time_t alerts_next_change(const struct alerts *a, time_t t);

const char *alerts_level_name(enum alert_level level);

#endif
