/*
 * Turns a manifest item into what its zone shows: one or more zone-sized,
 * opaque pictures ("pages"). All decoding, scaling, text layout and QR
 * encoding happens here, on the loader thread, so the render thread only
 * uploads finished pixels.
 */
#ifndef LIANBO_CONTENT_H
#define LIANBO_CONTENT_H

#include <stdbool.h>
#include <stddef.h>

#include <SDL.h>

#include "player/manifest.h"
#include "render/text.h"

/* A text longer than this many pages is cut, with a warning in the log:
 * nobody waits at a lift through more. */
#define CONTENT_MAX_PAGES 16

/* Widest strip of ticker text, pixels: well under any renderer's texture
 * limit (2048 on the oldest boards). */
#define CONTENT_STRIP_MAX 1024

struct content_ctx {
    struct text_fonts *fonts;
    int min_px;      /* smallest type size, pixels */
    int max_texture; /* largest image side decoded, pixels */
    double text_scale; /* how large text starts; 0 means the usual */
};

struct content {
    SDL_Surface **pages; /* n_pages zone-sized ARGB8888 surfaces, owned */
    int n_pages;
};

/*
 * Renders ITEM for a zone of W x H pixels into OUT. Returns false with the
 * reason in WHY (missing file, corrupt image, QR that does not fit, …).
 */
bool content_render(struct content_ctx *ctx, const struct manifest_item *item, int w, int h,
                    struct content *out, char *why, size_t why_len);

/*
 * An alert's card with a picture or video, read from across a lobby: the
 * title on a band across the top, a box for the media under it, and the
 * body and QR code under the box (a tall card) or beside it (a wide one).
 * IMAGE_PATH is decoded and fitted whole into the box; NULL leaves the box
 * in the card's colour for a video drawn over it. *BOX says where the box
 * is. One page: a body longer than its share is cut, with a warning in the
 * log. False with the reason in WHY (the picture cannot be read, ...).
 */
bool content_render_card(struct content_ctx *ctx, const struct manifest_item *card,
                         const char *image_path, int w, int h, struct content *out,
                         SDL_Rect *box, char *why, size_t why_len);

/*
 * The neutral picture for a zone with nothing to show: IMAGE_PATH fitted
 * on dark grey when given and loadable, else NAME written on it.
 */
bool content_render_fallback(struct content_ctx *ctx, const char *image_path, const char *name,
                             int w, int h, struct content *out);

/*
 * Renders TEXT as one line BAND_H pixels high, cut into strips no wider
 * than CONTENT_STRIP_MAX pixels that sit side by side: a ticker text far
 * wider than the largest texture still scrolls without gaps. White on
 * transparent.
 */
bool content_render_strip(struct content_ctx *ctx, const char *text, int band_h,
                          struct content *out);

/* Frees OUT's pages; OUT itself is the caller's. */
void content_finish(struct content *out);

#endif
