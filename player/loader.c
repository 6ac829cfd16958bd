#define LOG_MODULE "loader"
#include "player/loader.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "player/log.h"

struct job_node {
    struct loader_job job;
    struct job_node *next;
};

struct result_node {
    struct loader_result res;
    struct result_node *next;
};

struct loader {
    SDL_Thread *thread;
    SDL_mutex *lock;
    SDL_cond *wake;
    bool quit;
    struct job_node *jobs, **jobs_tail;
    struct result_node *results, **results_tail;

    struct content_ctx ctx;
    char *fallback_image;
    char *name;
    Uint32 wake_event;
};

static void run_job(struct loader *loader, const struct loader_job *job,
                    struct loader_result *res)
{
    res->job = *job;
    const struct manifest_item *own = job->manifest && job->kind == LOADER_FALLBACK
                                          ? job->manifest->zones[job->zone].fallback
                                          : NULL;
    if (own) {
        /* The schedule's own fallback item; the neutral one if it fails. */
        char why[256];
        res->ok = content_render(&loader->ctx, own, job->w, job->h, &res->content, why,
                                 sizeof(why));
        if (res->ok)
            return;
        log_warn("%s: fallback item %s unusable: %s", manifest_zone_name(job->zone), own->id,
                 why);
    }
    if (job->kind == LOADER_FALLBACK) {
        res->ok = content_render_fallback(&loader->ctx, loader->fallback_image, loader->name,
                                          job->w, job->h, &res->content);
        if (!res->ok)
            snprintf(res->why, sizeof(res->why), "cannot draw the fallback");
        return;
    }
    if (job->kind == LOADER_TICKER) {
        res->ok = content_render_strip(&loader->ctx, job->text, job->h, &res->content);
        if (!res->ok)
            snprintf(res->why, sizeof(res->why), "cannot draw the ticker text");
        return;
    }
    const struct manifest_item *item = job->kind == LOADER_CARD
                                           ? job->card
                                           : &job->manifest->zones[job->item_zone].items[job->item];
    Uint64 t0 = SDL_GetTicks64();
    struct content_ctx ctx = loader->ctx;
    /* An alert's card is read from across a lobby: its type starts twice
     * as large as a notice's and shrinks only as far as it must. */
    if (job->kind == LOADER_CARD)
        ctx.text_scale = 2.0;
    if (job->kind == LOADER_CARD && (job->image || job->media_box)) {
        res->ok = content_render_card(&ctx, item, job->image, job->w, job->h, &res->content,
                                      &res->box, res->why, sizeof(res->why));
        if (res->ok)
            return;
        /* The words matter more than the picture: they show without it. */
        log_warn("alert %s: %s; its card shows the words only", item->id, res->why);
        res->box = (SDL_Rect){0};
    }
    res->ok = content_render(&ctx, item, job->w, job->h, &res->content, res->why,
                             sizeof(res->why));
    log_debug("%s: item %s prepared in %llu ms", manifest_zone_name(job->zone), item->id,
              (unsigned long long)(SDL_GetTicks64() - t0));
}

static int loader_main(void *data)
{
    struct loader *loader = data;
    SDL_LockMutex(loader->lock);
    for (;;) {
        while (!loader->quit && !loader->jobs)
            SDL_CondWait(loader->wake, loader->lock);
        if (loader->quit)
            break;
        struct job_node *node = loader->jobs;
        loader->jobs = node->next;
        if (!loader->jobs)
            loader->jobs_tail = &loader->jobs;
        SDL_UnlockMutex(loader->lock);

        struct result_node *out = calloc(1, sizeof(*out));
        if (out) {
            run_job(loader, &node->job, &out->res);
        } else {
            struct loader_result dropped = {.job = node->job};
            loader_result_finish(&dropped);
        }
        free(node);

        SDL_LockMutex(loader->lock);
        if (out) {
            *loader->results_tail = out;
            loader->results_tail = &out->next;
            SDL_Event ev = {.type = loader->wake_event};
            SDL_PushEvent(&ev);
        }
    }
    SDL_UnlockMutex(loader->lock);
    return 0;
}

struct loader *loader_create(struct content_ctx ctx, const char *fallback_image,
                             const char *name, Uint32 wake_event)
{
    struct loader *loader = calloc(1, sizeof(*loader));
    if (!loader)
        return NULL;
    loader->ctx = ctx;
    loader->wake_event = wake_event;
    loader->jobs_tail = &loader->jobs;
    loader->results_tail = &loader->results;
    loader->fallback_image = strdup(fallback_image ? fallback_image : "");
    loader->name = strdup(name ? name : "lianbo");
    loader->lock = SDL_CreateMutex();
    loader->wake = SDL_CreateCond();
    if (!loader->fallback_image || !loader->name || !loader->lock || !loader->wake)
        goto fail;
    loader->thread = SDL_CreateThread(loader_main, "lianbo-loader", loader);
    if (!loader->thread) {
        log_error("cannot start the loader thread: %s", SDL_GetError());
        goto fail;
    }
    return loader;

fail:
    loader_destroy(loader);
    return NULL;
}

void loader_destroy(struct loader *loader)
{
    if (!loader)
        return;
    if (loader->thread) {
        SDL_LockMutex(loader->lock);
        loader->quit = true;
        SDL_CondSignal(loader->wake);
        SDL_UnlockMutex(loader->lock);
        SDL_WaitThread(loader->thread, NULL);
    }
    while (loader->jobs) {
        struct job_node *next = loader->jobs->next;
        struct loader_result dropped = {.job = loader->jobs->job};
        loader_result_finish(&dropped);
        free(loader->jobs);
        loader->jobs = next;
    }
    while (loader->results) {
        struct result_node *next = loader->results->next;
        loader_result_finish(&loader->results->res);
        free(loader->results);
        loader->results = next;
    }
    if (loader->wake)
        SDL_DestroyCond(loader->wake);
    if (loader->lock)
        SDL_DestroyMutex(loader->lock);
    free(loader->fallback_image);
    free(loader->name);
    free(loader);
}

bool loader_submit(struct loader *loader, const struct loader_job *job)
{
    struct job_node *node = calloc(1, sizeof(*node));
    if (!node) {
        struct loader_result dropped = {.job = *job};
        loader_result_finish(&dropped);
        return false;
    }
    node->job = *job;
    SDL_LockMutex(loader->lock);
    *loader->jobs_tail = node;
    loader->jobs_tail = &node->next;
    SDL_CondSignal(loader->wake);
    SDL_UnlockMutex(loader->lock);
    return true;
}

bool loader_take(struct loader *loader, struct loader_result *out)
{
    SDL_LockMutex(loader->lock);
    struct result_node *node = loader->results;
    if (node) {
        loader->results = node->next;
        if (!loader->results)
            loader->results_tail = &loader->results;
    }
    SDL_UnlockMutex(loader->lock);
    if (!node)
        return false;
    *out = node->res;
    free(node);
    return true;
}

void loader_result_finish(struct loader_result *res)
{
    manifest_unref(res->job.manifest);
    res->job.manifest = NULL;
    loader_card_destroy(res->job.card);
    res->job.card = NULL;
    free(res->job.text);
    res->job.text = NULL;
    free(res->job.image);
    res->job.image = NULL;
    content_finish(&res->content);
}

struct manifest_item *loader_card_create(enum item_type type, const char *id,
                                         const char *title, const char *body, const char *qr,
                                         struct color fg, struct color bg)
{
    struct manifest_item *card = calloc(1, sizeof(*card));
    if (!card)
        return NULL;
    card->type = type;
    card->fg = fg;
    card->bg = bg;
    card->duration = 1;
    card->id = strdup(id ? id : "card");
    card->title = title && title[0] ? strdup(title) : NULL;
    card->body = body && body[0] ? strdup(body) : NULL;
    card->qr = qr && qr[0] ? strdup(qr) : NULL;
    if (!card->id || (title && title[0] && !card->title) || (body && body[0] && !card->body) ||
        (qr && qr[0] && !card->qr)) {
        loader_card_destroy(card);
        return NULL;
    }
    return card;
}

void loader_card_destroy(struct manifest_item *card)
{
    if (!card)
        return;
    free(card->id);
    free(card->title);
    free(card->body);
    free(card->qr);
    free(card);
}
