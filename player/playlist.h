/*
 * A zone's rotation: which item comes next, and which items are set aside
 * because they failed. A failed item is retried after a pause that doubles
 * with every failure, so a file the operator fixes comes back by itself
 * while a broken one costs almost nothing. Pure logic, no SDL.
 */
#ifndef LIANBO_PLAYLIST_H
#define LIANBO_PLAYLIST_H

#include <stdbool.h>
#include <stddef.h>

/* First pause before a failed item is tried again, and the longest. */
#define PLAYLIST_RETRY_FIRST_S 30.0
#define PLAYLIST_RETRY_MAX_S 600.0

struct playlist_entry {
    unsigned failures;
    double retry_at; /* seconds, same clock as the caller's NOW */
    bool held;       /* left out for now: media still downloading, or not
                      * scheduled at this hour; not a failure */
};

struct playlist {
    size_t n;
    struct playlist_entry *entries;
};

/* Sets up a rotation of N items; false when out of memory. */
bool playlist_init(struct playlist *pl, size_t n);
void playlist_finish(struct playlist *pl);

/*
 * The item after AFTER (or the first when AFTER is n) in rotation order
 * that may be tried at NOW, wrapping around; -1 when none may.
 */
long playlist_next(const struct playlist *pl, size_t after, double now);

/* Records that item I failed at NOW; returns true on its first failure in
 * a row, the one worth a warning in the log. */
bool playlist_failed(struct playlist *pl, size_t i, double now);

/* Leaves item I out of the rotation, or lets it back in. */
void playlist_hold(struct playlist *pl, size_t i, bool held);

/* Records that item I played; clears its failures. */
void playlist_succeeded(struct playlist *pl, size_t i);

/* The earliest time a set-aside item may be tried again; 0 when none is
 * set aside. */
double playlist_next_retry(const struct playlist *pl);

#endif
