#define LOG_MODULE "display"
#include "render/display.h"

#include <SDL_image.h>

#include "player/log.h"

/* Images are decoded at most this large on a side before being scaled to
 * their zone: bigger than any panel we drive, small enough for 1 GB. */
#define DISPLAY_DECODE_CAP 8192

static void layout_output(struct display_output *o, int rotation)
{
    SDL_GetRendererOutputSize(o->renderer, &o->win_w, &o->win_h);
    layout_canvas_size(o->win_w, o->win_h, rotation, &o->canvas_w, &o->canvas_h);
}

static bool create_canvas(struct display_output *o, int rotation)
{
    if (o->canvas)
        SDL_DestroyTexture(o->canvas);
    o->canvas = NULL;
    /* Unturned, the canvas is the window itself: no extra full-screen
     * pass per frame, which on a board drawing in software is most of
     * the cost of showing a video. */
    if (rotation == 0)
        return true;
    /* ABGR: with OpenGL ES 2 (the renderer of Raspberry Pi class boards),
     * YUV textures drawn into an ARGB target come out with red and blue
     * swapped; ABGR is right with every renderer. */
    o->canvas = SDL_CreateTexture(o->renderer, SDL_PIXELFORMAT_ABGR8888,
                                  SDL_TEXTUREACCESS_TARGET, o->canvas_w, o->canvas_h);
    if (!o->canvas) {
        log_error("cannot create a %dx%d canvas: %s", o->canvas_w, o->canvas_h,
                  SDL_GetError());
        return false;
    }
    return true;
}

static SDL_Renderer *create_renderer(SDL_Window *window)
{
    SDL_Renderer *r = SDL_CreateRenderer(window, -1, SDL_RENDERER_ACCELERATED |
                                         SDL_RENDERER_TARGETTEXTURE |
                                         SDL_RENDERER_PRESENTVSYNC);
    if (!r) {
        log_info("no accelerated renderer (%s); drawing in software", SDL_GetError());
        r = SDL_CreateRenderer(window, -1, SDL_RENDERER_SOFTWARE | SDL_RENDERER_TARGETTEXTURE);
    }
    return r;
}

static bool open_output(struct display *d, int i, int display_index, const struct config *cfg,
                        bool fullscreen)
{
    struct display_output *o = &d->outputs[i];
    int n_displays = SDL_GetNumVideoDisplays();
    if (display_index >= n_displays) {
        log_warn("display %d is configured but only %d found; using display 0", display_index,
                 n_displays);
        display_index = 0;
    }

    Uint32 flags = SDL_WINDOW_SHOWN;
    int x = SDL_WINDOWPOS_CENTERED_DISPLAY(display_index), y = x;
    int w = cfg->window_width, h = cfg->window_height;
    SDL_Rect bounds;
    if (fullscreen && SDL_GetDisplayBounds(display_index, &bounds) == 0) {
        /* Without a window manager (a kiosk X server) nothing resizes a
         * "fullscreen desktop" window, so it is made the display's size
         * and placed on it from the start. */
        flags |= SDL_WINDOW_FULLSCREEN_DESKTOP | SDL_WINDOW_BORDERLESS;
        x = bounds.x;
        y = bounds.y;
        w = bounds.w;
        h = bounds.h;
    } else if (fullscreen) {
        flags |= SDL_WINDOW_FULLSCREEN_DESKTOP;
    }
    o->window = SDL_CreateWindow("lianbo", x, y, w, h, flags);
    if (!o->window) {
        log_error("cannot open a window on display %d: %s", display_index, SDL_GetError());
        return false;
    }
    o->renderer = create_renderer(o->window);
    if (!o->renderer) {
        log_error("cannot create a renderer: %s", SDL_GetError());
        return false;
    }

    SDL_RendererInfo info;
    if (SDL_GetRendererInfo(o->renderer, &info) == 0) {
        int cap = DISPLAY_DECODE_CAP;
        if (info.max_texture_width > 0 && info.max_texture_width < cap)
            cap = info.max_texture_width;
        if (info.max_texture_height > 0 && info.max_texture_height < cap)
            cap = info.max_texture_height;
        if (cap < d->max_texture)
            d->max_texture = cap;
        log_info("output %d: %s renderer on display %d", i, info.name, display_index);
    }
    layout_output(o, d->rotation);
    return create_canvas(o, d->rotation);
}

static void place_zones(struct display *d)
{
    if (d->layout == CONFIG_LAYOUT_SPLIT) {
        struct display_output *o = &d->outputs[0];
        layout_split(o->canvas_w, o->canvas_h, d->split, &d->zone_rect[ZONE_UPPER],
                     &d->zone_rect[ZONE_LOWER]);
        d->zone_output[ZONE_UPPER] = 0;
        d->zone_output[ZONE_LOWER] = 0;
        return;
    }
    for (int z = 0; z < ZONE_COUNT; z++) {
        struct display_output *o = &d->outputs[z];
        d->zone_rect[z] = (struct layout_rect){0, 0, o->canvas_w, o->canvas_h};
        d->zone_output[z] = z;
    }
}

struct display *display_create(const struct config *cfg, bool windowed)
{
    struct display *d = calloc(1, sizeof(*d));
    if (!d)
        return NULL;
    d->rotation = cfg->rotation;
    d->split = cfg->split;
    d->layout = cfg->layout;
    d->max_texture = DISPLAY_DECODE_CAP;
    bool fullscreen = cfg->fullscreen && !windowed;

    if (cfg->layout == CONFIG_LAYOUT_SPLIT) {
        d->n_outputs = 1;
        if (!open_output(d, 0, cfg->upper_display, cfg, fullscreen))
            goto fail;
    } else {
        d->n_outputs = 2;
        if (!open_output(d, 0, cfg->upper_display, cfg, fullscreen) ||
            !open_output(d, 1, cfg->lower_display, cfg, fullscreen))
            goto fail;
    }
    if (fullscreen)
        SDL_ShowCursor(SDL_DISABLE);
    place_zones(d);
    for (int z = 0; z < ZONE_COUNT; z++) {
        struct layout_rect r = d->zone_rect[z];
        log_info("zone %s: %dx%d at %d,%d on output %d (rotation %d)",
                 manifest_zone_name((enum zone_id)z), r.w, r.h, r.x, r.y, d->zone_output[z],
                 d->rotation);
    }
    return d;

fail:
    display_destroy(d);
    return NULL;
}

void display_destroy(struct display *d)
{
    if (!d)
        return;
    for (int i = 0; i < DISPLAY_MAX_OUTPUTS; i++) {
        struct display_output *o = &d->outputs[i];
        if (o->canvas)
            SDL_DestroyTexture(o->canvas);
        if (o->renderer)
            SDL_DestroyRenderer(o->renderer);
        if (o->window)
            SDL_DestroyWindow(o->window);
    }
    free(d);
}

bool display_resized(struct display *d)
{
    bool moved = false;
    for (int i = 0; i < d->n_outputs; i++) {
        struct display_output *o = &d->outputs[i];
        int old_w = o->canvas_w, old_h = o->canvas_h;
        layout_output(o, d->rotation);
        if (o->canvas_w != old_w || o->canvas_h != old_h) {
            create_canvas(o, d->rotation);
            moved = true;
        }
    }
    if (moved)
        place_zones(d);
    return moved;
}

SDL_Renderer *display_zone_renderer(struct display *d, enum zone_id zone)
{
    return d->outputs[d->zone_output[zone]].renderer;
}

void display_begin(struct display *d, int i)
{
    struct display_output *o = &d->outputs[i];
    SDL_SetRenderTarget(o->renderer, o->canvas);
    SDL_SetRenderDrawColor(o->renderer, 0, 0, 0, 255);
    SDL_RenderClear(o->renderer);
}

void display_finish(struct display *d, int i)
{
    struct display_output *o = &d->outputs[i];
    if (!o->canvas)
        return;
    SDL_SetRenderTarget(o->renderer, NULL);
    SDL_SetRenderDrawColor(o->renderer, 0, 0, 0, 255);
    SDL_RenderClear(o->renderer);
    /* SDL turns about the rectangle's centre, so centring the canvas in
     * the window makes a transposed canvas fill it exactly. */
    SDL_Rect dst = {(o->win_w - o->canvas_w) / 2, (o->win_h - o->canvas_h) / 2, o->canvas_w,
                    o->canvas_h};
    SDL_RenderCopyEx(o->renderer, o->canvas, NULL, &dst, d->rotation, NULL, SDL_FLIP_NONE);
}

void display_present(struct display *d, int i)
{
    SDL_RenderPresent(d->outputs[i].renderer);
}

SDL_Surface *display_capture(struct display *d, int i)
{
    struct display_output *o = &d->outputs[i];
    SDL_Surface *s = SDL_CreateRGBSurfaceWithFormat(0, o->win_w, o->win_h, 32,
                                                    SDL_PIXELFORMAT_ARGB8888);
    if (!s)
        return NULL;
    if (SDL_RenderReadPixels(o->renderer, NULL, SDL_PIXELFORMAT_ARGB8888, s->pixels,
                             s->pitch) != 0) {
        log_error("cannot read the frame back: %s", SDL_GetError());
        SDL_FreeSurface(s);
        return NULL;
    }
    return s;
}

bool display_write_png(SDL_Surface **surfaces, int n, const char *path)
{
    int w = 0, h = 0;
    for (int i = 0; i < n; i++) {
        if (surfaces[i]->w > w)
            w = surfaces[i]->w;
        h += surfaces[i]->h;
    }
    SDL_Surface *all = SDL_CreateRGBSurfaceWithFormat(0, w, h, 32, SDL_PIXELFORMAT_ARGB8888);
    if (!all)
        return false;
    SDL_FillRect(all, NULL, SDL_MapRGB(all->format, 0, 0, 0));
    int y = 0;
    for (int i = 0; i < n; i++) {
        SDL_Rect at = {0, y, surfaces[i]->w, surfaces[i]->h};
        SDL_SetSurfaceBlendMode(surfaces[i], SDL_BLENDMODE_NONE);
        SDL_BlitSurface(surfaces[i], NULL, all, &at);
        y += surfaces[i]->h;
    }
    /* The frame is opaque; dropping alpha keeps the PNG simple to read. */
    SDL_Surface *rgb = SDL_ConvertSurfaceFormat(all, SDL_PIXELFORMAT_RGB24, 0);
    SDL_FreeSurface(all);
    if (!rgb)
        return false;
    bool ok = IMG_SavePNG(rgb, path) == 0;
    if (!ok)
        log_error("cannot write %s: %s", path, IMG_GetError());
    SDL_FreeSurface(rgb);
    return ok;
}
