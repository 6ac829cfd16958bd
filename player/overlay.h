/*
 * The alert layer drawn over the zones: emergency and warning cards that
 * take over the terminal or a zone, and tickers that crawl along the
 * bottom of a zone. Cards and ticker text are rendered by the loader
 * thread; this module decides what is needed, keeps the textures and
 * draws them. A card's picture is drawn into it by the loader; a card's
 * video is decoded by player/video.c and drawn here over the card's box.
 */
#ifndef LIANBO_OVERLAY_H
#define LIANBO_OVERLAY_H

#include <stdbool.h>
#include <time.h>

#include "player/alerts.h"
#include "player/audio.h"
#include "player/loader.h"
#include "render/display.h"

struct overlay;

struct overlay_params {
    struct display *display;
    struct loader *loader;
    enum zone_id ticker_zone;  /* where info alerts crawl unless they say */
    double ticker_speed;       /* pixels per second */
    uint64_t *tickets;         /* the player's ticket counter, shared */
    bool *dirty;               /* set when what the overlay shows changes */
    struct manifest *const *manifest; /* the player's schedule in use, read
                                       * for media ids; *manifest may be NULL */
    struct audio *audio;       /* for the sound of an alert's video; may be NULL */
    const char *hwdec;         /* video.hwdec of the configuration */
    uint32_t wake_event;       /* pushed when a card's video is open (or not) */
};

struct overlay *overlay_create(const struct overlay_params *params);
void overlay_destroy(struct overlay *o); /* accepts NULL */

/* Replaces the alerts in force; takes ownership of A (may be NULL). */
void overlay_set_alerts(struct overlay *o, struct alerts *a);
const struct alerts *overlay_alerts(const struct overlay *o);

/*
 * Works out what shows at wall-clock time T (NOW: the steady clock) and
 * asks the loader for anything missing; moves a card's video on to the
 * frame due at NOW. Stores in COVERED which zones an alert takes over, and
 * returns when it next needs to run.
 */
double overlay_update(struct overlay *o, time_t t, double now, bool covered[ZONE_COUNT]);

/* Shows TEXT (lines of "name: value") over everything until UNTIL
 * (steady clock); NULL hides it. */
void overlay_set_info(struct overlay *o, const char *text, double until);

/* Takes a loader result meant for the overlay; false if it is not one. */
bool overlay_receive(struct overlay *o, struct loader_result *res);

/* Draws what covers output I. True while something moves (a ticker), so
 * the next frame is needed soon. */
bool overlay_draw(struct overlay *o, int output, double now);

#endif
