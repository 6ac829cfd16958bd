/*
 * The loader thread: prepares items (decodes images, lays out text,
 * encodes QR codes) so that the render thread never waits on a file or a
 * font. Jobs go in from the render thread; finished pages come back and an
 * SDL event wakes the render loop.
 */
#ifndef LIANBO_LOADER_H
#define LIANBO_LOADER_H

#include <stdbool.h>
#include <stdint.h>

#include "player/manifest.h"
#include "render/content.h"

struct loader;

enum loader_kind {
    LOADER_ITEM,     /* an item of the manifest */
    LOADER_FALLBACK, /* the zone's neutral fallback picture */
    LOADER_CARD,     /* an item made up by the player (an alert's card) */
    LOADER_TICKER,   /* a line of text as strips for a crawling ticker */
};

struct loader_job {
    enum loader_kind kind;
    enum zone_id zone;
    uint64_t ticket;           /* the render thread's, returned as is */
    struct manifest *manifest; /* item jobs: holds a reference */
    size_t item;               /* item jobs: index in ITEM_ZONE's playlist */
    enum zone_id item_zone;    /* item jobs: whose playlist (an insert may
                                * play another zone's item) */
    struct manifest_item *card; /* card jobs: owned, freed with the result */
    char *image;               /* card jobs: a picture for the card, or NULL;
                                * owned, freed with the result */
    bool media_box;            /* card jobs: leave a box for a video */
    char *text;                /* ticker jobs: owned, freed with the result */
    int w, h;                  /* zone size in pixels (ticker: band height) */
};

struct loader_result {
    struct loader_job job;     /* manifest reference passed back */
    bool ok;
    struct content content;    /* pages when ok; the receiver owns them */
    SDL_Rect box;              /* card jobs: where the media is on the card;
                                * empty when the card went without it */
    char why[256];             /* the reason when not ok */
};

/*
 * Starts the thread. CTX's fonts are used only from that thread from now
 * on; FALLBACK_IMAGE and NAME are copied. WAKE_EVENT is an SDL user event
 * type pushed whenever a result is ready.
 */
struct loader *loader_create(struct content_ctx ctx, const char *fallback_image,
                             const char *name, Uint32 wake_event);

/* Stops the thread, drops pending work; accepts NULL. */
void loader_destroy(struct loader *loader);

/* Queues JOB; takes over its manifest reference, card and text. */
bool loader_submit(struct loader *loader, const struct loader_job *job);

/* Takes the oldest finished result, if any. Never blocks for long. */
bool loader_take(struct loader *loader, struct loader_result *out);

/* Makes a card item from copies of the strings given (any may be NULL). */
struct manifest_item *loader_card_create(enum item_type type, const char *id,
                                         const char *title, const char *body, const char *qr,
                                         struct color fg, struct color bg);
void loader_card_destroy(struct manifest_item *card); /* accepts NULL */

/* Releases what a result holds (its manifest reference, card, text and
 * pages). */
void loader_result_finish(struct loader_result *res);

#endif
