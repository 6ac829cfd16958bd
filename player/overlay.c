#define LOG_MODULE "alerts"
#include "player/overlay.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "player/log.h"
#include "player/video.h"
#include "render/image_probe.h"

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

/* Warnings about media ids remembered so that each is given once, and
 * media files remembered as unusable so that they are not tried again. */
#define MAX_NOTED 32

/* Media types remembered, so that a file is read once to tell a picture
 * from a video, not every frame. */
#define MAX_SNIFFED 8

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

    /* The alert's picture or video, or none. */
    char *media;          /* its file; NULL: words only */
    bool video;           /* MEDIA is a video played in BOX */
    int volume;           /* percent of the configured volume */
    SDL_Rect box;         /* where the media is on the card; empty: nowhere */
    struct video *player; /* the video, from when the card is wanted */
    bool playing;         /* its clock started */
    struct video_texture vtex; /* its current frame */
};

struct sniffed {
    char *path;
    bool video;
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
    char *warned[MAX_NOTED];   /* "alert|media" ids warned about, oldest first */
    char *broken[MAX_NOTED];   /* media files that could not be shown */
    struct sniffed sniffed[MAX_SNIFFED];
    int next_sniffed;
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
    video_destroy(c->player);
    video_texture_release(&c->vtex);
    free(c->key);
    free(c->alert_id);
    free(c->media);
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
    for (int i = 0; i < MAX_NOTED; i++) {
        free(o->warned[i]);
        free(o->broken[i]);
    }
    for (int i = 0; i < MAX_SNIFFED; i++)
        free(o->sniffed[i].path);
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

/* Whether NAME is among the N_LIST remembered; remembers it when not,
 * forgetting the oldest. */
static bool noted(char **list, const char *name)
{
    for (int i = 0; i < MAX_NOTED; i++) {
        if (list[i] && strcmp(list[i], name) == 0)
            return true;
    }
    free(list[0]);
    memmove(list, list + 1, sizeof(list[0]) * (MAX_NOTED - 1));
    list[MAX_NOTED - 1] = strdup(name);
    return false;
}

static bool is_broken(const struct overlay *o, const char *path)
{
    for (int i = 0; i < MAX_NOTED; i++) {
        if (o->broken[i] && strcmp(o->broken[i], path) == 0)
            return true;
    }
    return false;
}

/* Whether the file at PATH is a video rather than a picture: whatever
 * does not start like a picture is handed to the video decoder. */
static bool sniff_video(struct overlay *o, const char *path)
{
    for (int i = 0; i < MAX_SNIFFED; i++) {
        if (o->sniffed[i].path && strcmp(o->sniffed[i].path, path) == 0)
            return o->sniffed[i].video;
    }
    uint8_t head[4096];
    size_t n = 0;
    FILE *f = fopen(path, "rb");
    if (f) {
        n = fread(head, 1, sizeof(head), f);
        fclose(f);
    }
    struct image_info info;
    char why[128];
    image_probe(head, n, &info, why, sizeof(why));
    bool video = info.format == IMAGE_FORMAT_UNKNOWN;
    struct sniffed *s = &o->sniffed[o->next_sniffed];
    o->next_sniffed = (o->next_sniffed + 1) % MAX_SNIFFED;
    free(s->path);
    *s = (struct sniffed){.path = strdup(path), .video = video};
    return video;
}

/* The file of media entry ID of the schedule, when it is ready. A video
 * item of the schedule showing the same media lends its type and volume
 * (a clip the schedule plays muted stays muted); *TYPED says whether one
 * did. */
static const char *schedule_media(struct overlay *o, const struct alert *a, bool *typed,
                                  bool *video, int *volume)
{
    const struct manifest *m = *o->params.manifest;
    if (!m)
        return NULL;
    const struct manifest_media *md = NULL;
    for (size_t i = 0; i < m->n_media && !md; i++) {
        if (strcmp(m->media[i].id, a->media.id) == 0)
            md = &m->media[i];
    }
    if (!md) {
        char key[600];
        snprintf(key, sizeof(key), "%s|%s", a->id, a->media.id);
        if (!noted(o->warned, key))
            log_warn("alert %s: the schedule has no media \"%s\"; its card shows the words "
                     "only", a->id, a->media.id);
        return NULL;
    }
    for (int z = 0; z < ZONE_COUNT && !*typed; z++) {
        for (size_t i = 0; i < m->zones[z].n_items && !*typed; i++) {
            const struct manifest_item *item = &m->zones[z].items[i];
            if (item->media != md || (item->type != ITEM_VIDEO && item->type != ITEM_IMAGE))
                continue;
            *typed = true;
            *video = item->type == ITEM_VIDEO;
            *volume = *video ? item->volume : 100;
        }
    }
    return md->ready ? md->path : NULL;
}

/* The picture or video alert A's card shows now, or NULL: none, not
 * there yet, or unusable. Points into the alert or the schedule. */
static const char *card_media(struct overlay *o, const struct alert *a, bool *video,
                              int *volume)
{
    const char *path = NULL;
    bool typed = false;
    *video = false;
    *volume = 100;
    if (a->media.url)
        path = a->media.path;
    else if (a->media.id)
        path = schedule_media(o, a, &typed, video, volume);
    if (!path || is_broken(o, path))
        return NULL;
    if (!typed)
        *video = sniff_video(o, path);
    return path;
}

static char *card_key(const struct alert *a, int output, struct layout_rect r,
                      const char *media, bool video)
{
    char *key = NULL;
    if (asprintf(&key, "%s|%d|%d|%d,%d,%d,%d|%s|%s|%s|%s|%d", a->id, a->level, output, r.x,
                 r.y, r.w, r.h, a->title ? a->title : "", a->body ? a->body : "",
                 a->qr ? a->qr : "", media ? media : "", video) < 0)
        return NULL;
    return key;
}

/* The card's media cannot be shown: the card stays with its words, and
 * the file is not tried again. The reason is logged already. */
static void media_failed(struct overlay *o, struct card *c)
{
    if (!is_broken(o, c->media))
        noted(o->broken, c->media);
    video_destroy(c->player);
    c->player = NULL;
    c->playing = false;
    *o->params.dirty = true;
}

/* Whether another card already plays the sound of alert ID's video: a
 * card on each screen shows the picture, one is heard. */
static bool sound_taken(const struct overlay *o, const char *id)
{
    for (int i = 0; i < MAX_CARDS; i++) {
        const struct card *c = &o->cards[i];
        if (c->player && c->alert_id && strcmp(c->alert_id, id) == 0 && c->volume > 0)
            return true;
    }
    return false;
}

/* Starts opening the video of card C while its card is drawn. */
static void open_video(struct overlay *o, struct card *c)
{
    char id[300];
    snprintf(id, sizeof(id), "alert %s: video", c->alert_id);
    if (sound_taken(o, c->alert_id))
        c->volume = 0;
    struct video_params params = {
        .path = c->media,
        .id = id,
        .audio = o->params.audio,
        .gain = c->volume / 100.0,
        .loop = true,
        .hwdec = o->params.hwdec ? o->params.hwdec : "auto",
        .wake_event = o->params.wake_event,
    };
    c->player = video_create(&params);
    if (!c->player)
        log_error("alert %s: cannot start a decoder for its video", c->alert_id);
}

static void request_card(struct overlay *o, struct card *c, const struct alert *a)
{
    bool image = c->media && !c->video;
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
        .image = image ? strdup(c->media) : NULL,
        .media_box = c->media && c->video,
        .w = c->rect.w,
        .h = c->rect.h,
    };
    c->ticket = job.ticket;
    loader_submit(o->params.loader, &job);
    if (c->media && c->video)
        open_video(o, c);
}

/* Makes sure a card for alert A covering RECT of OUTPUT exists; marks it
 * wanted. */
static void want_card(struct overlay *o, const struct alert *a, int output,
                      struct layout_rect rect, bool wanted[MAX_CARDS])
{
    bool video;
    int volume;
    const char *media = card_media(o, a, &video, &volume);
    char *key = card_key(a, output, rect, media, video);
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
        *c = (struct card){.key = key, .alert_id = strdup(a->id), .output = output, .rect = rect,
                           .media = media ? strdup(media) : NULL, .video = video,
                           .volume = volume};
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

/* Puts a decoded frame into the card's streaming texture. */
static bool upload_frame(struct overlay *o, struct card *c, const AVFrame *f)
{
    char why[256];
    SDL_Renderer *r = o->params.display->outputs[c->output].renderer;
    if (!video_texture_upload(&c->vtex, r, f, why, sizeof(why))) {
        log_error("alert %s: %s", c->alert_id, why);
        return false;
    }
    *o->params.dirty = true;
    return true;
}

/* Moves the video of card C on: started once both it and the card are
 * ready, its frame due at NOW uploaded. Returns when to look again. */
static double step_video(struct overlay *o, struct card *c, double now)
{
    char why[256];
    if (!c->player || c->retiring)
        return INFINITY;
    switch (video_state(c->player, why, sizeof(why))) {
    case VIDEO_OPENING:
        return INFINITY; /* the video wakes the loop when it is open */
    case VIDEO_FAILED:
        log_warn("alert %s: cannot play its video %s: %s; its card shows the words only",
                 c->alert_id, c->media, why);
        media_failed(o, c);
        return INFINITY;
    case VIDEO_READY:
        break;
    }
    if (!c->tex || c->box.w <= 0)
        return INFINITY; /* the card is still being drawn */
    if (!c->playing) {
        video_start(c->player, now);
        c->playing = true;
        log_info("alert %s: its video plays on the card", c->alert_id);
    }
    double due = INFINITY;
    const AVFrame *f = video_update(c->player, now, &due);
    if (f)
        upload_frame(o, c, f);
    return due;
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
    for (int i = 0; i < MAX_CARDS; i++) {
        if (o->cards[i].key)
            wake = fmin(wake, step_video(o, &o->cards[i], now));
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
            c->box = res->box;
            if (c->media && c->box.w <= 0)
                media_failed(o, c);
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

/* Draws the card's video frame upright and whole in the card's box. */
static void draw_video(struct card *c, SDL_Renderer *r)
{
    int dw, dh, rotation;
    video_geometry(c->player, &dw, &dh, &rotation);
    if (dw <= 0 || dh <= 0)
        return;
    bool sideways = rotation == 90 || rotation == 270;
    SDL_Rect box = {c->rect.x + c->box.x, c->rect.y + c->box.y, c->box.w, c->box.h};
    double scale = fmin(box.w / (double)(sideways ? dh : dw),
                        box.h / (double)(sideways ? dw : dh));
    /* SDL turns the rectangle about its centre: size it unrotated and
     * centre it on the box. */
    int w = (int)lround(dw * scale), h = (int)lround(dh * scale);
    SDL_Rect dst = {box.x + (box.w - w) / 2, box.y + (box.h - h) / 2, w, h};
    SDL_SetTextureScaleMode(c->vtex.tex, SDL_ScaleModeLinear);
    SDL_SetTextureBlendMode(c->vtex.tex, SDL_BLENDMODE_NONE);
    SDL_RenderSetClipRect(r, &box);
    video_texture_draw(&c->vtex, r, &dst, rotation);
    SDL_RenderSetClipRect(r, NULL);
}

static void draw_card(struct card *c, SDL_Renderer *r, int index)
{
    SDL_Rect at = {c->rect.x, c->rect.y, c->rect.w, c->rect.h};
    SDL_SetTextureBlendMode(c->tex, SDL_BLENDMODE_NONE);
    SDL_RenderCopy(r, c->tex, NULL, &at);
    if (c->playing && c->vtex.tex && c->box.w > 0)
        draw_video(c, r);
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
