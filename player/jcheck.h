/*
 * Checking JSON documents from outside (alerts, manifests and their rules)
 * field by field, with errors that say where:
 * "URL:LINE:COL: alerts[2].level: must be ...".
 *
 * jansson keeps no positions for values, so a failed check (or a warning)
 * finds its value's line and column again by scanning the original text
 * along the JSON path of the value being checked. A document without
 * problems is never scanned twice.
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
    int max_reported; /* problems written out, the rest only counted; 0: 100 */
    bool exact;       /* quote values back with jcheck_describe_exact() */
    int n_warned;     /* warnings given, for callers that cap them */
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

/* Reports that V, member KEY of the current value (or the value itself
 * when KEY is NULL), is of the wrong kind: "must be WHAT, got V". */
void jcheck_fail_type(struct jcheck *c, const char *key, const char *what, const json_t *v);

/* Reports that member KEY of the current object is required but absent;
 * the line and column are the object's. */
void jcheck_missing(struct jcheck *c, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Reports a problem that belongs to no value (syntax, memory): "URL:LINE:COL: ..."
 * when LINE > 0, else "URL: ...". Counted and capped like the others. */
void jcheck_report(struct jcheck *c, int line, int col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/*
 * Writes where member KEY of the current value (the value itself when KEY
 * is NULL) is into BUF: "URL:LINE:COL: PATH", or "URL: PATH" when it cannot
 * be found. For warnings, which callers log under their own module name.
 * Scans the text: call it only when the warning is shown. Returns BUF.
 */
const char *jcheck_where(struct jcheck *c, const char *key, char *buf, size_t cap);

/* A short, printable rendering of V for messages ("got 42"). */
const char *jcheck_describe(const json_t *v, char *buf, size_t cap);

/* The same, exact: strings quoted with escapes (\n, \", \u001b), real
 * numbers in as many digits as it takes to read back the same value.
 * With C->exact set, the field checks below quote values this way. */
const char *jcheck_describe_exact(const json_t *v, char *buf, size_t cap);

/*
 * Copies S into DST (CAP bytes) so that it prints as part of one line:
 * control characters and broken UTF-8 become escapes, and with QUOTED so
 * do '"' and '\'. Stops with "..." after MAX bytes of S or when DST is full.
 */
void jcheck_escape(char *dst, size_t cap, const char *s, size_t max, bool quoted);

/* Whether S is one of NAMES (NULL-terminated), as for checking an
 * object's keys against the ones a reader knows. */
bool jcheck_is_one_of(const char *s, const char *const *names);

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
