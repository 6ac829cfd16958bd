#define LOG_MODULE "alerts"
#include "player/overlay.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "player/log.h"

/* Card colours: white on deep red for emergencies, black on amber for
 * warnings; both read from across a lobby. */
static const struct color emergency_fg = {0xff, 0xff, 0xff, 0xff};
static const struct color emergency_bg = {0xb0, 0x00, 0x00, 0xff};
static const struct color warning_fg = {0x00, 0x00, 0x00, 0xff};
static const struct color warning_bg = {0xff, 0xb3, 0x00, 0xff};

/* The ticker band: this share of its zone's height, never under
 * TICKER_MIN_PX pixels, on a dark blue band. */
#define TICKER_SHARE 0.12
#define TICKER_MIN_PX 40
static const struct color ticker_bg = {0x0b, 0x25, 0x45, 0xff};

/* Between ticker texts, in the line itself. */
#define TICKER_SEPARATOR "     ·     "

/* Frame interval while a ticker crawls, seconds. */
#define TICKER_FRAME_S 0.016

#define MAX_CARDS 8 /* four zones-worth, and as many on their way out */

struct card {
    char *key;            /* alert id and content: a change re-renders */
    char *alert_id;
    int output;
    struct layout_rect rect;
    uint64_t ticket;
    SDL_Texture *tex;
    bool shown;           /* drawn at least once: logged */
    bool retiring;        /* no longer wanted, still drawn until the card
                           * replacing it is ready, so no frame in between
                           * shows what lies underneath */
};

struct ticker {
    char *text;           /* what it says now */
    uint64_t ticket;      /* strips being rendered for TEXT */
    SDL_Texture **strips;
    int *strip_w;
    int n_strips;
    int total_w, strip_h;
    char *shown_text;     /* what the strips say */
    double start;
};

/* The diagnostics card: light grey on near-black, over everything. */
static const struct color info_fg = {0xe8, 0xe8, 0xe8, 0xff};
static const struct color info_bg = {0x10, 0x18, 0x20, 0xff};

struct overlay {
    struct overlay_params params;
    struct alerts *alerts;
    struct card cards[MAX_CARDS];
    struct ticker tickers[ZONE_COUNT];
    struct card info[DISPLAY_MAX_OUTPUTS]; /* the diagnostics, per output */
    double info_until;
};

struct overlay *overlay_create(const struct overlay_params *params)
{
    struct overlay *o = calloc(1, sizeof(*o));
    if (o)
        o->params = *params;
    return o;
}

static void card_clear(struct card *c)
{
    if (c->tex)
        SDL_DestroyTexture(c->tex);
    free(c->key);
    free(c->alert_id);
    *c = (struct card){0};
}

static void strips_clear(struct ticker *t)
{
    for (int i = 0; i < t->n_strips; i++)
        SDL_DestroyTexture(t->strips[i]);
    free(t->strips);
    free(t->strip_w);
    free(t->shown_text);
    t->strips = NULL;
    t->strip_w = NULL;
    t->shown_text = NULL;
    t->n_strips = 0;
}

void overlay_destroy(struct overlay *o)
{
    if (!o)
        return;
    for (int i = 0; i < MAX_CARDS; i++)
        card_clear(&o->cards[i]);
    for (int i = 0; i < DISPLAY_MAX_OUTPUTS; i++)
        card_clear(&o->info[i]);
    for (int z = 0; z < ZONE_COUNT; z++) {
        strips_clear(&o->tickers[z]);
        free(o->tickers[z].text);
    }
    alerts_free(o->alerts);
    free(o);
}

void overlay_set_alerts(struct overlay *o, struct alerts *a)
{
    alerts_free(o->alerts);
    o->alerts = a;
}

const struct alerts *overlay_alerts(const struct overlay *o)
{
    return o->alerts;
}

static char *card_key(const struct alert *a, int output, struct layout_rect r)
{
    char *key = NULL;
    if (asprintf(&key, "%s|%d|%d|%d,%d,%d,%d|%s|%s|%s", a->id, a->level, output, r.x, r.y, r.w,
                 r.h, a->title ? a->title : "", a->body ? a->body : "", a->qr ? a->qr : "") < 0)
        return NULL;
    return key;
}

static void request_card(struct overlay *o, struct card *c, const struct alert *a)
{
    bool emergency = a->level == ALERT_EMERGENCY;
    struct manifest_item *item = loader_card_create(
        a->qr ? ITEM_NOTICE : ITEM_TEXT, a->id, a->title, a->body ? a->body : "", a->qr,
        emergency ? emergency_fg : warning_fg, emergency ? emergency_bg : warning_bg);
    if (!item)
        return;
    if (!item->title && !item->body) {
        /* A media-only alert still needs words on its card. */
        item->title = strdup(emergency ? "紧急通知" : "重要通知");
    }
    struct loader_job job = {
        .kind = LOADER_CARD,
        .ticket = ++*o->params.tickets,
        .card = item,
        .w = c->rect.w,
        .h = c->rect.h,
    };
    c->ticket = job.ticket;
    loader_submit(o->params.loader, &job);
}

/* Makes sure a card for alert A covering RECT of OUTPUT exists; marks it
 * wanted. */
static void want_card(struct overlay *o, const struct alert *a, int output,
                      struct layout_rect rect, bool wanted[MAX_CARDS])
{
    char *key = card_key(a, output, rect);
    if (!key)
        return;
    for (int i = 0; i < MAX_CARDS; i++) {
        if (o->cards[i].key && strcmp(o->cards[i].key, key) == 0) {
            wanted[i] = true;
            o->cards[i].retiring = false;
            free(key);
            return;
        }
    }
    for (int i = 0; i < MAX_CARDS; i++) {
        struct card *c = &o->cards[i];
        if (c->key || wanted[i])
            continue;
        *c = (struct card){.key = key, .alert_id = strdup(a->id), .output = output, .rect = rect};
        wanted[i] = true;
        request_card(o, c, a);
        return;
    }
    free(key);
}

/* Clears the cards on their way out whose output has no card still
 * waiting for its picture. */
static void sweep_retiring(struct overlay *o)
{
    for (int i = 0; i < MAX_CARDS; i++) {
        struct card *c = &o->cards[i];
        if (!c->key || !c->retiring)
            continue;
        bool waiting = false;
        for (int k = 0; k < MAX_CARDS; k++) {
            const struct card *n = &o->cards[k];
            waiting = waiting || (n->key && !n->retiring && !n->tex && n->output == c->output);
        }
        if (!waiting) {
            card_clear(c);
            *o->params.dirty = true;
        }
    }
}

static struct layout_rect rect_union(struct layout_rect a, struct layout_rect b)
{
    int x0 = a.x < b.x ? a.x : b.x, y0 = a.y < b.y ? a.y : b.y;
    int x1 = a.x + a.w > b.x + b.w ? a.x + a.w : b.x + b.w;
    int y1 = a.y + a.h > b.y + b.h ? a.y + a.h : b.y + b.h;
    return (struct layout_rect){x0, y0, x1 - x0, y1 - y0};
}

static void plan_cards(struct overlay *o, const struct alerts_view *v)
{
    struct display *d = o->params.display;
    bool wanted[MAX_CARDS] = {0};
    for (int i = 0; i < d->n_outputs; i++) {
        /* One card over both zones when one alert covers all of an
         * output: an emergency reads as one notice, not two copies. */
        const struct alert *whole = NULL;
        bool all_same = true;
        struct layout_rect area = {0};
        bool any = false;
        for (int z = 0; z < ZONE_COUNT; z++) {
            if (d->zone_output[z] != i)
                continue;
            if (!any)
                whole = v->cover[z];
            all_same = all_same && v->cover[z] == whole;
            area = any ? rect_union(area, d->zone_rect[z]) : d->zone_rect[z];
            any = true;
        }
        if (whole && all_same) {
            want_card(o, whole, i, area, wanted);
            continue;
        }
        for (int z = 0; z < ZONE_COUNT; z++) {
            if (d->zone_output[z] == i && v->cover[z])
                want_card(o, v->cover[z], i, d->zone_rect[z], wanted);
        }
    }
    for (int i = 0; i < MAX_CARDS; i++) {
        if (!wanted[i] && o->cards[i].key && !o->cards[i].retiring) {
            log_info("alert %s is off the screen", o->cards[i].alert_id);
            o->cards[i].retiring = true;
        }
    }
    sweep_retiring(o);
}

static char *ticker_text(const struct alerts_view *v, int z)
{
    size_t cap = 1;
    for (int i = 0; i < v->n_ticker[z]; i++) {
        const struct alert *a = v->ticker[z][i];
        cap += (a->title ? strlen(a->title) : 0) + (a->body ? strlen(a->body) : 0) +
               sizeof(TICKER_SEPARATOR) + 2;
    }
    char *text = calloc(1, cap);
    if (!text)
        return NULL;
    for (int i = 0; i < v->n_ticker[z]; i++) {
        const struct alert *a = v->ticker[z][i];
        if (i)
            strcat(text, TICKER_SEPARATOR);
        if (a->title && a->title[0]) {
            strcat(text, a->title);
            if (a->body && a->body[0])
                strcat(text, "  ");
        }
        if (a->body)
            strcat(text, a->body);
    }
    return text;
}

static int band_height(const struct layout_rect *zone)
{
    int h = (int)(zone->h * TICKER_SHARE);
    return h < TICKER_MIN_PX ? TICKER_MIN_PX : h;
}

static void plan_tickers(struct overlay *o, const struct alerts_view *v)
{
    for (int z = 0; z < ZONE_COUNT; z++) {
        struct ticker *t = &o->tickers[z];
        char *text = v->cover[z] || !v->n_ticker[z] ? NULL : ticker_text(v, z);
        bool same = (!text && !t->text) || (text && t->text && strcmp(text, t->text) == 0);
        if (same) {
            free(text);
            continue;
        }
        free(t->text);
        t->text = text;
        t->ticket = 0;
        if (!text) {
            strips_clear(t);
            *o->params.dirty = true;
            continue;
        }
        struct loader_job job = {
            .kind = LOADER_TICKER,
            .zone = (enum zone_id)z,
            .ticket = ++*o->params.tickets,
            .text = strdup(text),
            .h = band_height(&o->params.display->zone_rect[z]),
        };
        if (job.text) {
            t->ticket = job.ticket;
            loader_submit(o->params.loader, &job);
        }
    }
}

double overlay_update(struct overlay *o, time_t t, double now, bool covered[ZONE_COUNT])
{
    struct alerts_view v;
    alerts_select(o->alerts, t, o->params.ticker_zone, now, &v);
    for (int z = 0; z < ZONE_COUNT; z++)
        covered[z] = v.cover[z] != NULL;
    plan_cards(o, &v);
    plan_tickers(o, &v);

    double wake = INFINITY;
    if (o->info_until > now)
        wake = o->info_until;
    else if (o->info_until > 0) {
        overlay_set_info(o, NULL, 0);
        *o->params.dirty = true;
    }
    time_t change = alerts_next_change(o->alerts, t);
    if (change)
        wake = now + (double)(change - t);
    /* Same-level alerts take turns: look again when the turn passes. */
    for (int z = 0; z < ZONE_COUNT; z++) {
        if (v.cover[z])
            wake = fmin(wake, (floor(now / ALERTS_TURN_S) + 1) * ALERTS_TURN_S);
    }
    return wake;
}

static SDL_Texture *upload_one(struct overlay *o, int output, SDL_Surface *s)
{
    SDL_Renderer *r = o->params.display->outputs[output].renderer;
    SDL_Texture *tex = SDL_CreateTextureFromSurface(r, s);
    if (!tex)
        log_error("cannot upload an alert picture: %s", SDL_GetError());
    return tex;
}

void overlay_set_info(struct overlay *o, const char *text, double until)
{
    struct display *d = o->params.display;
    o->info_until = text ? until : 0;
    for (int i = 0; i < DISPLAY_MAX_OUTPUTS; i++)
        card_clear(&o->info[i]);
    if (!text)
        return;
    for (int i = 0; i < d->n_outputs; i++) {
        struct card *c = &o->info[i];
        struct display_output *out = &d->outputs[i];
        struct manifest_item *item = loader_card_create(ITEM_TEXT, "diagnostics",
                                                        "lianbo diagnostics", text, NULL,
                                                        info_fg, info_bg);
        if (!item)
            continue;
        *c = (struct card){.key = strdup("diagnostics"), .alert_id = strdup("diagnostics"),
                           .output = i,
                           .rect = {0, 0, out->canvas_w, out->canvas_h}};
        struct loader_job job = {
            .kind = LOADER_CARD,
            .ticket = ++*o->params.tickets,
            .card = item,
            .w = out->canvas_w,
            .h = out->canvas_h,
        };
        c->ticket = job.ticket;
        loader_submit(o->params.loader, &job);
    }
}

static bool receive_card(struct overlay *o, struct loader_result *res)
{
    for (int i = 0; i < DISPLAY_MAX_OUTPUTS; i++) {
        struct card *c = &o->info[i];
        if (c->key && c->ticket == res->job.ticket && res->ok && res->content.n_pages) {
            c->tex = upload_one(o, c->output, res->content.pages[0]);
            return true;
        }
    }
    for (int i = 0; i < MAX_CARDS; i++) {
        struct card *c = &o->cards[i];
        if (!c->key || c->ticket != res->job.ticket)
            continue;
        if (res->ok && res->content.n_pages > 0) {
            if (c->tex)
                SDL_DestroyTexture(c->tex);
            c->tex = upload_one(o, c->output, res->content.pages[0]);
        } else {
            log_error("alert %s: cannot draw its card: %s", c->alert_id, res->why);
            /* Never wait for a card that will not come. */
            card_clear(c);
        }
        sweep_retiring(o);
        return true;
    }
    return true; /* a card no longer wanted */
}

static bool receive_ticker(struct overlay *o, struct loader_result *res)
{
    struct ticker *t = &o->tickers[res->job.zone];
    if (t->ticket != res->job.ticket)
        return true;
    if (!res->ok) {
        log_error("cannot draw the ticker text: %s", res->why);
        return true;
    }
    int output = o->params.display->zone_output[res->job.zone];
    int n = res->content.n_pages;
    SDL_Texture **strips = calloc((size_t)n, sizeof(*strips));
    int *widths = calloc((size_t)n, sizeof(*widths));
    int total = 0, h = 0;
    for (int i = 0; strips && widths && i < n; i++) {
        strips[i] = upload_one(o, output, res->content.pages[i]);
        widths[i] = res->content.pages[i]->w;
        total += widths[i];
        if (res->content.pages[i]->h > h)
            h = res->content.pages[i]->h;
    }
    bool had = t->shown_text != NULL;
    strips_clear(t);
    t->strips = strips;
    t->strip_w = widths;
    t->n_strips = strips && widths ? n : 0;
    t->total_w = total;
    t->strip_h = h;
    t->shown_text = strdup(t->text);
    if (!had)
        t->start = SDL_GetTicks64() / 1000.0;
    log_info("ticker on the %s zone: %s", manifest_zone_name(res->job.zone), t->text);
    return true;
}

bool overlay_receive(struct overlay *o, struct loader_result *res)
{
    bool mine = res->job.kind == LOADER_CARD || res->job.kind == LOADER_TICKER;
    if (!mine)
        return false;
    if (res->job.kind == LOADER_CARD)
        receive_card(o, res);
    else
        receive_ticker(o, res);
    loader_result_finish(res);
    return true;
}

static bool draw_ticker(struct overlay *o, int z, SDL_Renderer *r, double now)
{
    struct ticker *t = &o->tickers[z];
    if (!t->text || !t->n_strips)
        return false;
    struct layout_rect zr = o->params.display->zone_rect[z];
    int bh = band_height(&zr);
    SDL_Rect band = {zr.x, zr.y + zr.h - bh, zr.w, bh};
    SDL_SetRenderDrawBlendMode(r, SDL_BLENDMODE_NONE);
    SDL_SetRenderDrawColor(r, ticker_bg.r, ticker_bg.g, ticker_bg.b, 255);
    SDL_RenderFillRect(r, &band);

    /* The text enters at the right edge and leaves at the left, then
     * comes round again. */
    double cycle = t->total_w + band.w;
    double shift = fmod((now - t->start) * o->params.ticker_speed, cycle);
    int x = band.x + band.w - (int)lround(shift);
    int y = band.y + (bh - t->strip_h) / 2;
    SDL_RenderSetClipRect(r, &band);
    for (int i = 0; i < t->n_strips; i++) {
        if (x + t->strip_w[i] > band.x && x < band.x + band.w && t->strips[i]) {
            SDL_Rect at = {x, y, t->strip_w[i], t->strip_h};
            SDL_SetTextureBlendMode(t->strips[i], SDL_BLENDMODE_BLEND);
            SDL_RenderCopy(r, t->strips[i], NULL, &at);
        }
        x += t->strip_w[i];
    }
    SDL_RenderSetClipRect(r, NULL);
    return true;
}

static void draw_card(struct card *c, SDL_Renderer *r, int index)
{
    SDL_Rect at = {c->rect.x, c->rect.y, c->rect.w, c->rect.h};
    SDL_SetTextureBlendMode(c->tex, SDL_BLENDMODE_NONE);
    SDL_RenderCopy(r, c->tex, NULL, &at);
    if (!c->shown && !c->retiring) {
        if (index < MAX_CARDS)
            log_info("alert %s on screen", c->alert_id);
        else
            log_info("diagnostics on screen");
        c->shown = true;
    }
}

bool overlay_draw(struct overlay *o, int output, double now)
{
    SDL_Renderer *r = o->params.display->outputs[output].renderer;
    bool moving = false;
    for (int z = 0; z < ZONE_COUNT; z++) {
        if (o->params.display->zone_output[z] == output)
            moving = draw_ticker(o, z, r, now) || moving;
    }
    for (int pass = 0; pass < 2; pass++) {
        for (int i = 0; i < MAX_CARDS; i++) {
            struct card *c = &o->cards[i];
            if (c->key && c->output == output && c->tex && c->retiring == (pass == 0))
                draw_card(c, r, i);
        }
    }
    for (int i = MAX_CARDS; i < MAX_CARDS + DISPLAY_MAX_OUTPUTS; i++) {
        struct card *c = &o->info[i - MAX_CARDS];
        if (!c->key || c->output != output || !c->tex)
            continue;
        if (i >= MAX_CARDS && now >= o->info_until)
            continue;
        draw_card(c, r, i);
    }
    return moving;
}
