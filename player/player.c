#define LOG_MODULE "player"
#include "player/player.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <SDL.h>
#include <SDL_image.h>
#include <SDL_ttf.h>

#include "net/feed.h"
#include "net/source.h"
#include "net/sync.h"
#include "player/audio.h"
#include "player/loader.h"
#include "player/log.h"
#include "player/manifest.h"
#include "player/overlay.h"
#include "player/paths.h"
#include "player/playlist.h"
#include "player/schedule.h"
#include "player/service.h"
#include "player/video.h"
#include "render/display.h"
#include "render/dpms.h"

/* A manifest larger than this is not a schedule (a misconfigured server
 * sending a video, say) and is refused before parsing. */
#define MANIFEST_MAX_BYTES (4 * 1024 * 1024)

/* The render loop wakes at least this often (seconds) to notice signals. */
#define IDLE_WAKE_S 0.25

/* Frame interval during a cross-fade, seconds: about 60 frames a second. */
#define FADE_FRAME_S 0.016

/* The next video of a zone is opened this long (seconds) before the
 * current item ends: long enough to open a file and decode its first
 * frame on a busy board, short enough that two decoders rarely run side
 * by side in one zone. */
#define VIDEO_PRELOAD_S 2.0

/* The trusted time is written to the SD card this often, seconds: often
 * enough to survive a power cut, rarely enough to spare the flash. */
#define CLOCK_SAVE_S 600.0

/* How long the diagnostics screen stays up, seconds. */
#define DIAGNOSTICS_S 10.0

/* The status file is rewritten this often, seconds. */
#define STATUS_EVERY_S 5.0

/* An alerts document larger than this is not one, bytes. */
#define ALERTS_MAX_BYTES (1024 * 1024)

/* Insert ids remembered, so that each plays once. */
#define MAX_SEEN_INSERTS 64

/* Placeholder warnings remembered, so that each is logged once. */
#define MAX_WARNINGS 64

/* A video still not open after this long (seconds) is given up: a read
 * from a hung network share can block where FFmpeg cannot interrupt it. */
#define VIDEO_OPEN_TIMEOUT_S 10.0

/* A playing video that delivers no new frame for this long (seconds) is
 * abandoned and the zone moves on: a hung decoder never freezes a zone. */
#define VIDEO_STALL_S 5.0

/* How long the fallback stays up before a zone with nothing to play is
 * looked at again when no item is waiting for a retry, seconds. */
#define FALLBACK_RECHECK_S 10.0

static volatile sig_atomic_t screenshot_requested;
static volatile sig_atomic_t diagnostics_requested;
static volatile sig_atomic_t reload_requested;

struct player;

struct zone {
    enum zone_id id;
    struct player *p;
    struct playlist pl;
    size_t n_items;

    /* What is on screen: an item's pages, a video, the fallback, or
     * nothing yet. */
    SDL_Texture **pages;
    int n_pages;
    int page;
    struct video *video;
    struct video_texture vtex; /* the video's current frame */
    long item;            /* index in SHOWN's playlist, -1 for none */
    struct manifest *shown; /* the schedule the item on screen came from */
    bool stale;           /* a new schedule dropped it: replace it at once */
    bool on_fallback;
    double until;         /* when the current page has had its time */

    SDL_Texture *fade_from; /* the picture being faded out */
    bool fade_from_owned;   /* false when it is the fallback texture */
    double fade_start;

    SDL_Texture *fallback;  /* prepared once, shown when nothing else can be */
    bool fallback_spared;   /* given back while a video plays (see below) */

    /* An insert plays now: the rotation's item waits aside (SAVED) and
     * comes back where it was once the insert has played INSERT_LEFT more
     * times. INSERT_FROM is the zone whose playlist holds the item. */
    int insert_left;
    enum zone_id insert_from;
    size_t insert_index;
    bool insert_on;        /* the item on screen is the insert */
    struct {
        bool valid;
        SDL_Texture **pages;
        int n_pages, page;
        struct video *video;
        struct video_texture vtex;
        long item;
        enum zone_id item_zone;
        struct manifest *shown;
        double remaining;
    } saved;
    enum zone_id item_zone; /* whose playlist the item on screen is from */

    /* An alert has taken the zone: its rotation waits where it was. */
    bool suspended;
    double suspended_at;

    /* What comes next: pages from the loader, or a video being opened. */
    bool busy;            /* a job is with the loader, or a video opening */
    uint64_t ticket;      /* of that job; older results are stale */
    bool has_ready;
    struct loader_result ready;
    struct video *next_video;
    size_t next_item;     /* the item coming next (NEXT_VIDEO or READY) */
    enum zone_id next_from; /* whose playlist it is in */
    bool next_is_insert;
    double next_opened;   /* when NEXT_VIDEO was asked to open */
};

struct player {
    const struct config *cfg;
    struct display *display;
    struct loader *loader;
    struct manifest *manifest;
    struct audio *audio;
    struct overlay *overlay;
    struct zone zones[ZONE_COUNT];
    Uint32 wake_event;
    uint64_t tickets;
    double crossfade;     /* seconds */
    bool dirty;
    char *cache_dir;

    /* Where the schedule comes from: a sync thread for http(s), or a
     * local file looked at again every poll interval. */
    struct sync *sync;
    Uint32 sync_event;
    struct feed *alerts_feed;
    Uint32 alerts_event;
    char *seen_inserts[MAX_SEEN_INSERTS]; /* ids already played, oldest first */
    char *warnings[MAX_WARNINGS]; /* warnings already given, oldest first */
    const char *url;
    struct stat file_seen;
    double next_file_check;

    /* Whether the clock can be trusted, and the time schedules are read
     * at (the last trusted time while it cannot). */
    struct schedule_clock clock;
    char *clock_path;
    double next_clock_save;
    time_t sched_checked;  /* the wall-clock second last evaluated */
    time_t sched_time;     /* the time it was evaluated at */

    bool overlay_moving;  /* a ticker crawls: frames are due continuously */
    struct service *service;
    double next_status;
    char decoder[128];    /* of the last video opened, for diagnostics */
    bool dark;            /* outside the display's power hours */
    bool monitor_off;     /* and the monitor is in standby: nothing shows */
    struct config *reloaded; /* a valid new configuration after SIGHUP */
    FILE *trace;          /* --trace-frames, for tests: one line a frame */
};

static double now_s(void)
{
    return SDL_GetTicks64() / 1000.0;
}

/* Seconds since the process started; unlike SDL's clock it carries on
 * across a reload, so --after and --trace-frames count from the start. */
static double process_s(void)
{
    static struct timespec start;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    if (start.tv_sec == 0 && start.tv_nsec == 0)
        start = ts;
    return (double)(ts.tv_sec - start.tv_sec) + (ts.tv_nsec - start.tv_nsec) / 1e9;
}

static void on_signal(int sig)
{
    if (sig == SIGUSR1)
        screenshot_requested = 1;
    else if (sig == SIGUSR2)
        diagnostics_requested = 1;
    else if (sig == SIGHUP)
        reload_requested = 1;
}

static const struct manifest_item *zone_item(struct zone *z, size_t i)
{
    return &z->p->manifest->zones[z->id].items[i];
}

/* A zone with no room on screen (split = 1.0 leaves the lower one out)
 * plays nothing at all. */
static bool zone_off(const struct zone *z)
{
    struct layout_rect r = z->p->display->zone_rect[z->id];
    return r.w <= 0 || r.h <= 0;
}

/* The item on screen; only while z->item >= 0. */
static const struct manifest_item *cur_item(struct zone *z)
{
    return &z->shown->zones[z->item_zone].items[z->item];
}

static const struct manifest_item *item_in(struct zone *z, enum zone_id from, size_t i)
{
    return &z->p->manifest->zones[from].items[i];
}

static void zone_submit(struct zone *z, enum loader_kind kind, size_t item)
{
    struct player *p = z->p;
    struct layout_rect r = p->display->zone_rect[z->id];
    struct loader_job job = {
        .kind = kind,
        .zone = z->id,
        .ticket = ++p->tickets,
        /* Fallback jobs too: the schedule may name its own fallback item. */
        .manifest = p->manifest ? manifest_ref(p->manifest) : NULL,
        .item = item,
        .item_zone = z->next_from,
        .w = r.w,
        .h = r.h,
    };
    if (kind == LOADER_ITEM) {
        z->busy = true;
        z->ticket = job.ticket;
    }
    loader_submit(p->loader, &job);
}

static void destroy_pages(SDL_Texture **pages, int n)
{
    for (int i = 0; i < n; i++) {
        if (pages[i])
            SDL_DestroyTexture(pages[i]);
    }
    free(pages);
}

static void end_fade(struct zone *z)
{
    if (z->fade_from && z->fade_from_owned)
        SDL_DestroyTexture(z->fade_from);
    z->fade_from = NULL;
}

static SDL_Texture *current_texture(struct zone *z)
{
    if (z->on_fallback)
        return z->fallback;
    if (z->video)
        return z->vtex.tex;
    return z->n_pages ? z->pages[z->page] : NULL;
}

/*
 * Takes what is on screen off the zone, keeping its picture for a
 * cross-fade when one is configured.
 */
static void clear_current(struct zone *z, double now)
{
    end_fade(z);
    SDL_Texture *from = current_texture(z);
    /* A video's last frame is not faded: its texture is sized for the
     * video, not the zone, and the next item follows it without a gap. */
    bool fade = from && z->p->crossfade > 0 && !z->video;
    if (fade) {
        z->fade_from = from;
        z->fade_from_owned = !z->on_fallback;
        z->fade_start = now;
        /* Detach it so that freeing the rest leaves it alive. */
        if (!z->on_fallback)
            z->pages[z->page] = NULL;
    }
    destroy_pages(z->pages, z->n_pages);
    z->pages = NULL;
    z->n_pages = 0;
    video_destroy(z->video);
    z->video = NULL;
    video_texture_release(&z->vtex);
    z->on_fallback = false;
    z->item = -1;
    z->stale = false;
    manifest_unref(z->shown);
    z->shown = NULL;
    z->p->dirty = true;
}

static SDL_Texture **upload(struct zone *z, struct content *c)
{
    SDL_Renderer *r = display_zone_renderer(z->p->display, z->id);
    SDL_Texture **pages = calloc((size_t)c->n_pages, sizeof(*pages));
    if (!pages)
        return NULL;
    for (int i = 0; i < c->n_pages; i++) {
        pages[i] = SDL_CreateTextureFromSurface(r, c->pages[i]);
        if (!pages[i]) {
            log_error("%s: cannot upload a %dx%d picture: %s", manifest_zone_name(z->id),
                      c->pages[i]->w, c->pages[i]->h, SDL_GetError());
            destroy_pages(pages, i);
            return NULL;
        }
    }
    return pages;
}

/* Puts a decoded frame into the zone's streaming texture. */
static bool upload_frame(struct zone *z, const AVFrame *f)
{
    char why[256];
    SDL_Renderer *r = display_zone_renderer(z->p->display, z->id);
    if (!video_texture_upload(&z->vtex, r, f, why, sizeof(why))) {
        log_error("%s: %s", manifest_zone_name(z->id), why);
        return false;
    }
    z->p->dirty = true;
    return true;
}

static void show_fallback(struct zone *z, double now)
{
    if (z->on_fallback || !z->fallback)
        return;
    clear_current(z, now);
    z->on_fallback = true;
    log_info("%s: nothing playable; showing the fallback", manifest_zone_name(z->id));
}

/*
 * Whether the zone can do without its fallback picture, a zone-sized
 * texture (8 MB at 1080p), for now. While a video of the rotation plays it
 * cannot be needed at once: a next item that fails leaves the video up.
 * Only a schedule that drops the video (which makes it stale) or the end
 * of an insert can leave the zone with nothing else to show.
 */
static bool fallback_sparable(const struct zone *z)
{
    return z->video && !z->stale && !z->insert_on && !z->fade_from;
}

/* Gives the fallback back while it can be spared, and asks the loader for
 * it again as soon as it cannot; until it comes, the video stays up. */
static void spare_fallback(struct zone *z)
{
    if (fallback_sparable(z)) {
        if (z->fallback)
            SDL_DestroyTexture(z->fallback);
        z->fallback = NULL;
        z->fallback_spared = true;
    } else if (z->fallback_spared) {
        z->fallback_spared = false;
        zone_submit(z, LOADER_FALLBACK, 0);
    }
}

static void item_failed(struct zone *z, size_t i, const char *why, double now)
{
    if (z->next_is_insert) {
        log_warn("%s: insert %s cannot play: %s", manifest_zone_name(z->id),
                 item_in(z, z->next_from, i)->id, why);
        z->insert_left = 0;
        z->next_is_insert = false;
        return;
    }
    const struct manifest_item *item = zone_item(z, i);
    if (playlist_failed(&z->pl, i, now)) {
        log_warn("%s: item %s (%s) skipped: %s", manifest_zone_name(z->id), item->id,
                 manifest_item_type_name(item->type), why);
    } else {
        log_debug("%s: item %s still failing: %s", manifest_zone_name(z->id), item->id, why);
    }
}

/* Puts the rotation's item aside, paused, while an insert plays. */
static void save_current(struct zone *z, double now)
{
    end_fade(z);
    if (z->video)
        video_pause(z->video, now);
    z->saved.valid = true;
    z->saved.pages = z->pages;
    z->saved.n_pages = z->n_pages;
    z->saved.page = z->page;
    z->saved.video = z->video;
    z->saved.vtex = z->vtex;
    z->saved.item = z->item;
    z->saved.item_zone = z->item_zone;
    z->saved.shown = z->shown;
    z->saved.remaining = fmax(z->until - now, 0);
    z->pages = NULL;
    z->n_pages = 0;
    z->video = NULL;
    z->vtex = (struct video_texture){0};
    z->item = -1;
    z->shown = NULL;
}

/* Brings the item put aside back, with the time it had left. */
static void restore_saved(struct zone *z, double now)
{
    clear_current(z, now);
    z->insert_on = false;
    if (!z->saved.valid)
        return;
    z->pages = z->saved.pages;
    z->n_pages = z->saved.n_pages;
    z->page = z->saved.page;
    z->video = z->saved.video;
    z->vtex = z->saved.vtex;
    z->item = z->saved.item;
    z->item_zone = z->saved.item_zone;
    z->shown = z->saved.shown;
    z->until = now + z->saved.remaining;
    if (z->video)
        video_resume(z->video, now);
    z->saved.valid = false;
    z->p->dirty = true;
    log_info("%s: back to %s after the insert", manifest_zone_name(z->id), cur_item(z)->id);
}

static void drop_saved(struct zone *z)
{
    if (!z->saved.valid)
        return;
    destroy_pages(z->saved.pages, z->saved.n_pages);
    video_destroy(z->saved.video);
    video_texture_release(&z->saved.vtex);
    manifest_unref(z->saved.shown);
    z->saved.valid = false;
}

/* Puts the prepared item on screen, fading from what was there. */
static void zone_switch(struct zone *z, double now)
{
    size_t index;
    SDL_Texture **pages = NULL;
    int n_pages = 0;

    bool insert = z->next_is_insert;
    enum zone_id from = z->next_from;
    if (z->next_video) {
        index = z->next_item;
    } else {
        index = z->ready.job.item;
        pages = upload(z, &z->ready.content);
        n_pages = z->ready.content.n_pages;
        loader_result_finish(&z->ready);
        z->has_ready = false;
        if (!pages) {
            item_failed(z, index, "cannot upload it to the renderer", now);
            return;
        }
    }

    const struct manifest_item *item = item_in(z, from, index);
    if (insert && !z->insert_on && z->item >= 0 && !z->on_fallback && !z->stale)
        save_current(z, now);
    else
        clear_current(z, now);
    z->next_is_insert = false;
    z->insert_on = insert;
    if (insert)
        z->insert_left--;
    if (z->next_video) {
        z->video = z->next_video;
        z->next_video = NULL;
        z->has_ready = false;
        video_start(z->video, now);
        double due;
        const AVFrame *f = video_update(z->video, now, &due);
        if (f)
            upload_frame(z, f);
    } else {
        z->pages = pages;
        z->n_pages = n_pages;
    }
    z->page = 0;
    z->item = (long)index;
    z->item_zone = from;
    z->shown = manifest_ref(z->p->manifest);
    z->until = now + item->duration;
    z->p->dirty = true;
    log_debug("%s: showing %s %s%s", manifest_zone_name(z->id),
              manifest_item_type_name(item->type), item->id, insert ? " (insert)" : "");
}

static void zone_receive(struct zone *z, struct loader_result *res, double now)
{
    if (res->job.kind == LOADER_FALLBACK) {
        /* A new schedule's fallback while a video plays: asked for again
         * once the zone may need it. */
        if (fallback_sparable(z)) {
            spare_fallback(z);
            loader_result_finish(res);
            return;
        }
        SDL_Texture **one = res->ok ? upload(z, &res->content) : NULL;
        if (one) {
            if (z->fade_from == z->fallback)
                end_fade(z);
            if (z->fallback)
                SDL_DestroyTexture(z->fallback);
            z->fallback = one[0];
            free(one);
            z->p->dirty = true;
        }
        loader_result_finish(res);
        return;
    }
    if (!z->busy || res->job.ticket != z->ticket || res->job.manifest != z->p->manifest) {
        loader_result_finish(res);
        return;
    }
    z->busy = false;
    if (!res->ok) {
        item_failed(z, res->job.item, res->why, now);
        loader_result_finish(res);
        return;
    }
    if (!z->next_is_insert)
        playlist_succeeded(&z->pl, res->job.item);
    z->ready = *res;
    z->has_ready = true;
}

static void open_video(struct zone *z, size_t index)
{
    const struct manifest_item *item = item_in(z, z->next_from, index);
    char id[300];
    snprintf(id, sizeof(id), "%s: video %s", manifest_zone_name(z->id), item->id);
    struct video_params params = {
        .path = item->media->path,
        .id = id,
        .audio = z->p->audio,
        .gain = item->volume / 100.0,
        .loop = item->play == PLAY_LOOP,
        .hwdec = z->p->cfg->video_hwdec,
        /* The loop sleeps until the first frame is decoded, not a poll
         * interval longer. */
        .wake_event = z->p->wake_event,
    };
    z->next_item = index;
    z->busy = true;
    if (!item->media->path) {
        z->busy = false;
        item_failed(z, index, "the media is not a local file", 0);
        return;
    }
    z->next_video = video_create(&params);
    z->next_opened = now_s();
    if (!z->next_video) {
        z->busy = false;
        item_failed(z, index, "cannot start its decoder", 0);
    }
}

/* Follows a video being opened: ready to switch to, or failed. The video
 * wakes the loop when either happens; until then only the time limit is
 * due. */
static double watch_opening(struct zone *z, double now)
{
    if (!z->next_video || z->has_ready)
        return INFINITY;
    char why[256];
    switch (video_state(z->next_video, why, sizeof(why))) {
    case VIDEO_OPENING:
        if (now - z->next_opened < VIDEO_OPEN_TIMEOUT_S)
            return z->next_opened + VIDEO_OPEN_TIMEOUT_S;
        snprintf(why, sizeof(why), "still not open after %.0f s (a stalled read?)",
                 VIDEO_OPEN_TIMEOUT_S);
        break;
    case VIDEO_READY:
        z->busy = false;
        z->has_ready = true;
        video_decoder(z->next_video, z->p->decoder, sizeof(z->p->decoder));
        if (!z->next_is_insert)
            playlist_succeeded(&z->pl, z->next_item);
        return INFINITY;
    case VIDEO_FAILED:
        break;
    }
    video_destroy(z->next_video);
    z->next_video = NULL;
    z->busy = false;
    item_failed(z, z->next_item, why, now);
    return INFINITY;
}

/* Seconds until the item on screen has had its time; 0 when nothing is. */
static double zone_remaining(struct zone *z, double now)
{
    if (z->item < 0 || z->on_fallback)
        return 0;
    const struct manifest_item *item = cur_item(z);
    if (!z->video)
        return fmax(z->until - now, 0) + item->duration * (z->n_pages - 1 - z->page);
    double left = video_remaining(z->video, now);
    if (item->play != PLAY_END)
        left = fmin(left, z->until - now);
    return fmax(left, 0);
}

/* Asks for whatever the zone should show next. */
static void zone_pump(struct zone *z, double now)
{
    if (z->busy || z->has_ready || !z->p->manifest)
        return;
    if (z->insert_left > 0) {
        const struct manifest_item *item = item_in(z, z->insert_from, z->insert_index);
        z->next_from = z->insert_from;
        z->next_is_insert = true;
        if (item->type == ITEM_VIDEO)
            open_video(z, z->insert_index);
        else
            zone_submit(z, LOADER_ITEM, z->insert_index);
        return;
    }
    /* The insert has played: the item put aside comes back next. */
    if (z->insert_on)
        return;
    z->next_from = z->id;
    z->next_is_insert = false;
    size_t after = z->item >= 0 && !z->stale ? (size_t)z->item : z->n_items;
    long next = playlist_next(&z->pl, after, now);
    if (next < 0)
        return;
    const struct manifest_item *item = zone_item(z, (size_t)next);
    /* A still item alone in its rotation simply stays up; a video is
     * opened again so that it restarts without a gap. */
    if (next == z->item && !z->on_fallback && !z->stale && item->type != ITEM_VIDEO)
        return;
    if (item->type == ITEM_VIDEO) {
        if (zone_remaining(z, now) <= VIDEO_PRELOAD_S)
            open_video(z, (size_t)next);
    } else
        zone_submit(z, LOADER_ITEM, (size_t)next);
}

/* Whether the item on screen has had its time at NOW. */
static bool item_done(struct zone *z, const struct manifest_item *item, double now)
{
    if (z->stale)
        return true;
    if (!z->video)
        return now >= z->until && z->page + 1 >= z->n_pages;
    if (video_starved_for(z->video, now) > VIDEO_STALL_S) {
        log_warn("%s: video %s stalled for %.0f s; moving on", manifest_zone_name(z->id),
                 item->id, VIDEO_STALL_S);
        return true;
    }
    bool ended = video_ended(z->video, now);
    switch (item->play) {
    case PLAY_END:
        return ended;
    case PLAY_LOOP:
    case PLAY_CUT:
        return ended || now >= z->until;
    }
    return ended;
}

/* Moves a playing video on: uploads the frame due now. */
static double video_tick(struct zone *z, double now)
{
    double due = INFINITY;
    const AVFrame *f = video_update(z->video, now, &due);
    if (f)
        upload_frame(z, f);
    return due;
}

/* Holds the zone's rotation while an alert covers it, and lets it go on
 * from the same point, with the same time left, when the alert ends. */
static void zone_cover(struct zone *z, bool covered, double now)
{
    if (covered == z->suspended)
        return;
    z->suspended = covered;
    if (covered) {
        z->suspended_at = now;
        if (z->video)
            video_pause(z->video, now);
        return;
    }
    z->until += now - z->suspended_at;
    if (z->video)
        video_resume(z->video, now);
    z->p->dirty = true;
}

/*
 * Moves the zone on when its time is up. Returns when it next needs to be
 * looked at, or INFINITY when only a loader result can move it.
 */
static double zone_tick(struct zone *z, double now)
{
    double wake = watch_opening(z, now);
    spare_fallback(z);
    if (z->suspended)
        return wake;
    bool showing = z->n_pages > 0 || z->video || z->on_fallback;
    bool done = false;
    if (z->item >= 0)
        done = item_done(z, cur_item(z), now);
    if (z->insert_on && done && z->insert_left == 0 && !z->has_ready) {
        restore_saved(z, now);
        showing = z->n_pages > 0 || z->video;
        done = z->item >= 0 && item_done(z, cur_item(z), now);
    }
    bool interrupt = z->has_ready && z->next_is_insert && !z->insert_on;
    if (z->has_ready && (!showing || z->on_fallback || done || interrupt))
        zone_switch(z, now);

    bool nothing_coming = !z->busy && !z->has_ready;
    bool playable = z->n_items > 0 && playlist_next(&z->pl, z->n_items, now) >= 0;
    if (nothing_coming && !playable && ((z->n_pages == 0 && !z->video) || z->stale))
        show_fallback(z, now);

    if (z->fade_from) {
        if (now - z->fade_start >= z->p->crossfade) {
            end_fade(z);
            z->p->dirty = true;
        } else {
            wake = fmin(wake, now + FADE_FRAME_S);
            z->p->dirty = true;
        }
    }

    if (z->on_fallback) {
        double retry = playlist_next_retry(&z->pl);
        double at = retry > 0 ? retry : now + FALLBACK_RECHECK_S;
        return fmin(wake, z->n_items ? at : INFINITY);
    }
    if (z->item < 0)
        return wake;

    const struct manifest_item *item = cur_item(z);
    if (!z->busy && !z->has_ready) {
        double left = zone_remaining(z, now);
        if (left > VIDEO_PRELOAD_S && isfinite(left))
            wake = fmin(wake, now + left - VIDEO_PRELOAD_S);
    }
    if (z->video) {
        if (!item_done(z, item, now))
            wake = fmin(wake, video_tick(z, now));
        if (item->play != PLAY_END)
            wake = fmin(wake, z->until);
        return wake;
    }

    if (now >= z->until) {
        if (z->page + 1 < z->n_pages) {
            z->page++;
            z->until = now + item->duration;
            z->p->dirty = true;
        } else if (nothing_coming && playlist_next(&z->pl, (size_t)z->item, now) == z->item) {
            /* Alone in its rotation: start it over. */
            if (z->page != 0)
                z->p->dirty = true;
            z->page = 0;
            z->until = now + item->duration;
        } else {
            /* The next item is still being prepared; the current one stays
             * up until it is ready rather than leaving a gap. */
            double retry = playlist_next_retry(&z->pl);
            return fmin(wake, retry > now ? retry : INFINITY);
        }
    }
    return fmin(wake, z->until);
}

/* Draws the zone's video frame upright and fitted or filling the zone. */
static void draw_video(struct zone *z, SDL_Renderer *r, const SDL_Rect *zone, Uint8 alpha)
{
    const struct manifest_item *item = cur_item(z);
    int dw, dh, rotation;
    video_geometry(z->video, &dw, &dh, &rotation);
    bool sideways = rotation == 90 || rotation == 270;
    double shown_w = sideways ? dh : dw;
    double shown_h = sideways ? dw : dh;
    double sx = zone->w / shown_w, sy = zone->h / shown_h;
    double scale = item->fit == FIT_COVER ? fmax(sx, sy) : fmin(sx, sy);

    /* SDL turns the rectangle about its centre: size it unrotated and
     * centre it on the zone. */
    int w = (int)lround(dw * scale), h = (int)lround(dh * scale);
    SDL_Rect dst = {zone->x + (zone->w - w) / 2, zone->y + (zone->h - h) / 2, w, h};
    /* Bars only where the picture leaves room: a full-zone fill under a
     * full-zone video is a wasted pass over every pixel. */
    bool covers = alpha == 255 && (int)lround(shown_w * scale) >= zone->w &&
                  (int)lround(shown_h * scale) >= zone->h;
    if (!covers) {
        SDL_SetRenderDrawBlendMode(r, alpha == 255 ? SDL_BLENDMODE_NONE : SDL_BLENDMODE_BLEND);
        SDL_SetRenderDrawColor(r, item->bg.r, item->bg.g, item->bg.b, alpha);
        SDL_RenderFillRect(r, zone);
    }
    /* Linear filtering when scaled (nearest blocks up a 720p clip on a
     * 1080p zone); none at 1:1, where it only costs. */
    SDL_Texture *tex = z->vtex.tex;
    SDL_SetTextureScaleMode(tex, w == z->vtex.w && h == z->vtex.h ? SDL_ScaleModeNearest
                                                                   : SDL_ScaleModeLinear);
    SDL_RenderSetClipRect(r, zone);
    SDL_SetTextureBlendMode(tex, alpha == 255 ? SDL_BLENDMODE_NONE : SDL_BLENDMODE_BLEND);
    SDL_SetTextureAlphaMod(tex, alpha);
    video_texture_draw(&z->vtex, r, &dst, rotation);
    SDL_RenderSetClipRect(r, NULL);
}

static void draw_zone(struct zone *z, double now)
{
    SDL_Renderer *r = display_zone_renderer(z->p->display, z->id);
    struct layout_rect lr = z->p->display->zone_rect[z->id];
    SDL_Rect dst = {lr.x, lr.y, lr.w, lr.h};
    SDL_Texture *cur = current_texture(z);

    if (z->fade_from) {
        SDL_SetTextureBlendMode(z->fade_from, SDL_BLENDMODE_NONE);
        SDL_RenderCopy(r, z->fade_from, NULL, &dst);
    }
    if (!cur)
        return;
    Uint8 alpha = 255;
    if (z->fade_from)
        alpha = (Uint8)(255 * fmin(fmax((now - z->fade_start) / z->p->crossfade, 0), 1));
    if (z->video) {
        draw_video(z, r, &dst, alpha);
        return;
    }
    SDL_SetTextureBlendMode(cur, alpha == 255 ? SDL_BLENDMODE_NONE : SDL_BLENDMODE_BLEND);
    SDL_SetTextureAlphaMod(cur, alpha);
    SDL_RenderCopy(r, cur, NULL, &dst);
}

/*
 * Writes one line for the frame about to be presented on output I: the
 * time, and for each zone on it the item shown and the colour of the
 * zone's centre pixel. Tests read it to prove, for instance, that no black
 * frame separates two videos.
 */
static void trace_frame(struct player *p, int i, double now)
{
    struct display *d = p->display;
    struct display_output *o = &d->outputs[i];
    (void)now;
    fprintf(p->trace, "%.4f", process_s());
    for (int zi = 0; zi < ZONE_COUNT; zi++) {
        if (d->zone_output[zi] != i)
            continue;
        struct zone *z = &p->zones[zi];
        struct layout_rect r = d->zone_rect[zi];
        int wx, wy;
        layout_canvas_to_window(o->canvas_w, o->canvas_h, d->rotation, r.x + r.w / 2,
                                r.y + r.h / 2, &wx, &wy);
        wx += (o->win_w - (d->rotation % 180 ? o->canvas_h : o->canvas_w)) / 2;
        wy += (o->win_h - (d->rotation % 180 ? o->canvas_w : o->canvas_h)) / 2;
        Uint32 px = 0;
        SDL_Rect at = {wx, wy, 1, 1};
        SDL_RenderReadPixels(o->renderer, &at, SDL_PIXELFORMAT_ARGB8888, &px, 4);
        const char *id = z->on_fallback ? "(fallback)"
                         : z->item >= 0 ? cur_item(z)->id
                                        : "(none)";
        fprintf(p->trace, " %s=%s:%06x", manifest_zone_name(z->id), id,
                (unsigned)(px & 0xffffff));
    }
    fputc('\n', p->trace);
}

/* Draws every output; with CAPTURE, stores each frame before presenting. */
static void render(struct player *p, double now, SDL_Surface **capture)
{
    struct display *d = p->display;
    p->overlay_moving = false;
    for (int i = 0; i < d->n_outputs; i++) {
        display_begin(d, i);
        for (int z = 0; z < ZONE_COUNT && !p->dark; z++) {
            if (d->zone_output[z] == i)
                draw_zone(&p->zones[z], now);
        }
        if (p->overlay && !p->dark && overlay_draw(p->overlay, i, now))
            p->overlay_moving = true;
        display_finish(d, i);
        if (capture)
            capture[i] = display_capture(d, i);
        if (p->trace)
            trace_frame(p, i, now);
        /* A console output in standby has no active CRTC to flip to. */
        if (!p->monitor_off)
            display_present(d, i);
    }
    p->dirty = false;
}

static bool write_screenshot(struct player *p, double now, const char *path)
{
    SDL_Surface *frames[DISPLAY_MAX_OUTPUTS] = {0};
    render(p, now, frames);
    bool ok = true;
    for (int i = 0; i < p->display->n_outputs; i++)
        ok = ok && frames[i];
    ok = ok && display_write_png(frames, p->display->n_outputs, path);
    for (int i = 0; i < p->display->n_outputs; i++)
        SDL_FreeSurface(frames[i]);
    if (ok)
        log_info("screenshot written to %s", path);
    return ok;
}

static void screenshot_on_signal(struct player *p, double now)
{
    char path[4200];
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    localtime_r(&ts.tv_sec, &tm);
    char stamp[32];
    strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &tm);
    /* Milliseconds too: two requests in one second must not overwrite. */
    snprintf(path, sizeof(path), "%s/screenshot-%s.%03ld.png",
             p->cache_dir ? p->cache_dir : "/tmp", stamp, ts.tv_nsec / 1000000);
    write_screenshot(p, now, path);
}

/* Whether the warning KEY is new; remembers it. The sync thread hands
 * over a new copy of the schedule after every download, and a warning
 * about the same item is worth one line, not one per copy. */
static bool first_warning(struct player *p, const char *key)
{
    for (int i = 0; i < MAX_WARNINGS; i++) {
        if (p->warnings[i] && strcmp(p->warnings[i], key) == 0)
            return false;
    }
    free(p->warnings[0]);
    memmove(p->warnings, p->warnings + 1, sizeof(p->warnings[0]) * (MAX_WARNINGS - 1));
    p->warnings[MAX_WARNINGS - 1] = strdup(key);
    return true;
}

/* Fills {device.id} and {tag.NAME} into the words and QR codes of M. */
static void expand_item(struct player *p, struct manifest_item *item)
{
    const struct config *cfg = p->cfg;
    char key[512];
    char **fields[] = {&item->title, &item->body, &item->caption, &item->qr};
    for (size_t f = 0; f < sizeof(fields) / sizeof(fields[0]); f++) {
        char *in = *fields[f], *out = NULL;
        if (!in || !strchr(in, '{'))
            continue;
        /* In an address, a building name with spaces or Chinese must be
         * percent-encoded to stay one valid URL. */
        bool url = fields[f] == &item->qr &&
                   (strncmp(in, "http://", 7) == 0 || strncmp(in, "https://", 8) == 0);
        struct schedule_expand_notes notes = {0};
        if (!schedule_expand(in, cfg, url, &out, &notes))
            continue;
        snprintf(key, sizeof(key), "%s|tag|%s", item->id, notes.first_missing);
        if (notes.missing && first_warning(p, key))
            log_warn("item %s: this terminal has no tag \"%s\"; it is left empty", item->id,
                     notes.first_missing);
        snprintf(key, sizeof(key), "%s|unknown|%s", item->id, notes.first_unknown);
        if (notes.unknown && first_warning(p, key))
            log_warn("item %s: %s is not a placeholder; shown as written", item->id,
                     notes.first_unknown);
        free(in);
        *fields[f] = out;
    }
}

static void expand_placeholders(struct player *p, struct manifest *m)
{
    for (int z = 0; z < ZONE_COUNT; z++) {
        for (size_t i = 0; i < m->zones[z].n_items; i++)
            expand_item(p, &m->zones[z].items[i]);
        if (m->zones[z].fallback)
            expand_item(p, m->zones[z].fallback);
    }
}

/* Reads and parses the schedule; errors go to the log line by line. */
static struct manifest *load_manifest(const char *url, const struct config *cfg)
{
    char *text = NULL;
    size_t len = 0;
    char why[512];
    if (!source_read(url, MANIFEST_MAX_BYTES, &text, &len, why, sizeof(why))) {
        log_error("cannot read the schedule %s: %s", url, why);
        return NULL;
    }

    char *errors = NULL;
    size_t errors_len = 0;
    FILE *err = open_memstream(&errors, &errors_len);
    struct manifest *m = err ? manifest_parse(text, len, url, err) : NULL;
    if (err)
        fclose(err);
    for (char *line = errors ? strtok(errors, "\n") : NULL; line; line = strtok(NULL, "\n"))
        log_error("%s", line);
    free(errors);
    free(text);
    if (m) {
        log_info("schedule %s version %lld: %zu upper, %zu lower item(s)", url,
                 (long long)m->version, m->zones[ZONE_UPPER].n_items,
                 m->zones[ZONE_LOWER].n_items);
    }
    return m;
}

static bool media_ready(const struct manifest_item *item)
{
    return !item->media || item->media->ready;
}

static bool playable(const void *item, void *ctx)
{
    (void)ctx;
    return media_ready(item);
}

/*
 * Decides which items of the zone may play at T: those of the playlist
 * that wins at T, valid for this terminal at T, with their media verified.
 * The rest are held out of the rotation. An item on screen that is no
 * longer valid leaves at once, not after its slot.
 */
static void zone_apply_schedule(struct zone *z, time_t t)
{
    const struct manifest *m = z->p->manifest;
    if (!m || z->n_items == 0)
        return;
    const struct manifest_zone *mz = &m->zones[z->id];
    struct schedule_list lists[mz->n_lists ? mz->n_lists : 1];
    for (size_t k = 0; k < mz->n_lists; k++) {
        lists[k] = (struct schedule_list){
            .priority = mz->lists[k].priority,
            .rules = k ? &mz->lists[k].rules : NULL,
            .items = mz->items + mz->lists[k].first,
            .n_items = mz->lists[k].count,
            .item_size = sizeof(struct manifest_item),
            .rules_offset = offsetof(struct manifest_item, rules),
        };
    }
    long active = schedule_pick(lists, mz->n_lists, z->p->cfg, t, playable, NULL);
    for (size_t i = 0; i < z->n_items; i++) {
        const struct manifest_item *item = &mz->items[i];
        const struct manifest_list *l = &mz->lists[item->list];
        bool ok = (long)item->list == active && media_ready(item) &&
                  schedule_list_item_valid(&lists[item->list], i - l->first, z->p->cfg, t);
        playlist_hold(&z->pl, i, !ok);
    }
    bool mine = z->item >= 0 && !z->on_fallback && !z->insert_on && !z->stale &&
                z->shown == m && z->item_zone == z->id;
    if (mine && z->pl.entries[z->item].held) {
        log_info("%s: %s is not scheduled now; replacing it", manifest_zone_name(z->id),
                 cur_item(z)->id);
        z->stale = true;
    }
}

/* Builds the zone's rotation from the schedule in force. */
static bool zone_load_playlist(struct zone *z)
{
    playlist_finish(&z->pl);
    const struct manifest *m = z->p->manifest;
    z->n_items = m && !zone_off(z) ? m->zones[z->id].n_items : 0;
    if (!playlist_init(&z->pl, z->n_items))
        return false;
    zone_apply_schedule(z, z->p->sched_time);
    return true;
}

static void run_command(const char *what, const char *command)
{
    if (!command || !command[0])
        return;
    /* The command only switches a display; it must not hold the loop, so
     * it runs in the background and its end is not awaited. */
    pid_t pid = fork();
    if (pid == 0) {
        execl("/bin/sh", "sh", "-c", command, (char *)NULL);
        _exit(127);
    }
    if (pid < 0)
        log_warn("cannot run the %s command: %s", what, strerror(errno));
    else
        log_info("running the %s command: %s", what, command);
}

/* Puts the monitors in standby, or wakes them, where the display allows. */
static void switch_monitors(struct player *p, bool on)
{
    /* Waking does not depend on the setting: a reload may have just
     * turned it off while the monitor sleeps. */
    if (on ? !p->monitor_off : !p->cfg->power_dpms)
        return;
    SDL_Window *windows[DISPLAY_MAX_OUTPUTS];
    for (int i = 0; i < p->display->n_outputs; i++)
        windows[i] = p->display->outputs[i].window;
    char why[256] = "";
    enum dpms_result r = dpms_set(windows, p->display->n_outputs, on, why, sizeof(why));
    p->monitor_off = !on && r == DPMS_DONE;
    if (r == DPMS_DONE)
        log_info("monitor %s (DPMS)", on ? "woken from standby" : "put in standby");
    else if (r == DPMS_FAILED)
        log_warn("cannot switch the monitor %s: %s", on ? "on" : "off", why);
    else
        log_info("no monitor standby: %s; the screen stays black", why);
}

/* Turns the screen dark outside the power hours, and back on. */
static void check_power(struct player *p, time_t t, double now)
{
    struct tm local;
    localtime_r(&t, &local);
    bool dark = service_power_off(p->cfg->power_off, p->cfg->power_on, &local);
    if (dark == p->dark)
        return;
    p->dark = dark;
    p->dirty = true;
    log_info("display power hours: the screen goes %s", dark ? "dark" : "back on");
    if (dark) {
        /* Black goes up first: a monitor without standby, or one slow to
         * sleep, must not hold the last picture. */
        render(p, now, NULL);
    }
    switch_monitors(p, !dark);
    run_command(dark ? "display off" : "display on",
                dark ? p->cfg->power_off_command : p->cfg->power_on_command);
}

static const char *age_of(time_t t, char *buf, size_t len)
{
    if (!t) {
        snprintf(buf, len, "never");
        return buf;
    }
    struct tm tm;
    char when[32];
    localtime_r(&t, &tm);
    strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
    snprintf(buf, len, "%s (%ld s ago)", when, (long)(time(NULL) - t));
    return buf;
}

/* What a technician needs to see at a glance, as "name: value" lines. */
static void status_text(struct player *p, char *buf, size_t len)
{
    const struct config *cfg = p->cfg;
    char tags[512] = "", addrs[512], age[64];
    size_t n = 0;
    for (int i = 0; i < cfg->n_tags && n < sizeof(tags); i++) {
        int w = snprintf(tags + n, sizeof(tags) - n, "%s%s=%s", i ? ", " : "",
                         cfg->tags[i].key, cfg->tags[i].value);
        if (w > 0)
            n += (size_t)w;
    }
    service_addresses(addrs, sizeof(addrs));
    struct sync_status st = {.version = p->manifest ? p->manifest->version : -1};
    if (p->sync)
        sync_status(p->sync, &st);
    char cache[64] = "not synced over the network";
    if (p->sync) {
        snprintf(cache, sizeof(cache), "%.1f MB, %zu of %zu media ready",
                 st.cache_bytes / 1e6, st.media_ready, st.media_total);
    }
    snprintf(buf, len,
             "device: %s\n"
             "tags: %s\n"
             "addresses: %s\n"
             "schedule: %s\n"
             "last sync: %s\n"
             "schedule version: %lld\n"
             "cache: %s\n"
             "clock: %s\n"
             "video decoder: %s\n"
             "screen: %s\n",
             cfg->device_id, tags[0] ? tags : "(none)", addrs, p->url ? p->url : "(none)",
             p->sync ? age_of(st.last_success, age, sizeof(age)) : "local file",
             (long long)st.version, cache,
             p->clock.trust == SCHEDULE_TRUSTED ? "trusted" : "NOT trusted (schedule frozen)",
             p->decoder[0] ? p->decoder : "no video played yet", p->dark ? "dark" : "on");
}

static void show_diagnostics(struct player *p, double now)
{
    char text[4096];
    status_text(p, text, sizeof(text));
    overlay_set_info(p->overlay, text, now + DIAGNOSTICS_S);
    log_info("diagnostics screen for %.0f s", DIAGNOSTICS_S);
}

/*
 * Checks the clock and, once a second, the schedule: items start and stop
 * on the minute, and a clock found wrong freezes the schedule at the last
 * time known to be right.
 */
static void check_time(struct player *p, double now)
{
    time_t t = time(NULL);
    if (t == p->sched_checked)
        return;
    p->sched_checked = t;
    struct sync_status st = {0};
    if (p->sync)
        sync_status(p->sync, &st);
    schedule_clock_check(&p->clock, t, p->manifest ? p->manifest->published : 0,
                         st.server_date);
    p->sched_time = schedule_clock_effective(&p->clock, t);
    for (int i = 0; i < ZONE_COUNT; i++)
        zone_apply_schedule(&p->zones[i], p->sched_time);
    if (now >= p->next_clock_save && p->clock_path) {
        schedule_clock_save(&p->clock, p->clock_path);
        p->next_clock_save = now + CLOCK_SAVE_S;
    }
    check_power(p, t, now);
    if (now >= p->next_status) {
        char text[4096];
        status_text(p, text, sizeof(text));
        service_write_status(p->service, text);
        p->next_status = now + STATUS_EVERY_S;
    }
}


/* Forgets what was being prepared to come next; a loader job still out
 * comes back stale and is dropped by its ticket. */
static void zone_drop_next(struct zone *z)
{
    if (z->has_ready && !z->next_video)
        loader_result_finish(&z->ready);
    video_destroy(z->next_video);
    z->next_video = NULL;
    z->has_ready = false;
    z->busy = false;
    z->ticket = 0;
    z->next_is_insert = false;
}

/*
 * Moves the zone onto the schedule just adopted. The item on screen stays
 * if the new schedule still has it unchanged; otherwise it is replaced as
 * soon as the next item is ready (or by the fallback), never after its
 * slot. What was being prepared from the old schedule is dropped.
 */
static void zone_adopt(struct zone *z, double now)
{
    zone_drop_next(z);
    z->insert_left = 0; /* its index named an item of the old schedule */
    zone_load_playlist(z);

    if (z->item < 0 || z->on_fallback || z->insert_on)
        return;
    const struct manifest_item *cur = cur_item(z);
    for (size_t i = 0; i < z->n_items; i++) {
        const struct manifest_item *item = zone_item(z, i);
        bool ready = !item->media || item->media->ready;
        if (ready && manifest_item_equal(cur, item)) {
            manifest_unref(z->shown);
            z->shown = manifest_ref(z->p->manifest);
            z->item = (long)i;
            z->item_zone = z->id;
            return;
        }
    }
    log_info("%s: %s is not in the new schedule; replacing it now", manifest_zone_name(z->id),
             cur->id);
    z->stale = true;
    (void)now;
}

static void adopt_manifest(struct player *p, struct manifest *m, double now)
{
    expand_placeholders(p, m);
    size_t ready = 0, total = 0;
    for (size_t i = 0; i < m->n_media; i++) {
        total++;
        ready += m->media[i].ready;
    }
    log_info("schedule version %lld: %zu upper, %zu lower item(s), %zu of %zu media ready",
             (long long)m->version, m->zones[ZONE_UPPER].n_items, m->zones[ZONE_LOWER].n_items,
             ready, total);
    struct manifest *old = p->manifest;
    p->manifest = m;
    p->sched_checked = 0;
    for (int i = 0; i < ZONE_COUNT; i++) {
        zone_adopt(&p->zones[i], now);
        if (!zone_off(&p->zones[i]))
            zone_submit(&p->zones[i], LOADER_FALLBACK, 0);
    }
    manifest_unref(old);
    p->dirty = true;
}

/* Called on the sync thread: hands the manifest to the render thread. */
static void on_publish(struct manifest *m, void *ud)
{
    struct player *p = ud;
    SDL_Event ev = {.type = p->sync_event};
    ev.user.data1 = m;
    if (SDL_PushEvent(&ev) != 1)
        manifest_unref(m);
}

/* Called on the feed's thread with a new alerts document. */
static void on_alerts(void *obj, void *ud)
{
    struct player *p = ud;
    SDL_Event ev = {.type = p->alerts_event};
    ev.user.data1 = obj;
    if (SDL_PushEvent(&ev) != 1)
        alerts_free(obj);
}

static void *parse_alerts(const char *text, size_t len, const char *url, FILE *err)
{
    return alerts_parse(text, len, url, err);
}

/* The own media of the cards of OBJ (an alerts document) not yet expired,
 * for the alerts feed to download. Tickers show no media. */
static size_t alert_files(void *obj, struct feed_file *out, size_t max)
{
    struct alerts *a = obj;
    time_t t = time(NULL);
    size_t n = 0;
    for (size_t i = 0; i < a->n_alerts && n < max; i++) {
        struct alert *al = &a->alerts[i];
        bool card = al->level != ALERT_INFO && al->target != ALERT_TARGET_TICKER;
        if (!card || !al->media.url || t >= al->expires)
            continue;
        out[n++] = (struct feed_file){
            .url = al->media.url,
            .size = al->media.size,
            .sha256 = al->media.sha256,
            .what = al->id,
            .path = &al->media.path,
        };
    }
    return n;
}

/* Remembers insert ID as played; false if it was already. */
static bool first_sight(struct player *p, const char *id)
{
    for (int i = 0; i < MAX_SEEN_INSERTS; i++) {
        if (p->seen_inserts[i] && strcmp(p->seen_inserts[i], id) == 0)
            return false;
    }
    free(p->seen_inserts[0]);
    memmove(p->seen_inserts, p->seen_inserts + 1,
            sizeof(p->seen_inserts[0]) * (MAX_SEEN_INSERTS - 1));
    p->seen_inserts[MAX_SEEN_INSERTS - 1] = strdup(id);
    return true;
}

/* Starts the inserts of A that have not played yet. */
static void start_inserts(struct player *p, const struct alerts *a)
{
    time_t t = time(NULL);
    for (size_t i = 0; i < a->n_inserts && p->manifest; i++) {
        const struct alert_insert *ins = &a->inserts[i];
        if ((ins->expires && t >= ins->expires) || !first_sight(p, ins->id))
            continue;
        /* The item is looked for in the zone it plays in, then the other. */
        enum zone_id order[] = {ins->zone, ins->zone == ZONE_UPPER ? ZONE_LOWER : ZONE_UPPER};
        bool found = false;
        for (int k = 0; k < 2 && !found; k++) {
            const struct manifest_zone *mz = &p->manifest->zones[order[k]];
            for (size_t j = 0; j < mz->n_items && !found; j++) {
                if (strcmp(mz->items[j].id, ins->item) != 0)
                    continue;
                struct zone *z = &p->zones[ins->zone];
                /* What was prepared to follow the item on screen waits: the
                 * insert plays now, not after the current slot. */
                if (!z->next_is_insert)
                    zone_drop_next(z);
                z->insert_from = order[k];
                z->insert_index = j;
                z->insert_left = ins->times;
                found = true;
                log_info("%s: insert %s plays %s %d time%s", manifest_zone_name(z->id),
                         ins->id, ins->item, ins->times, ins->times == 1 ? "" : "s");
            }
        }
        if (!found)
            log_warn("insert %s: the schedule has no item %s", ins->id, ins->item);
    }
}

/* A local schedule file is read again when it changes. */
static void check_schedule_file(struct player *p, double now)
{
    if (p->sync || !p->url || now < p->next_file_check)
        return;
    p->next_file_check = now + p->cfg->poll_seconds;
    char *path = manifest_resolve_path(p->url, p->url);
    struct stat st;
    bool changed = path && stat(path, &st) == 0 &&
                   (st.st_mtim.tv_sec != p->file_seen.st_mtim.tv_sec ||
                    st.st_mtim.tv_nsec != p->file_seen.st_mtim.tv_nsec ||
                    st.st_size != p->file_seen.st_size || st.st_ino != p->file_seen.st_ino);
    free(path);
    if (!changed)
        return;
    p->file_seen = st;
    struct manifest *m = load_manifest(p->url, p->cfg);
    if (m)
        adopt_manifest(p, m, now);
    else
        log_warn("the changed schedule %s is not usable; the current one stays", p->url);
}

static bool zones_init(struct player *p)
{
    for (int i = 0; i < ZONE_COUNT; i++) {
        struct zone *z = &p->zones[i];
        *z = (struct zone){.id = (enum zone_id)i, .p = p, .item = -1,
                           .item_zone = (enum zone_id)i, .next_from = (enum zone_id)i};
        if (!zone_load_playlist(z))
            return false;
        if (!zone_off(z))
            zone_submit(z, LOADER_FALLBACK, 0);
    }
    return true;
}

static void zones_finish(struct player *p)
{
    for (int i = 0; i < ZONE_COUNT; i++) {
        struct zone *z = &p->zones[i];
        if (z->has_ready && !z->next_video)
            loader_result_finish(&z->ready);
        video_destroy(z->next_video);
        video_destroy(z->video);
        video_texture_release(&z->vtex);
        manifest_unref(z->shown);
        drop_saved(z);
        end_fade(z);
        destroy_pages(z->pages, z->n_pages);
        if (z->fallback)
            SDL_DestroyTexture(z->fallback);
        playlist_finish(&z->pl);
    }
}

static bool handle_event(struct player *p, const SDL_Event *ev, bool windowed)
{
    if (ev->type == p->sync_event) {
        adopt_manifest(p, ev->user.data1, now_s());
        return true;
    }
    if (ev->type == p->alerts_event) {
        start_inserts(p, ev->user.data1);
        overlay_set_alerts(p->overlay, ev->user.data1);
        return true;
    }
    switch (ev->type) {
    case SDL_QUIT:
        log_info("quit requested");
        return false;
    case SDL_KEYDOWN:
        if (windowed && (ev->key.keysym.sym == SDLK_ESCAPE || ev->key.keysym.sym == SDLK_q))
            return false;
        /* Any other key on a terminal's keyboard asks for the diagnostics. */
        diagnostics_requested = 1;
        break;
    case SDL_WINDOWEVENT:
        if (ev->window.event == SDL_WINDOWEVENT_EXPOSED)
            p->dirty = true;
        break;
    default:
        break;
    }
    return true;
}

/* Reads the configuration file again; a valid one is kept for the
 * caller to restart with, an invalid one refused with its problems. */
static bool try_reload(struct player *p)
{
    if (!p->cfg->path) {
        log_warn("reload requested, but the player runs without a configuration file");
        return false;
    }
    char *errors = NULL;
    size_t len = 0;
    FILE *err = open_memstream(&errors, &len);
    struct config *cfg = err ? config_load(p->cfg->path, err) : NULL;
    if (err)
        fclose(err);
    if (!cfg) {
        for (char *line = errors ? strtok(errors, "\n") : NULL; line; line = strtok(NULL, "\n"))
            log_error("%s", line);
        log_error("the changed configuration %s is refused; the running one stays",
                  p->cfg->path);
        free(errors);
        return false;
    }
    free(errors);
    log_info("reloading the configuration %s", p->cfg->path);
    p->reloaded = cfg;
    return true;
}

static int run_loop(struct player *p, const struct player_options *opts)
{
    double shot_at = opts->screenshot ? now_s() + opts->after - process_s() : INFINITY;
    bool windowed = opts->windowed || !p->cfg->fullscreen;
    p->dirty = true;

    for (;;) {
        double now = now_s();
        struct loader_result res;
        while (loader_take(p->loader, &res)) {
            if (overlay_receive(p->overlay, &res))
                p->dirty = true;
            else
                zone_receive(&p->zones[res.job.zone], &res, now);
        }

        check_schedule_file(p, now);
        check_time(p, now);
        double wake = now + IDLE_WAKE_S;
        bool covered[ZONE_COUNT];
        wake = fmin(wake, overlay_update(p->overlay, time(NULL), now, covered));
        for (int i = 0; i < ZONE_COUNT; i++)
            zone_cover(&p->zones[i], covered[i] || p->dark, now);
        if (p->overlay_moving) {
            wake = fmin(wake, now + FADE_FRAME_S);
            p->dirty = true;
        }
        for (int i = 0; i < ZONE_COUNT; i++) {
            zone_pump(&p->zones[i], now);
            wake = fmin(wake, zone_tick(&p->zones[i], now));
            zone_pump(&p->zones[i], now);
        }

        if (now >= shot_at)
            return write_screenshot(p, now, opts->screenshot) ? 0 : 1;
        if (screenshot_requested) {
            screenshot_requested = 0;
            screenshot_on_signal(p, now);
        }
        if (diagnostics_requested) {
            diagnostics_requested = 0;
            show_diagnostics(p, now);
        }
        if (reload_requested) {
            reload_requested = 0;
            if (try_reload(p))
                return PLAYER_RELOAD;
        }
        if (p->dirty) {
            render(p, now, NULL);
            service_ready(p->service);
        }
        wake = fmin(wake, service_watchdog(p->service, now));

        wake = fmin(wake, shot_at);
        int timeout_ms = (int)ceil((wake - now_s()) * 1000);
        if (timeout_ms < 1)
            timeout_ms = 1;
        SDL_Event ev;
        if (SDL_WaitEventTimeout(&ev, timeout_ms)) {
            do {
                if (!handle_event(p, &ev, windowed))
                    return 0;
            } while (SDL_PollEvent(&ev));
        }
    }
}

/* Releases schedules published but never adopted (still queued). */
static void drop_published(struct player *p)
{
    SDL_Event ev;
    while (p->sync_event &&
           SDL_PeepEvents(&ev, 1, SDL_GETEVENT, p->sync_event, p->sync_event) == 1)
        manifest_unref(ev.user.data1);
    while (p->alerts_event &&
           SDL_PeepEvents(&ev, 1, SDL_GETEVENT, p->alerts_event, p->alerts_event) == 1)
        alerts_free(ev.user.data1);
}

static bool media_init(void)
{
    if (SDL_Init(SDL_INIT_VIDEO | SDL_INIT_EVENTS) != 0) {
        log_error("cannot start SDL video: %s (no display? try SDL_VIDEODRIVER=offscreen "
                  "for headless use)", SDL_GetError());
        return false;
    }
    int want = IMG_INIT_JPG | IMG_INIT_PNG | IMG_INIT_WEBP;
    int have = IMG_Init(want);
    if ((have & want) != want)
        log_warn("some image formats are unavailable: %s", IMG_GetError());
    if (TTF_Init() != 0) {
        log_error("cannot start SDL_ttf: %s", TTF_GetError());
        return false;
    }
    return true;
}

static void media_quit(void)
{
    TTF_Quit();
    IMG_Quit();
    SDL_Quit();
}

int player_run(const struct config *cfg, const struct player_options *opts)
{
    struct player p = {.cfg = cfg, .crossfade = cfg->crossfade_ms / 1000.0};
    int status = 1;
    char *demo_url = NULL;
    struct text_fonts *fonts = NULL;

    struct sigaction sa = {.sa_handler = on_signal};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGUSR1, &sa, NULL);
    sigaction(SIGUSR2, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    /* The display commands run in the background; nobody waits for them. */
    signal(SIGCHLD, SIG_IGN);

    /* A reload appends to the trace the first run started. */
    static bool traced;
    process_s();
    if (opts->trace) {
        p.trace = fopen(opts->trace, traced ? "a" : "w");
        traced = true;
        if (!p.trace) {
            log_error("cannot write the frame trace %s: %s", opts->trace, strerror(errno));
            return 1;
        }
        setvbuf(p.trace, NULL, _IOLBF, 0);
    }
    if (!media_init())
        goto out_media;
    p.cache_dir = paths_cache_dir(cfg);
    p.service = service_create(p.cache_dir);

    const char *url = cfg->schedule_url;
    if (!url || !url[0]) {
        demo_url = paths_demo_manifest();
        if (!demo_url)
            log_error("no schedule configured and the bundled demo is not installed");
        url = demo_url;
    }

    p.display = display_create(cfg, opts->windowed);
    if (!p.display)
        goto out_media;
    video_init_logging();
    p.audio = audio_create(cfg->audio, cfg->volume);

    fonts = text_fonts_create(cfg->font_regular, cfg->font_bold);
    p.wake_event = SDL_RegisterEvents(1);
    struct content_ctx ctx = {
        .fonts = fonts,
        .min_px = cfg->font_min_size,
        .max_texture = p.display->max_texture,
    };
    p.loader = loader_create(ctx, cfg->fallback_image, cfg->device_id, p.wake_event);
    if (!p.loader)
        goto out_display;
    struct overlay_params op = {
        .display = p.display,
        .loader = p.loader,
        .ticker_zone = strcmp(cfg->ticker_zone, "upper") == 0 || cfg->split >= 1.0
                           ? ZONE_UPPER
                           : ZONE_LOWER,
        .ticker_speed = cfg->ticker_speed,
        .tickets = &p.tickets,
        .dirty = &p.dirty,
        .manifest = &p.manifest,
        .audio = p.audio,
        .hwdec = cfg->video_hwdec,
        .wake_event = p.wake_event,
    };
    p.overlay = overlay_create(&op);
    if (!p.overlay)
        goto out_zones;

    p.url = url;
    p.sync_event = SDL_RegisterEvents(1);
    schedule_clock_init(&p.clock);
    if (p.cache_dir && asprintf(&p.clock_path, "%s/clock", p.cache_dir) < 0)
        p.clock_path = NULL;
    if (p.clock_path)
        schedule_clock_load(&p.clock, p.clock_path);
    p.sched_time = time(NULL);
    if (url && source_is_http(url)) {
        /* The sync thread hands over the cached schedule at once, then
         * whatever the server has. */
        p.sync = sync_create(cfg, p.cache_dir, on_publish, &p);
        if (!p.sync)
            log_error("cannot start the network thread for %s", url);
    } else if (url) {
        char *path = manifest_resolve_path(url, url);
        if (!path || stat(path, &p.file_seen) != 0)
            memset(&p.file_seen, 0, sizeof(p.file_seen));
        free(path);
        p.manifest = load_manifest(url, cfg);
        if (p.manifest)
            expand_placeholders(&p, p.manifest);
        p.next_file_check = now_s() + cfg->poll_seconds;
        if (!p.manifest)
            log_warn("no usable schedule; every zone shows the fallback");
    }
    if (!zones_init(&p))
        goto out_zones;
    p.alerts_event = SDL_RegisterEvents(1);
    if (cfg->alerts_url[0] && p.cache_dir) {
        struct feed_params fp = {
            .name = "alerts",
            .url = cfg->alerts_url,
            .poll_seconds = cfg->alerts_poll_seconds,
            .store_dir = p.cache_dir,
            .store_name = "alerts.json",
            .max_bytes = ALERTS_MAX_BYTES,
            .parse = parse_alerts,
            .publish = on_alerts,
            .files = alert_files,
            .ud = &p,
        };
        p.alerts_feed = feed_create(&fp, cfg);
    }

    /* A kiosk shows who and where it is when it comes up; a developer's
     * window does not. */
    if (cfg->fullscreen && !opts->windowed)
        show_diagnostics(&p, now_s());
    status = run_loop(&p, opts);
    if (status == PLAYER_RELOAD && opts->reloaded)
        *opts->reloaded = p.reloaded;

out_zones:
    /* The sync thread stops first so that nothing new arrives; then the
     * loader, which may still hold manifest references and use the fonts. */
    sync_destroy(p.sync);
    feed_destroy(p.alerts_feed);
    drop_published(&p);
    for (int i = 0; i < MAX_SEEN_INSERTS; i++)
        free(p.seen_inserts[i]);
    for (int i = 0; i < MAX_WARNINGS; i++)
        free(p.warnings[i]);
    loader_destroy(p.loader);
    overlay_destroy(p.overlay);
    zones_finish(&p);
    manifest_unref(p.manifest);
out_display:
    text_fonts_destroy(fonts);
    audio_destroy(p.audio);
    /* A monitor left in standby would stay dark through a reload, or
     * behind whatever takes the console after the player. */
    if (p.display)
        switch_monitors(&p, true);
    display_destroy(p.display);
out_media:
    if (p.clock_path)
        schedule_clock_save(&p.clock, p.clock_path);
    free(p.clock_path);
    service_destroy(p.service);
    free(p.cache_dir);
    free(demo_url);
    media_quit();
    if (p.trace)
        fclose(p.trace);
    return status;
}
