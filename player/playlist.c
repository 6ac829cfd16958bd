#include "player/playlist.h"

#include <stdlib.h>

bool playlist_init(struct playlist *pl, size_t n)
{
    *pl = (struct playlist){.n = n};
    if (n == 0)
        return true;
    pl->entries = calloc(n, sizeof(*pl->entries));
    return pl->entries != NULL;
}

void playlist_finish(struct playlist *pl)
{
    free(pl->entries);
    *pl = (struct playlist){0};
}

static bool may_try(const struct playlist_entry *e, double now)
{
    return !e->held && (e->failures == 0 || now >= e->retry_at);
}

void playlist_hold(struct playlist *pl, size_t i, bool held)
{
    pl->entries[i].held = held;
}

long playlist_next(const struct playlist *pl, size_t after, double now)
{
    if (pl->n == 0)
        return -1;
    size_t start = after >= pl->n ? 0 : after + 1;
    for (size_t k = 0; k < pl->n; k++) {
        size_t i = (start + k) % pl->n;
        if (may_try(&pl->entries[i], now))
            return (long)i;
    }
    return -1;
}

bool playlist_failed(struct playlist *pl, size_t i, double now)
{
    struct playlist_entry *e = &pl->entries[i];
    double pause = PLAYLIST_RETRY_FIRST_S;
    for (unsigned k = 0; k < e->failures && pause < PLAYLIST_RETRY_MAX_S; k++)
        pause *= 2;
    if (pause > PLAYLIST_RETRY_MAX_S)
        pause = PLAYLIST_RETRY_MAX_S;
    e->failures++;
    e->retry_at = now + pause;
    return e->failures == 1;
}

void playlist_succeeded(struct playlist *pl, size_t i)
{
    pl->entries[i].failures = 0;
    pl->entries[i].retry_at = 0;
}

double playlist_next_retry(const struct playlist *pl)
{
    double earliest = 0;
    for (size_t i = 0; i < pl->n; i++) {
        const struct playlist_entry *e = &pl->entries[i];
        if (e->failures && (earliest == 0 || e->retry_at < earliest))
            earliest = e->retry_at;
    }
    return earliest;
}
