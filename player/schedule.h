/*
 * Scheduling: which items and playlists are valid on this terminal, now.
 *
 * A manifest serves a whole district. Each item and playlist may carry a
 * "when" rule (dates, days of the week, daily time windows, all in the
 * device's local wall-clock time) and a "where" rule (include and exclude
 * lists matched against the device id and its tags). This module parses
 * those rules, evaluates them, picks the playlist a zone plays, expands
 * {device.id} and {tag.NAME} placeholders, and decides whether the system
 * clock can be trusted at all. It is pure logic: no SDL, no network.
 * docs/scheduling.md describes the rules for operators.
 *
 * A zeroed struct schedule_when, schedule_where or schedule_rules is the
 * rule "always, everywhere", so items without rules need no set-up.
 */
#ifndef LIANBO_SCHEDULE_H
#define LIANBO_SCHEDULE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "config/config.h"

/* ---- Parsing ---- */

/*
 * Rules are read from a manifest checked with player/jcheck.h, so that
 * problems say "URL:LINE:COL: PATH: message": schedule_when_check(),
 * schedule_where_check() and schedule_rules_check() below.
 *
 * Callers that hold only the JSON value, not the text it came from (tests,
 * fuzzing), use the *_parse() functions with this instead; their problems
 * say where by path alone. One per parse, shared by every call, so the
 * counts and the caps span the whole document.
 */
struct schedule_parse {
    const char *url;   /* starts every error line and warning; the manifest's */
    FILE *err;         /* error lines "URL: PATH: message"; may be NULL */
    int n_errors;      /* problems found so far; calls add to it */
    int max_reported;  /* no lines are written once N_ERRORS passes this;
                        * 0 means no cap */
    int n_warned;      /* unknown-key warnings logged so far (capped) */
};

struct jcheck;

/* ---- When ---- */

/* Windows per rule; a day split into hourly slots fits. */
#define SCHEDULE_MAX_WINDOWS 24

struct schedule_window {
    int16_t from;   /* minutes after local midnight, 0..1439 */
    int16_t to;     /* the same; TO < FROM crosses midnight, TO == FROM is
                     * the whole day */
};

/*
 * A plain value: copy it with '=', nothing to free. Days are counted from
 * 1970-01-01 in the calendar, not in seconds, so DST never shifts them.
 */
struct schedule_when {
    bool never;            /* holds a key this player does not understand */
    bool has_from, has_to;
    int32_t date_from;     /* first day (inclusive), if HAS_FROM */
    int32_t date_to;       /* last day (inclusive), if HAS_TO */
    uint8_t days;          /* bit N: weekday N plays (0 = Sunday), 0 = every day */
    uint8_t n_windows;     /* 0: all day */
    struct schedule_window windows[SCHEDULE_MAX_WINDOWS];
};

/*
 * Parses the "when" value V found at PATH (such as
 * "zones.upper.items[2].when"). On a problem reports it to SP, leaves *OUT
 * as "always" and returns false. A key the player does not know is not an
 * error: it is logged as a warning and the rule becomes "never", because
 * a restriction that cannot be honoured must not widen what plays.
 */
bool schedule_when_parse(struct schedule_parse *sp, json_t *v, const char *path,
                         struct schedule_when *out);

/* The same for V, the value at C's current path; unknown-key warnings are
 * counted in C->n_warned and capped per document. */
bool schedule_when_check(struct jcheck *c, json_t *v, struct schedule_when *out);

/* Whether W holds at T in the process's time zone (see
 * schedule_set_timezone()). */
bool schedule_when_active(const struct schedule_when *w, time_t t);

/*
 * A time after T no later than the next instant at which
 * schedule_when_active(W, ...) may change: a window's edge, local midnight
 * or a change of the zone's UTC offset (daylight saving), whichever comes
 * first. Never more than a day ahead, so a player that sleeps until then
 * and asks again misses no change.
 */
time_t schedule_when_next_change(const struct schedule_when *w, time_t t);

/* ---- Where ---- */

/* One key of an include or exclude list: a tag name, or "device" for the
 * device id, and the values it may (or may not) have. */
struct schedule_match {
    char *key;
    char **values;
    size_t n_values;
};

struct schedule_where {
    bool never;            /* holds a key this player does not understand */
    struct schedule_match *include;
    size_t n_include;
    struct schedule_match *exclude;
    size_t n_exclude;
};

/*
 * Parses the "where" value V found at PATH, as schedule_when_parse() does.
 * On success *OUT owns what it holds: free it with schedule_where_finish().
 * On failure *OUT is "everywhere" and holds nothing.
 */
bool schedule_where_parse(struct schedule_parse *sp, json_t *v, const char *path,
                          struct schedule_where *out);
bool schedule_where_check(struct jcheck *c, json_t *v, struct schedule_where *out);

/* A deep copy of SRC into *DST; false (and *DST holding nothing) when out
 * of memory. */
bool schedule_where_copy(struct schedule_where *dst, const struct schedule_where *src);

/* Frees what W holds and leaves it "everywhere". */
void schedule_where_finish(struct schedule_where *w);

/*
 * Whether W selects the device CFG describes (its device_id and tags).
 * Include: for every key listed, the device's value must be one of those
 * listed; a missing tag matches nothing. Exclude: any listed key whose
 * value is among those listed leaves the device out.
 */
bool schedule_where_matches(const struct schedule_where *w, const struct config *cfg);

/* ---- Rules: both, as items and playlists carry them ---- */

struct schedule_rules {
    struct schedule_when when;
    struct schedule_where where;
};

/*
 * Reads the optional "when" and "where" keys of the item or playlist object
 * OBJ found at PATH. The caller still owns OBJ and should count "when" and
 * "where" among the keys it knows. On success free *OUT with
 * schedule_rules_finish(); on failure it holds nothing.
 */
bool schedule_rules_parse(struct schedule_parse *sp, json_t *obj, const char *path,
                          struct schedule_rules *out);
bool schedule_rules_check(struct jcheck *c, json_t *obj, struct schedule_rules *out);
bool schedule_rules_copy(struct schedule_rules *dst, const struct schedule_rules *src);
void schedule_rules_finish(struct schedule_rules *r);

/* Whether R holds for the device CFG at T. */
bool schedule_rules_hold(const struct schedule_rules *r, const struct config *cfg, time_t t);

/* ---- Picking a zone's playlist ---- */

/* Whether the caller can show ITEM at all (its media is ready, say). */
typedef bool schedule_playable_fn(const void *item, void *ctx);

/*
 * One of a zone's playlists, as the caller stores it. The items are the
 * caller's own structures: item I starts at (const char *)ITEMS +
 * I * ITEM_SIZE and holds its struct schedule_rules at RULES_OFFSET, so
 * the rules can live inside the manifest's items (use sizeof and offsetof).
 */
struct schedule_list {
    int priority;                       /* the zone's own "items": 0 */
    const struct schedule_rules *rules; /* the playlist's; NULL: none */
    const void *items;
    size_t n_items;
    size_t item_size;
    size_t rules_offset;
};

/* The rules of item I of L. */
const struct schedule_rules *schedule_list_item_rules(const struct schedule_list *l,
                                                      size_t i);

/* Whether item I of L may play for CFG at T: its playlist's rules and its
 * own hold. Playability is the caller's business. */
bool schedule_list_item_valid(const struct schedule_list *l, size_t i,
                              const struct config *cfg, time_t t);

/*
 * The index in LISTS of the playlist the zone plays at T: the one of
 * highest priority whose rules hold and which has at least one valid item
 * that PLAYABLE accepts (NULL accepts all). Ties go to the one listed
 * first. -1 when none qualifies: the zone shows its fallback.
 */
long schedule_pick(const struct schedule_list *lists, size_t n, const struct config *cfg,
                   time_t t, schedule_playable_fn *playable, void *ctx);

/* The earliest schedule_when_next_change() after T over every playlist and
 * item of LISTS: when the zone must look again. */
time_t schedule_lists_next_change(const struct schedule_list *lists, size_t n, time_t t);

/* ---- Placeholders ---- */

/* Longest name quoted back in struct schedule_expand_notes, in bytes. */
#define SCHEDULE_NOTE_MAX 64

/* What an expansion could not do, for the caller to log once. */
struct schedule_expand_notes {
    unsigned missing;   /* {tag.NAME} with no such tag: expanded to "" */
    unsigned unknown;   /* {NAME} that is no placeholder: left as written */
    char first_missing[SCHEDULE_NOTE_MAX]; /* NAME of the first missing tag */
    char first_unknown[SCHEDULE_NOTE_MAX]; /* the first unknown, braces and all */
};

/*
 * Expands IN for the device CFG: {device.id} and {tag.NAME} become their
 * values, "{{" and "}}" become "{" and "}". Braces around anything but a
 * name of letters, digits and "._-" (such as JSON) are plain text. With
 * URL_ENCODE each expanded value is percent-encoded (RFC 3986: all but
 * letters, digits and "-._~"), for values inside a URL's query; the rest
 * of IN is kept as written. NOTES may be NULL. On success *OUT is a new
 * string the caller frees; false only when out of memory.
 */
bool schedule_expand(const char *in, const struct config *cfg, bool url_encode, char **out,
                     struct schedule_expand_notes *notes);

/* ---- Time the player can trust ---- */

/*
 * How far, in seconds, the clock may read behind a time known to have
 * passed before it counts as wrong: NTP steps, a manifest published on a
 * machine whose clock is a little ahead, a second lost in rounding.
 */
#define SCHEDULE_CLOCK_SLACK_S 300

/* How far, in seconds, the clock may read ahead of a server's Date reading
 * and still count as confirmed by it (the reading may be a poll old, and a
 * cache may serve an older reply). */
#define SCHEDULE_CLOCK_CONFIRM_S 86400

enum schedule_trust {
    SCHEDULE_TRUSTED,
    SCHEDULE_UNTRUSTED,
};

struct schedule_clock {
    time_t last_trusted;  /* persisted: the latest time known to be right
                           * (a trusted clock reading or a server's Date) */
    time_t known;         /* the latest time known to have passed: also
                           * counts publication times; not persisted */
    enum schedule_trust trust; /* as of the last check */
    bool checked;         /* a check has happened (for logging changes) */
};

/* Sets C to "nothing known yet": the first check decides. */
void schedule_clock_init(struct schedule_clock *c);

/*
 * Judges the system clock reading NOW. PUBLISHED is the manifest's
 * publication time and SERVER_DATE the latest Date a server sent, each 0
 * when unknown. NOW is untrusted when it reads more than
 * SCHEDULE_CLOCK_SLACK_S behind any of the last trusted time, PUBLISHED or
 * SERVER_DATE, unless a server's Date confirms it (NOW within
 * [SERVER_DATE - slack, SERVER_DATE + SCHEDULE_CLOCK_CONFIRM_S]), which
 * also repairs a last trusted time that a clock once set in the future left
 * behind. A trusted NOW becomes the last trusted time. Changes of state are
 * logged once each.
 */
enum schedule_trust schedule_clock_check(struct schedule_clock *c, time_t now,
                                         time_t published, time_t server_date);

/* The time to evaluate schedules at: NOW while the last check trusted the
 * clock, else the latest time known to have passed. */
time_t schedule_clock_effective(const struct schedule_clock *c, time_t now);

/*
 * Reads the last trusted time saved at PATH into C. A missing file is no
 * error (nothing was saved yet: C stays as it is); an unreadable or
 * damaged one is logged and gives false, C unchanged.
 */
bool schedule_clock_load(struct schedule_clock *c, const char *path);

/* Saves the last trusted time to PATH atomically (a temporary file,
 * fsync, rename), so a power cut leaves the old file or the new one.
 * Failures are logged. */
bool schedule_clock_save(const struct schedule_clock *c, const char *path);

/*
 * Reads an RFC 3339 time such as "2026-05-03T10:00:00+08:00" or
 * "2026-05-03T02:00:00Z" (seconds and fractions optional), as a manifest's
 * publication time may be written. False when S is not one.
 */
bool schedule_parse_timestamp(const char *s, time_t *out);

/* ---- Time zone ---- */

/*
 * Makes TZ, an IANA name such as "Asia/Shanghai", the process's time zone
 * (sets the TZ environment variable and calls tzset()). "" keeps the
 * system's. False with a reason in WHY when no such zone is installed
 * under /usr/share/zoneinfo. Call it before starting threads: changing the
 * environment while another thread reads the local time is unsafe.
 */
bool schedule_set_timezone(const char *tz, char *why, size_t why_len);

#endif
