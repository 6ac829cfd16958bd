/*
 * The terminal's screens: one window holding both zones (layout "split"),
 * or one window per zone on two outputs (layout "dual"). Each window draws
 * into a logical canvas that is then turned by the configured rotation, so
 * every kind of content rotates the same way.
 */
#ifndef LIANBO_DISPLAY_H
#define LIANBO_DISPLAY_H

#include <stdbool.h>

#include <SDL.h>

#include "config/config.h"
#include "player/manifest.h"
#include "render/layout.h"

#define DISPLAY_MAX_OUTPUTS 2

struct display_output {
    SDL_Window *window;
    SDL_Renderer *renderer;
    SDL_Texture *canvas; /* render target, canvas_w x canvas_h; NULL when
                          * unturned: then the window is drawn directly */
    int win_w, win_h;
    int canvas_w, canvas_h;
};

struct display {
    struct display_output outputs[DISPLAY_MAX_OUTPUTS];
    int n_outputs;
    int rotation;
    double split;
    enum config_layout layout;
    int zone_output[ZONE_COUNT];           /* which output shows the zone */
    struct layout_rect zone_rect[ZONE_COUNT]; /* in that output's canvas */
    int max_texture;                        /* smallest limit of all renderers */
};

/* Opens the windows CFG asks for; WINDOWED overrides its fullscreen flag.
 * Returns NULL with the reason logged. */
struct display *display_create(const struct config *cfg, bool windowed);
void display_destroy(struct display *d); /* accepts NULL */

/* Recomputes canvases and zones after a window changed size; true when
 * anything moved. */
bool display_resized(struct display *d);

SDL_Renderer *display_zone_renderer(struct display *d, enum zone_id zone);

/* Starts a frame on output I: subsequent drawing lands on its canvas. */
void display_begin(struct display *d, int i);

/* Puts output I's canvas on its window, rotated. The frame is not yet
 * presented, so display_capture() can still read it. */
void display_finish(struct display *d, int i);
void display_present(struct display *d, int i);

/*
 * Reads what output I's window shows, as an ARGB8888 surface the caller
 * frees. Call between display_finish() and display_present().
 */
SDL_Surface *display_capture(struct display *d, int i);

/* Writes SURFACES stacked top to bottom as one PNG at PATH. */
bool display_write_png(SDL_Surface **surfaces, int n, const char *path);

#endif
