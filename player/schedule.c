#define LOG_MODULE "schedule"
#include "net/store.h"
#include "player/log.h"

#include "player/schedule.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "player/jcheck.h"

/* Longest tag value or device id in a "where" list, in bytes. Device ids
 * are at most 64 bytes; tags are short words such as building numbers. */
#define MAX_MATCH_VALUE 256

/* Unknown-key warnings logged per manifest; a typo repeated on every item
 * is worth a few lines, not hundreds. */
#define MAX_WARNINGS 8

/* Dates are accepted from the epoch to the last four-digit year. */
#define MIN_YEAR 1970
#define MAX_YEAR 9999

/* 9999-12-31T23:59:59Z: no schedule reaches past it, and stopping there
 * keeps every time_t sum below from overflowing. */
#define TIME_LIMIT ((time_t)253402300799)

/* Step, in seconds, when looking for a change of UTC offset. Time zones
 * change offset a few times a year at most, never twice within this. */
#define OFFSET_STEP_S 1800

#define SECONDS_PER_DAY 86400
#define MINUTES_PER_DAY 1440

static const char *const day_names[7] = {
    "sun", "mon", "tue", "wed", "thu", "fri", "sat",
};

/* ---- Calendar ---- */

static bool is_leap(long year)
{
    return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

static int days_in_month(long year, int month)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return month == 2 && is_leap(year) ? 29 : days[month - 1];
}

/* Days from 1970-01-01 to YEAR-MONTH-DAY, for years 1 and later. */
static int64_t day_number(long year, int month, int day)
{
    static const int before[12] = {0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334};
    long y = year - 1;
    int64_t n = 365 * (int64_t)y + y / 4 - y / 100 + y / 400;
    n += before[month - 1] + (month > 2 && is_leap(year)) + day - 1;
    return n - 719162; /* the same count for 1970-01-01 */
}

/* 0 = Sunday, as in struct tm; 1970-01-01 was a Thursday. */
static int weekday(int64_t day)
{
    return (int)(((day + 4) % 7 + 7) % 7);
}

/* ---- Problems ---- */

/* Room for a value quoted back in a message (jcheck cuts it to fit). */
#define GOT_SIZE 96

/* A restriction this player cannot read must not make an item play more
 * widely than meant, so the caller turns the rule into "never". */
static void warn_unknown(struct jcheck *c, const char *key)
{
    c->n_warned++;
    if (c->n_warned > MAX_WARNINGS || log_get_level() < LOG_WARN) {
        return;
    } else if (c->n_warned == MAX_WARNINGS) {
        log_warn("%s: more unknown keys in \"when\" and \"where\" rules, not listed", c->url);
        return;
    }
    char where[1024];
    log_warn("%s: unknown key; the rule it is in never holds, so what it belongs to stays "
             "off screen (a typo, or made for a newer player?)",
             jcheck_where(c, key, where, sizeof(where)));
}

/* Warns about each key of OBJ not in KNOWN; true when there was one. */
static bool check_keys(struct jcheck *c, json_t *obj, const char *const *known)
{
    bool unknown = false;
    const char *key;
    json_t *value;
    json_object_foreach(obj, key, value) {
        if (!jcheck_is_one_of(key, known)) {
            warn_unknown(c, key);
            unknown = true;
        }
    }
    return unknown;
}

static bool expect_object(struct jcheck *c, json_t *v, const char *example)
{
    char got[GOT_SIZE];
    if (json_is_object(v))
        return true;
    jcheck_fail(c, NULL, "must be an object such as %s, got %s", example,
                jcheck_describe_exact(v, got, sizeof(got)));
    return false;
}

/* ---- Parsing "when" ---- */

/* Reads "YYYY-MM-DD" into a day number; *WHY says what is wrong if not. */
static bool parse_date(const char *s, int32_t *out, const char **why)
{
    *why = "must be a date written YYYY-MM-DD";
    if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
        return false;
    int digits[8], n = 0;
    for (int i = 0; i < 10; i++) {
        if (i == 4 || i == 7)
            continue;
        if (s[i] < '0' || s[i] > '9')
            return false;
        digits[n++] = s[i] - '0';
    }
    long year = digits[0] * 1000 + digits[1] * 100 + digits[2] * 10 + digits[3];
    int month = digits[4] * 10 + digits[5];
    int day = digits[6] * 10 + digits[7];
    if (year < MIN_YEAR || year > MAX_YEAR) {
        *why = "must be a date from 1970 to 9999";
        return false;
    }
    if (month < 1 || month > 12) {
        *why = "has no such month (01 to 12)";
        return false;
    }
    if (day < 1 || day > days_in_month(year, month)) {
        *why = "has no such day in that month";
        return false;
    }
    *out = (int32_t)day_number(year, month, day);
    return true;
}

static bool parse_date_key(struct jcheck *c, json_t *obj, const char *key, bool *has,
                           int32_t *out)
{
    json_t *v = json_object_get(obj, key);
    char got[GOT_SIZE];
    const char *why = "must be a date written YYYY-MM-DD";
    if (!v)
        return true;
    if (json_is_string(v) && parse_date(json_string_value(v), out, &why)) {
        *has = true;
        return true;
    }
    jcheck_fail(c, key, "%s, got %s", why, jcheck_describe_exact(v, got, sizeof(got)));
    return false;
}

static void format_day(char *buf, size_t cap, int32_t day)
{
    time_t t = (time_t)day * SECONDS_PER_DAY;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, cap, "%Y-%m-%d", &tm);
}

static bool parse_dates(struct jcheck *c, json_t *v, struct schedule_when *out)
{
    static const char *const keys[] = {"from", "to", NULL};
    jcheck_enter_key(c, "dates");
    bool ok = expect_object(c, v, "{\"from\": \"2026-12-01\", \"to\": \"2026-12-31\"}");
    if (ok) {
        out->never |= check_keys(c, v, keys);
        ok = parse_date_key(c, v, "from", &out->has_from, &out->date_from);
        ok &= parse_date_key(c, v, "to", &out->has_to, &out->date_to);
    }
    if (ok && out->has_from && out->has_to && out->date_from > out->date_to) {
        char from[16], to[16];
        format_day(from, sizeof(from), out->date_from);
        format_day(to, sizeof(to), out->date_to);
        jcheck_fail(c, NULL, "\"from\" (%s) is after \"to\" (%s)", from, to);
        ok = false;
    }
    jcheck_leave(c);
    return ok;
}

static bool parse_days(struct jcheck *c, json_t *v, struct schedule_when *out)
{
    char got[GOT_SIZE];
    jcheck_enter_key(c, "days");
    bool ok = false;
    if (!json_is_array(v)) {
        jcheck_fail(c, NULL, "must be an array of days such as [\"sat\", \"sun\"], got %s",
                    jcheck_describe_exact(v, got, sizeof(got)));
        goto out;
    }
    if (json_array_size(v) == 0) {
        jcheck_fail(c, NULL, "must list at least one day (leave \"days\" out for every day)");
        goto out;
    }
    ok = true;
    size_t i;
    json_t *day;
    json_array_foreach(v, i, day) {
        int d = 0;
        while (d < 7 && !(json_is_string(day) &&
                          strcasecmp(json_string_value(day), day_names[d]) == 0))
            d++;
        if (d < 7) {
            out->days |= (uint8_t)(1u << d);
            continue;
        }
        jcheck_enter_index(c, i);
        jcheck_fail(c, NULL, "must be one of mon, tue, wed, thu, fri, sat, sun, got %s",
                    jcheck_describe_exact(day, got, sizeof(got)));
        jcheck_leave(c);
        ok = false;
    }
out:
    jcheck_leave(c);
    return ok;
}

/* Reads "HH:MM", 00:00 to 23:59, into minutes after midnight. */
static bool parse_clock(const char *s, int16_t *out)
{
    if (strlen(s) != 5 || s[2] != ':')
        return false;
    for (int i = 0; i < 5; i++) {
        if (i != 2 && (s[i] < '0' || s[i] > '9'))
            return false;
    }
    int hour = (s[0] - '0') * 10 + (s[1] - '0');
    int minute = (s[3] - '0') * 10 + (s[4] - '0');
    if (hour > 23 || minute > 59)
        return false;
    *out = (int16_t)(hour * 60 + minute);
    return true;
}

static bool parse_clock_key(struct jcheck *c, json_t *obj, const char *key, int16_t *out)
{
    json_t *v = json_object_get(obj, key);
    char got[GOT_SIZE];
    if (!v) {
        jcheck_missing(c, key, "required: a time written HH:MM");
        return false;
    }
    if (json_is_string(v) && parse_clock(json_string_value(v), out))
        return true;
    jcheck_fail(c, key, "must be a time written HH:MM, 00:00 to 23:59, got %s",
                jcheck_describe_exact(v, got, sizeof(got)));
    return false;
}

static bool parse_window(struct jcheck *c, json_t *v, struct schedule_when *out)
{
    static const char *const keys[] = {"from", "to", NULL};
    struct schedule_window *win = &out->windows[out->n_windows];
    if (!expect_object(c, v, "{\"from\": \"07:00\", \"to\": \"09:30\"}"))
        return false;
    out->never |= check_keys(c, v, keys);
    bool ok = parse_clock_key(c, v, "from", &win->from);
    ok &= parse_clock_key(c, v, "to", &win->to);
    out->n_windows++;
    return ok;
}

static bool parse_times(struct jcheck *c, json_t *v, struct schedule_when *out)
{
    char got[GOT_SIZE];
    jcheck_enter_key(c, "times");
    bool ok = false;
    if (!json_is_array(v)) {
        jcheck_fail(c, NULL, "must be an array of windows such as "
                    "[{\"from\": \"07:00\", \"to\": \"09:30\"}], got %s",
                    jcheck_describe_exact(v, got, sizeof(got)));
        goto out;
    }
    if (json_array_size(v) == 0) {
        jcheck_fail(c, NULL, "must list at least one window (leave \"times\" out for all day)");
        goto out;
    }
    if (json_array_size(v) > SCHEDULE_MAX_WINDOWS) {
        jcheck_fail(c, NULL, "must list at most %d windows, got %zu", SCHEDULE_MAX_WINDOWS,
                    json_array_size(v));
        goto out;
    }
    ok = true;
    size_t i;
    json_t *window;
    json_array_foreach(v, i, window) {
        jcheck_enter_index(c, i);
        ok &= parse_window(c, window, out);
        jcheck_leave(c);
    }
out:
    jcheck_leave(c);
    return ok;
}

static bool when_parse(struct jcheck *c, json_t *v, struct schedule_when *out)
{
    static const char *const keys[] = {"dates", "days", "times", NULL};
    if (!expect_object(c, v, "{\"days\": [\"sat\", \"sun\"]}"))
        return false;
    out->never |= check_keys(c, v, keys);
    bool ok = true;
    json_t *part;
    if ((part = json_object_get(v, "dates")))
        ok &= parse_dates(c, part, out);
    if ((part = json_object_get(v, "days")))
        ok &= parse_days(c, part, out);
    if ((part = json_object_get(v, "times")))
        ok &= parse_times(c, part, out);
    return ok;
}

bool schedule_when_check(struct jcheck *c, json_t *v, struct schedule_when *out)
{
    *out = (struct schedule_when){0};
    bool ok = when_parse(c, v, out);
    if (!ok)
        *out = (struct schedule_when){0};
    return ok;
}

/* ---- Parsing "where" ---- */

static void match_finish(struct schedule_match *m)
{
    for (size_t i = 0; i < m->n_values; i++)
        free(m->values[i]);
    free(m->values);
    free(m->key);
    *m = (struct schedule_match){0};
}

static void matches_free(struct schedule_match *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        match_finish(&list[i]);
    free(list);
}

static void fail_memory(struct jcheck *c)
{
    jcheck_fail(c, NULL, "out of memory");
}

/* Reads one key of an include or exclude list: V, the array of values. */
static bool parse_match(struct jcheck *c, const char *key, json_t *v, struct schedule_match *m)
{
    char got[GOT_SIZE];
    if (!key[0]) {
        jcheck_fail(c, NULL, "a tag name must not be empty");
        return false;
    }
    if (!json_is_array(v)) {
        jcheck_fail(c, NULL, "must be an array of strings such as [\"3\", \"5\"], got %s",
                    jcheck_describe_exact(v, got, sizeof(got)));
        return false;
    }
    m->key = strdup(key);
    m->values = calloc(json_array_size(v) + 1, sizeof(*m->values));
    if (!m->key || !m->values) {
        fail_memory(c);
        return false;
    }
    bool ok = true;
    size_t i;
    json_t *value;
    json_array_foreach(v, i, value) {
        jcheck_enter_index(c, i);
        if (!json_is_string(value)) {
            const char *hint = json_is_number(value) ? " (write \"3\", not 3)" : "";
            jcheck_fail(c, NULL, "must be a string%s, got %s", hint,
                        jcheck_describe_exact(value, got, sizeof(got)));
            ok = false;
        } else if (json_string_length(value) > MAX_MATCH_VALUE) {
            jcheck_fail(c, NULL, "must be at most %d bytes, got %zu", MAX_MATCH_VALUE,
                        json_string_length(value));
            ok = false;
        } else if (ok) {
            m->values[m->n_values] = strdup(json_string_value(value));
            if (!m->values[m->n_values]) {
                fail_memory(c);
                ok = false;
            } else {
                m->n_values++;
            }
        }
        jcheck_leave(c);
    }
    return ok;
}

/* Reads the "include" or "exclude" object V into *LIST. */
static bool parse_matches(struct jcheck *c, const char *name, json_t *v,
                          struct schedule_match **list, size_t *n)
{
    jcheck_enter_key(c, name);
    bool ok = false;
    if (!expect_object(c, v, "{\"building\": [\"3\", \"5\"]}"))
        goto out;
    ok = true;
    if (json_object_size(v) == 0)
        goto out;
    *list = calloc(json_object_size(v), sizeof(**list));
    if (!*list) {
        fail_memory(c);
        ok = false;
        goto out;
    }
    const char *key;
    json_t *values;
    json_object_foreach(v, key, values) {
        jcheck_enter_key(c, key);
        ok &= parse_match(c, key, values, &(*list)[*n]);
        (*n)++;
        jcheck_leave(c);
    }
out:
    jcheck_leave(c);
    return ok;
}

bool schedule_where_check(struct jcheck *c, json_t *v, struct schedule_where *out)
{
    static const char *const keys[] = {"include", "exclude", NULL};
    *out = (struct schedule_where){0};
    if (!expect_object(c, v, "{\"include\": {\"building\": [\"3\"]}}"))
        return false;
    out->never = check_keys(c, v, keys);
    bool ok = true;
    json_t *part;
    if ((part = json_object_get(v, "include")))
        ok &= parse_matches(c, "include", part, &out->include, &out->n_include);
    if ((part = json_object_get(v, "exclude")))
        ok &= parse_matches(c, "exclude", part, &out->exclude, &out->n_exclude);
    if (!ok)
        schedule_where_finish(out);
    return ok;
}

static bool matches_copy(struct schedule_match **dst, const struct schedule_match *src,
                         size_t n)
{
    *dst = NULL;
    if (n == 0)
        return true;
    struct schedule_match *list = calloc(n, sizeof(*list));
    if (!list)
        return false;
    for (size_t i = 0; i < n; i++) {
        struct schedule_match *m = &list[i];
        m->key = strdup(src[i].key);
        m->values = calloc(src[i].n_values + 1, sizeof(*m->values));
        if (!m->key || !m->values)
            goto fail;
        for (; m->n_values < src[i].n_values; m->n_values++) {
            m->values[m->n_values] = strdup(src[i].values[m->n_values]);
            if (!m->values[m->n_values])
                goto fail;
        }
    }
    *dst = list;
    return true;

fail:
    matches_free(list, n);
    return false;
}

bool schedule_where_copy(struct schedule_where *dst, const struct schedule_where *src)
{
    *dst = (struct schedule_where){.never = src->never};
    if (!matches_copy(&dst->include, src->include, src->n_include))
        return false;
    dst->n_include = src->n_include;
    if (!matches_copy(&dst->exclude, src->exclude, src->n_exclude)) {
        schedule_where_finish(dst);
        return false;
    }
    dst->n_exclude = src->n_exclude;
    return true;
}

void schedule_where_finish(struct schedule_where *w)
{
    matches_free(w->include, w->n_include);
    matches_free(w->exclude, w->n_exclude);
    *w = (struct schedule_where){0};
}

/* ---- Rules ---- */

bool schedule_rules_check(struct jcheck *c, json_t *obj, struct schedule_rules *out)
{
    *out = (struct schedule_rules){0};
    if (!json_is_object(obj))
        return true;
    bool ok = true;
    json_t *v;
    if ((v = json_object_get(obj, "when"))) {
        jcheck_enter_key(c, "when");
        ok &= schedule_when_check(c, v, &out->when);
        jcheck_leave(c);
    }
    if ((v = json_object_get(obj, "where"))) {
        jcheck_enter_key(c, "where");
        ok &= schedule_where_check(c, v, &out->where);
        jcheck_leave(c);
    }
    if (!ok)
        schedule_rules_finish(out);
    return ok;
}

/* ---- Rules of a value without its text ---- */

/* A checker for callers that have the value but not the text it came from,
 * standing at PATH ("zones.upper.items[2]"); NAMES keeps its keys. Problems
 * then say where by path alone. */
static void check_begin(struct jcheck *c, struct schedule_parse *sp, const char *path,
                        char *names, size_t cap)
{
    jcheck_init(c, sp->url ? sp->url : "", NULL, 0, sp->err);
    c->n_errors = sp->n_errors;
    c->max_reported = sp->max_reported > 0 ? sp->max_reported : INT_MAX;
    c->exact = true;
    c->n_warned = sp->n_warned;
    size_t used = 0;
    for (const char *at = path ? path : ""; *at;) {
        if (*at == '[') {
            char *end;
            jcheck_enter_index(c, strtoul(at + 1, &end, 10));
            at = *end == ']' ? end + 1 : end + strlen(end);
            continue;
        }
        if (*at == '.')
            at++;
        size_t len = strcspn(at, ".[");
        if (len == 0 || used + len + 1 > cap)
            break;
        memcpy(names + used, at, len);
        names[used + len] = '\0';
        jcheck_enter_key(c, names + used);
        used += len + 1;
        at += len;
    }
}

static void check_end(struct jcheck *c, struct schedule_parse *sp)
{
    sp->n_errors = c->n_errors;
    sp->n_warned = c->n_warned;
}

bool schedule_when_parse(struct schedule_parse *sp, json_t *v, const char *path,
                         struct schedule_when *out)
{
    struct jcheck c;
    char names[512];
    check_begin(&c, sp, path, names, sizeof(names));
    bool ok = schedule_when_check(&c, v, out);
    check_end(&c, sp);
    return ok;
}

bool schedule_where_parse(struct schedule_parse *sp, json_t *v, const char *path,
                          struct schedule_where *out)
{
    struct jcheck c;
    char names[512];
    check_begin(&c, sp, path, names, sizeof(names));
    bool ok = schedule_where_check(&c, v, out);
    check_end(&c, sp);
    return ok;
}

bool schedule_rules_parse(struct schedule_parse *sp, json_t *obj, const char *path,
                          struct schedule_rules *out)
{
    struct jcheck c;
    char names[512];
    check_begin(&c, sp, path, names, sizeof(names));
    bool ok = schedule_rules_check(&c, obj, out);
    check_end(&c, sp);
    return ok;
}

/* ---- Copying and freeing rules ---- */

bool schedule_rules_copy(struct schedule_rules *dst, const struct schedule_rules *src)
{
    dst->when = src->when;
    return schedule_where_copy(&dst->where, &src->where);
}

void schedule_rules_finish(struct schedule_rules *r)
{
    schedule_where_finish(&r->where);
    r->when = (struct schedule_when){0};
}

/* ---- Evaluating "when" ---- */

/* Whether the date and weekday parts of W allow local day DAY. */
static bool day_allowed(const struct schedule_when *w, int64_t day)
{
    if (w->has_from && day < w->date_from)
        return false;
    if (w->has_to && day > w->date_to)
        return false;
    return !w->days || (w->days & (1u << weekday(day)));
}

bool schedule_when_active(const struct schedule_when *w, time_t t)
{
    struct tm tm;
    if (w->never || t < 0 || t > TIME_LIMIT || !localtime_r(&t, &tm))
        return false;
    int64_t day = day_number(tm.tm_year + 1900L, tm.tm_mon + 1, tm.tm_mday);
    int minute = tm.tm_hour * 60 + tm.tm_min;
    if (w->n_windows == 0)
        return day_allowed(w, day);
    for (size_t i = 0; i < w->n_windows; i++) {
        int from = w->windows[i].from, to = w->windows[i].to;
        /* The part of a window after midnight belongs to the day it
         * started on: a Friday 22:00-06:00 window runs into Saturday. */
        bool on = from == to ? day_allowed(w, day)
                : from < to ? minute >= from && minute < to && day_allowed(w, day)
                : (minute >= from && day_allowed(w, day)) ||
                  (minute < to && day_allowed(w, day - 1));
        if (on)
            return true;
    }
    return false;
}

/* Local seconds since midnight at T, and T's UTC offset. */
static bool local_clock(time_t t, long *second_of_day, long *offset)
{
    struct tm tm;
    if (!localtime_r(&t, &tm))
        return false;
    *second_of_day = tm.tm_hour * 3600L + tm.tm_min * 60L + tm.tm_sec;
    if (*second_of_day >= SECONDS_PER_DAY) /* a leap second */
        *second_of_day = SECONDS_PER_DAY - 1;
    *offset = tm.tm_gmtoff;
    return true;
}

/*
 * The next edge of W after T assuming the UTC offset stays as it is at T:
 * the wall clock then runs with real time, so the edge is plain arithmetic.
 * Midnight is always an edge: dates and weekdays change there.
 */
static time_t next_edge(const struct schedule_when *w, time_t t, long second_of_day)
{
    long best = SECONDS_PER_DAY;
    for (size_t i = 0; w && i < w->n_windows; i++) {
        long edges[2] = {w->windows[i].from * 60L, w->windows[i].to * 60L};
        for (int k = 0; k < 2; k++) {
            if (edges[k] > second_of_day && edges[k] < best)
                best = edges[k];
        }
    }
    return t + (best - second_of_day);
}

/* The first instant in (T, END] whose UTC offset is not OFFSET, or END
 * when there is none. */
static time_t offset_change(time_t t, time_t end, long offset)
{
    time_t same = t;
    while (same < end) {
        time_t probe = end - same > OFFSET_STEP_S ? same + OFFSET_STEP_S : end;
        long sod, off;
        if (!local_clock(probe, &sod, &off))
            return probe;
        if (off == offset) {
            same = probe;
            continue;
        }
        /* Bisect down to the first second of the new offset. */
        time_t differs = probe;
        while (differs - same > 1) {
            time_t mid = same + (differs - same) / 2;
            if (local_clock(mid, &sod, &off) && off == offset)
                same = mid;
            else
                differs = mid;
        }
        return differs;
    }
    return end;
}

/* What the next-change functions return past the range they handle. */
static time_t beyond_limit(time_t t)
{
    return t < TIME_LIMIT ? TIME_LIMIT : t == INT64_MAX ? t : t + 1;
}

time_t schedule_when_next_change(const struct schedule_when *w, time_t t)
{
    long sod, offset;
    if (t < 0 || t >= TIME_LIMIT - 2 * SECONDS_PER_DAY || !local_clock(t, &sod, &offset))
        return beyond_limit(t);
    return offset_change(t, next_edge(w, t, sod), offset);
}

/* ---- Evaluating "where" ---- */

static const char *device_value(const struct config *cfg, const char *key)
{
    if (!cfg)
        return NULL;
    if (strcmp(key, "device") == 0)
        return cfg->device_id;
    for (int i = 0; i < cfg->n_tags; i++) {
        if (cfg->tags[i].key && strcmp(cfg->tags[i].key, key) == 0)
            return cfg->tags[i].value;
    }
    return NULL;
}

static bool listed(const struct schedule_match *m, const char *value)
{
    for (size_t i = 0; value && i < m->n_values; i++) {
        if (strcmp(m->values[i], value) == 0)
            return true;
    }
    return false;
}

bool schedule_where_matches(const struct schedule_where *w, const struct config *cfg)
{
    if (w->never)
        return false;
    for (size_t i = 0; i < w->n_include; i++) {
        if (!listed(&w->include[i], device_value(cfg, w->include[i].key)))
            return false;
    }
    for (size_t i = 0; i < w->n_exclude; i++) {
        if (listed(&w->exclude[i], device_value(cfg, w->exclude[i].key)))
            return false;
    }
    return true;
}

bool schedule_rules_hold(const struct schedule_rules *r, const struct config *cfg, time_t t)
{
    return schedule_where_matches(&r->where, cfg) && schedule_when_active(&r->when, t);
}

/* ---- Picking a zone's playlist ---- */

const struct schedule_rules *schedule_list_item_rules(const struct schedule_list *l,
                                                      size_t i)
{
    const char *item = (const char *)l->items + i * l->item_size;
    return (const struct schedule_rules *)(const void *)(item + l->rules_offset);
}

bool schedule_list_item_valid(const struct schedule_list *l, size_t i,
                              const struct config *cfg, time_t t)
{
    if (l->rules && !schedule_rules_hold(l->rules, cfg, t))
        return false;
    return schedule_rules_hold(schedule_list_item_rules(l, i), cfg, t);
}

long schedule_pick(const struct schedule_list *lists, size_t n, const struct config *cfg,
                   time_t t, schedule_playable_fn *playable, void *ctx)
{
    long best = -1;
    for (size_t i = 0; i < n; i++) {
        const struct schedule_list *l = &lists[i];
        if (best >= 0 && l->priority <= lists[best].priority)
            continue;
        if (l->rules && !schedule_rules_hold(l->rules, cfg, t))
            continue;
        for (size_t k = 0; k < l->n_items; k++) {
            const void *item = (const char *)l->items + k * l->item_size;
            if (schedule_rules_hold(schedule_list_item_rules(l, k), cfg, t) &&
                (!playable || playable(item, ctx))) {
                best = (long)i;
                break;
            }
        }
    }
    return best;
}

time_t schedule_lists_next_change(const struct schedule_list *lists, size_t n, time_t t)
{
    long sod, offset;
    if (t < 0 || t >= TIME_LIMIT - 2 * SECONDS_PER_DAY || !local_clock(t, &sod, &offset))
        return beyond_limit(t);
    /* The UTC offset is the same for every rule: look for its change once. */
    time_t edge = next_edge(NULL, t, sod);
    for (size_t i = 0; i < n; i++) {
        const struct schedule_list *l = &lists[i];
        if (l->rules) {
            time_t e = next_edge(&l->rules->when, t, sod);
            edge = e < edge ? e : edge;
        }
        for (size_t k = 0; k < l->n_items; k++) {
            time_t e = next_edge(&schedule_list_item_rules(l, k)->when, t, sod);
            edge = e < edge ? e : edge;
        }
    }
    return offset_change(t, edge, offset);
}

/* ---- Placeholders ---- */

struct buffer {
    char *data;
    size_t len;
    size_t cap;
    bool failed;
};

static void buffer_add(struct buffer *b, const char *s, size_t n)
{
    if (b->failed)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 64;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *grown = realloc(b->data, cap);
        if (!grown) {
            b->failed = true;
            return;
        }
        b->data = grown;
        b->cap = cap;
    }
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}

static bool unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '.' || c == '_' || c == '~';
}

static void buffer_add_value(struct buffer *b, const char *value, bool url_encode)
{
    if (!url_encode) {
        buffer_add(b, value, strlen(value));
        return;
    }
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *c = (const unsigned char *)value; *c; c++) {
        char escaped[3] = {'%', hex[*c >> 4], hex[*c & 15]};
        if (unreserved(*c))
            buffer_add(b, (const char *)c, 1);
        else
            buffer_add(b, escaped, 3);
    }
}

static bool name_char(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '.' || c == '_' || c == '-';
}

static void note(char *dst, const char *s, size_t n)
{
    if (dst[0])
        return;
    n = n < SCHEDULE_NOTE_MAX - 1 ? n : SCHEDULE_NOTE_MAX - 1;
    memcpy(dst, s, n);
    dst[n] = '\0';
}

/* Expands the placeholder NAME (N bytes, without braces) into B. */
static void expand_name(struct buffer *b, const char *name, size_t n, const struct config *cfg,
                        bool url_encode, struct schedule_expand_notes *notes)
{
    static const char tag[] = "tag.";
    if (n == strlen("device.id") && memcmp(name, "device.id", n) == 0) {
        buffer_add_value(b, cfg && cfg->device_id ? cfg->device_id : "", url_encode);
        return;
    }
    if (n > strlen(tag) && memcmp(name, tag, strlen(tag)) == 0) {
        char key[MAX_MATCH_VALUE + 1];
        size_t key_len = n - strlen(tag);
        const char *value = NULL;
        if (key_len < sizeof(key)) {
            memcpy(key, name + strlen(tag), key_len);
            key[key_len] = '\0';
            value = strcmp(key, "device") == 0 ? NULL : device_value(cfg, key);
        }
        if (value) {
            buffer_add_value(b, value, url_encode);
        } else {
            notes->missing++;
            note(notes->first_missing, name + strlen(tag), key_len);
        }
        return;
    }
    notes->unknown++;
    note(notes->first_unknown, name - 1, n + 2);
    buffer_add(b, name - 1, n + 2);
}

bool schedule_expand(const char *in, const struct config *cfg, bool url_encode, char **out,
                     struct schedule_expand_notes *notes)
{
    struct schedule_expand_notes ignored;
    if (!notes)
        notes = &ignored;
    *notes = (struct schedule_expand_notes){0};
    struct buffer b = {0};
    buffer_add(&b, "", 0);
    size_t i = 0;
    while (in[i]) {
        if ((in[i] == '{' || in[i] == '}') && in[i + 1] == in[i]) {
            buffer_add(&b, in + i, 1);
            i += 2;
            continue;
        }
        size_t end = i + 1;
        while (in[i] == '{' && name_char(in[end]))
            end++;
        if (in[i] == '{' && end > i + 1 && in[end] == '}') {
            expand_name(&b, in + i + 1, end - i - 1, cfg, url_encode, notes);
            i = end + 1;
            continue;
        }
        /* Plain text runs up to the next brace. */
        size_t run = strcspn(in + i + 1, "{}") + 1;
        buffer_add(&b, in + i, run);
        i += run;
    }
    if (b.failed) {
        free(b.data);
        *out = NULL;
        return false;
    }
    *out = b.data;
    return true;
}

/* ---- Time the player can trust ---- */

static time_t latest(time_t a, time_t b)
{
    return a > b ? a : b;
}

static void format_time(char *buf, size_t cap, time_t t)
{
    struct tm tm;
    if (!localtime_r(&t, &tm) || !strftime(buf, cap, "%Y-%m-%d %H:%M:%S %z", &tm))
        snprintf(buf, cap, "%" PRId64 " s after 1970", (int64_t)t);
}

void schedule_clock_init(struct schedule_clock *c)
{
    *c = (struct schedule_clock){.trust = SCHEDULE_TRUSTED};
}

static void log_untrusted(const struct schedule_clock *c, time_t now, time_t ahead,
                          const char *what)
{
    char now_text[64], ahead_text[64], known_text[64];
    format_time(now_text, sizeof(now_text), now);
    format_time(ahead_text, sizeof(ahead_text), ahead);
    format_time(known_text, sizeof(known_text), c->known);
    log_warn("the system clock reads %s, before %s (%s): it is wrong, perhaps set "
             "by a board without a clock battery and no network time yet; schedules "
             "play as at %s until the clock is right", now_text, what, ahead_text,
             known_text);
}

enum schedule_trust schedule_clock_check(struct schedule_clock *c, time_t now,
                                         time_t published, time_t server_date)
{
    bool confirmed = server_date > 0 && now >= server_date - SCHEDULE_CLOCK_SLACK_S &&
                     now - server_date <= SCHEDULE_CLOCK_CONFIRM_S;
    time_t ahead = latest(latest(c->last_trusted, published), server_date);
    const char *what = ahead == c->last_trusted ? "the last time known to be right"
                     : ahead == server_date ? "the time the server sent"
                     : "the time the schedule was published";
    enum schedule_trust trust = confirmed || now >= ahead - SCHEDULE_CLOCK_SLACK_S
                              ? SCHEDULE_TRUSTED : SCHEDULE_UNTRUSTED;
    if (confirmed && now < c->last_trusted - SCHEDULE_CLOCK_SLACK_S) {
        char saved[64], now_text[64];
        format_time(saved, sizeof(saved), c->last_trusted);
        format_time(now_text, sizeof(now_text), now);
        log_warn("the last time saved as right (%s) is ahead of the server's time: "
                 "the clock was once set in the future; %s is used from now on",
                 saved, now_text);
    }

    if (confirmed) {
        c->last_trusted = now;
        c->known = now;
    } else if (trust == SCHEDULE_TRUSTED) {
        c->last_trusted = latest(c->last_trusted, now);
        c->known = latest(c->known, c->last_trusted);
    } else {
        /* A server's Date is a reading of real time even when ours is wrong. */
        c->last_trusted = latest(c->last_trusted, server_date);
        c->known = latest(latest(c->known, c->last_trusted), published);
    }

    if (trust == SCHEDULE_UNTRUSTED && (!c->checked || c->trust == SCHEDULE_TRUSTED)) {
        log_untrusted(c, now, ahead, what);
    } else if (trust == SCHEDULE_TRUSTED && c->checked && c->trust == SCHEDULE_UNTRUSTED) {
        char now_text[64];
        format_time(now_text, sizeof(now_text), now);
        log_info("the system clock reads %s and is right again; schedules follow it",
                 now_text);
    }
    c->trust = trust;
    c->checked = true;
    return trust;
}

time_t schedule_clock_effective(const struct schedule_clock *c, time_t now)
{
    return c->trust == SCHEDULE_TRUSTED ? now : c->known;
}

bool schedule_clock_load(struct schedule_clock *c, const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        if (errno == ENOENT)
            return true;
        log_warn("cannot read the last trusted time from %s: %s", path, strerror(errno));
        return false;
    }
    char text[32];
    size_t n = fread(text, 1, sizeof(text) - 1, f);
    bool read_error = ferror(f);
    fclose(f);
    text[n] = '\0';

    char *end;
    errno = 0;
    long long value = strtoll(text, &end, 10);
    bool ok = !read_error && n > 0 && text[0] >= '0' && text[0] <= '9' && errno == 0 &&
              (strcmp(end, "\n") == 0 || *end == '\0') && value <= TIME_LIMIT;
    if (!ok) {
        log_warn("%s does not hold a time (damaged?); it is ignored and rewritten", path);
        return false;
    }
    c->last_trusted = (time_t)value;
    c->known = latest(c->known, c->last_trusted);
    return true;
}

bool schedule_clock_save(const struct schedule_clock *c, const char *path)
{
    char dir[4096], text[32];
    const char *slash = strrchr(path, '/');
    if (!slash)
        snprintf(dir, sizeof(dir), ".");
    else
        snprintf(dir, sizeof(dir), "%.*s", slash == path ? 1 : (int)(slash - path), path);
    int len = snprintf(text, sizeof(text), "%lld\n", (long long)c->last_trusted);
    /* Written aside, flushed, then renamed: a power cut leaves the old
     * time or the new one, never half a number. */
    if (!store_write_atomic(dir, slash ? slash + 1 : path, text, (size_t)len)) {
        log_warn("cannot save the last trusted time to %s: %s", path, strerror(errno));
        return false;
    }
    return true;
}

/* Reads N digits at S into *OUT. */
static bool digits(const char *s, int n, int *out)
{
    *out = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        *out = *out * 10 + (s[i] - '0');
    }
    return true;
}

bool schedule_parse_timestamp(const char *s, time_t *out)
{
    int32_t day;
    char date[11];
    const char *why;
    int hour, minute, second = 0, off_h = 0, off_m = 0;
    if (strlen(s) < 16 || !strchr("Tt ", s[10]))
        return false;
    memcpy(date, s, 10);
    date[10] = '\0';
    if (!parse_date(date, &day, &why) || !digits(s + 11, 2, &hour) || s[13] != ':' ||
        !digits(s + 14, 2, &minute) || hour > 23 || minute > 59)
        return false;
    const char *p = s + 16;
    if (*p == ':') {
        if (!digits(p + 1, 2, &second) || second > 60)
            return false;
        p += 3;
        if (*p == '.') {
            p++;
            if (*p < '0' || *p > '9')
                return false;
            while (*p >= '0' && *p <= '9')
                p++;
        }
    }
    int sign = 0;
    if ((*p == 'Z' || *p == 'z') && p[1] == '\0') {
        sign = 1;
    } else if ((*p == '+' || *p == '-') && strlen(p) == 6 && digits(p + 1, 2, &off_h) &&
               p[3] == ':' && digits(p + 4, 2, &off_m) && off_h <= 23 && off_m <= 59) {
        sign = *p == '+' ? 1 : -1;
    }
    if (!sign)
        return false;
    if (second == 60) /* a leap second reads as the one before it */
        second = 59;
    int64_t t = (int64_t)day * SECONDS_PER_DAY + hour * 3600 + minute * 60 + second;
    t -= sign * (off_h * 3600 + off_m * 60);
    *out = (time_t)t;
    return true;
}

/* ---- Time zone ---- */

static bool zone_name_ok(const char *tz)
{
    if (!tz[0] || tz[0] == '/' || strlen(tz) > 255 || strstr(tz, ".."))
        return false;
    for (const char *c = tz; *c; c++) {
        if (!((*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') ||
              strchr("/_+-", *c)))
            return false;
    }
    return true;
}

bool schedule_set_timezone(const char *tz, char *why, size_t why_len)
{
    const char *dir = getenv("TZDIR");
    if (!dir || !dir[0])
        dir = "/usr/share/zoneinfo";
    if (!tz[0]) {
        tzset();
        return true;
    }
    if (!zone_name_ok(tz)) {
        snprintf(why, why_len, "\"%.64s\" is not a time zone name; names look like "
                 "Asia/Shanghai", tz);
        return false;
    }
    char path[4096], magic[4];
    snprintf(path, sizeof(path), "%s/%s", dir, tz);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(why, why_len, "no time zone %s in %s (%s; is tzdata installed?)", tz, dir,
                 strerror(errno));
        return false;
    }
    ssize_t got = read(fd, magic, sizeof(magic));
    close(fd);
    if (got != (ssize_t)sizeof(magic) || memcmp(magic, "TZif", 4) != 0) {
        snprintf(why, why_len, "%s is not a time zone file; names look like Asia/Shanghai",
                 path);
        return false;
    }
    if (setenv("TZ", tz, 1) != 0) {
        snprintf(why, why_len, "cannot set TZ: %s", strerror(errno));
        return false;
    }
    tzset();
    return true;
}
