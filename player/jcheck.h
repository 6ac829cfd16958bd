/*
 * Checking JSON documents from outside (alerts, schedules) field by field,
 * with errors that say where: "URL:LINE:COL: alerts[2].level: must be ...".
 *
 * jansson keeps no positions for values, so a failed check finds its
 * value's line and column again by scanning the original text along the
 * JSON path of the value being checked.
 */
#ifndef LIANBO_JCHECK_H
#define LIANBO_JCHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include <jansson.h>

#define JCHECK_MAX_DEPTH 16

enum jfield {
    JFIELD_ABSENT,
    JFIELD_OK,
    JFIELD_BAD, /* present but wrong; already reported */
};

struct jcheck_seg {
    const char *key; /* NULL for an array index */
    size_t index;
};

struct jcheck {
    const char *url;
    const char *text;
    size_t len;
    FILE *err;
    int n_errors;
    struct jcheck_seg segs[JCHECK_MAX_DEPTH];
    int depth;
};

/* Prepares to check the LEN bytes of TEXT read from URL; problems go to
 * ERR, which may be NULL. */
void jcheck_init(struct jcheck *c, const char *url, const char *text, size_t len, FILE *err);

/*
 * Parses the text. On a syntax error reports "URL:LINE:COL: syntax error:
 * ..." (with a hint when it looks like an HTML page) and returns NULL.
 */
json_t *jcheck_load(struct jcheck *c);

/* Steps into member KEY or element INDEX of the value being checked;
 * jcheck_leave() steps back out. */
void jcheck_enter_key(struct jcheck *c, const char *key);
void jcheck_enter_index(struct jcheck *c, size_t index);
void jcheck_leave(struct jcheck *c);

/* Reports a problem with member KEY of the current value (or the value
 * itself when KEY is NULL). */
void jcheck_fail(struct jcheck *c, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* A short, printable rendering of V for messages ("got 42"). */
const char *jcheck_describe(const json_t *v, char *buf, size_t cap);

/* Member KEY of OBJ as a string of at most MAX bytes (non-empty if asked).
 * *OUT points into OBJ. */
enum jfield jcheck_string(struct jcheck *c, json_t *obj, const char *key, size_t max,
                          bool nonempty, const char **out);

/* The same, copied: *OUT is malloc'd and the caller frees it. */
enum jfield jcheck_take_string(struct jcheck *c, json_t *obj, const char *key, size_t max,
                               bool nonempty, char **out);

/* Member KEY as a whole number within [MIN, MAX]. */
enum jfield jcheck_integer(struct jcheck *c, json_t *obj, const char *key, int64_t min,
                           int64_t max, int64_t *out);

/* Member KEY as an RFC 3339 time ("2026-12-04T15:00:00+08:00" or "...Z"). */
enum jfield jcheck_time(struct jcheck *c, json_t *obj, const char *key, time_t *out);

/* Member KEY as one of NAMES (NULL-terminated); *OUT is its index. */
enum jfield jcheck_choice(struct jcheck *c, json_t *obj, const char *key,
                          const char *const *names, int *out);

/* Parses an RFC 3339 time; false when S is not one. */
bool jcheck_parse_time(const char *s, time_t *out);

/*
 * Finds the line and column (1-based) where the value at the path
 * SEGS[0..DEPTH) starts in TEXT. False when the path is not there.
 */
bool jcheck_locate(const char *text, size_t len, const struct jcheck_seg *segs, int depth,
                   int *line, int *col);

#endif
