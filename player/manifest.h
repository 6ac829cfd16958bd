/*
 * The schedule manifest: a JSON document naming the media the terminal
 * uses and a playlist per zone. docs/manifest.md describes the format.
 *
 * A manifest is parsed and validated whole: either every field is sound and
 * a manifest comes back, or nothing does and the errors say where. Items are
 * immutable once parsed; the loader thread and the render thread share one
 * manifest through manifest_ref()/manifest_unref().
 */
#ifndef LIANBO_MANIFEST_H
#define LIANBO_MANIFEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "player/schedule.h"

enum zone_id {
    ZONE_UPPER,
    ZONE_LOWER,
    ZONE_COUNT,
};

enum item_type {
    ITEM_IMAGE,
    ITEM_TEXT,
    ITEM_QR,
    ITEM_NOTICE,
    ITEM_VIDEO,
};

enum item_play {
    PLAY_END,  /* "end": a video plays to its end, whatever the duration */
    PLAY_LOOP, /* "loop": it loops until the duration is over */
    PLAY_CUT,  /* "cut": it stops at the duration or its end, if sooner */
};

enum item_fit {
    FIT_CONTAIN, /* "fit": whole item visible, letterboxed */
    FIT_COVER,   /* "fill": zone filled, item cropped */
};

struct color {
    uint8_t r, g, b, a;
};

struct manifest_media {
    char *id;
    char *url;   /* as written in the manifest */
    char *path;  /* local file: resolved against a file:// manifest, or the
                  * verified copy in the cache; NULL while there is none */
    int64_t size;      /* bytes as the manifest states it, or -1 if not given */
    char sha256[65];   /* lower-case hex as the manifest states it, or "" */
    bool ready;        /* PATH may be shown: a local file, or a download
                        * checked against SIZE and SHA256. Items whose media
                        * is not ready stay out of the rotation. */
};

/* manifest_copy() duplicates each pointer member of the structures here;
 * a new one must be added there too. */
struct manifest_item {
    char *id;            /* from the manifest, else "upper#3" */
    enum item_type type;
    double duration;     /* seconds on screen (per page for long text);
                          * for a video with PLAY_END, 0 unless given */
    enum item_fit fit;
    const struct manifest_media *media; /* image and video; owned by the manifest */
    enum item_play play; /* video */
    int volume;          /* video: percent of the configured volume, 0 mutes */
    char *title;         /* text and notice; may be NULL */
    char *body;          /* text and notice; may be NULL */
    char *qr;            /* qr and notice: the data to encode */
    char *caption;       /* qr and notice: optional line under the code */
    struct color fg;
    struct color bg;
    size_t list;         /* which of its zone's lists it belongs to */
    struct schedule_rules rules; /* its own "when" and "where" */
};

/*
 * A zone's playlist. lists[0] is the zone's own "items" (priority 0, no
 * rules); the rest are its "playlists", which outrank it while their rules
 * hold. A list's items sit together in the zone's items array.
 */
struct manifest_list {
    char *id;
    int priority;
    struct schedule_rules rules;
    size_t first, count;
};

struct manifest_zone {
    struct manifest_item *items; /* every list's, list after list */
    size_t n_items;
    struct manifest_list *lists;
    size_t n_lists;
    struct manifest_item *fallback; /* shown when nothing is valid; may be NULL */
};

struct manifest {
    atomic_int refs;
    int64_t version;
    time_t published;    /* "published", 0 if absent: a floor for the clock */
    char *url;           /* where it was read from */
    struct manifest_media *media;
    size_t n_media;
    struct manifest_zone zones[ZONE_COUNT];
};

/*
 * Parses LEN bytes of TEXT read from URL (relative media URLs resolve
 * against it). On failure writes one line per problem to ERR, each starting
 * with URL and saying where: "URL:LINE:COL: syntax error: ..." or
 * "URL:LINE:COL: zones.upper.items[2].duration: ...", the place being the
 * value at fault (the enclosing object for a missing key). Returns NULL
 * then. The result has one reference, owned by the caller.
 */
struct manifest *manifest_parse(const char *text, size_t len, const char *url, FILE *err);

/*
 * A deep copy of M with one reference, owned by the caller; NULL when out
 * of memory. Network sync hands each generation of a schedule (the same
 * manifest, more of its media ready) to the player as a copy, because a
 * manifest is never changed once others hold it.
 */
struct manifest *manifest_copy(const struct manifest *m);

/* Whether A and B show the same thing (same id, type, timing, words and
 * media file), so that one can stay on screen when a new schedule
 * replaces the other's. */
bool manifest_item_equal(const struct manifest_item *a, const struct manifest_item *b);

struct manifest *manifest_ref(struct manifest *m);
void manifest_unref(struct manifest *m); /* accepts NULL */

const char *manifest_zone_name(enum zone_id zone);
const char *manifest_item_type_name(enum item_type type);

/*
 * Resolves REF against BASE (both URLs or paths) and returns the local
 * file path it names, or NULL when it names no local file (http, https).
 * Caller frees. "file:///a/b.json" + "m/x.png" gives "/a/m/x.png".
 */
char *manifest_resolve_path(const char *base, const char *ref);

#endif
