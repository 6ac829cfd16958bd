#include "player/jcheck.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* Longest piece of a value quoted back in a message, in bytes. */
#define MAX_QUOTED 40

/* Problems reported per document: the first ones tell the story. */
#define MAX_REPORTED 100

void jcheck_init(struct jcheck *c, const char *url, const char *text, size_t len, FILE *err)
{
    *c = (struct jcheck){.url = url ? url : "(document)", .text = text, .len = len, .err = err};
}

json_t *jcheck_load(struct jcheck *c)
{
    json_error_t e;
    json_t *root = json_loadb(c->text, c->len, JSON_REJECT_DUPLICATES, &e);
    if (root)
        return root;
    size_t i = 0;
    while (i < c->len && isspace((unsigned char)c->text[i]))
        i++;
    bool html = i < c->len && c->text[i] == '<';
    if (c->err) {
        fprintf(c->err, "%s:%d:%d: syntax error: %s%s\n", c->url, e.line, e.column, e.text,
                html ? " (this is an HTML page: a Wi-Fi login page or a wrong address?)" : "");
    }
    c->n_errors++;
    return NULL;
}

void jcheck_enter_key(struct jcheck *c, const char *key)
{
    if (c->depth < JCHECK_MAX_DEPTH)
        c->segs[c->depth] = (struct jcheck_seg){.key = key};
    c->depth++;
}

void jcheck_enter_index(struct jcheck *c, size_t index)
{
    if (c->depth < JCHECK_MAX_DEPTH)
        c->segs[c->depth] = (struct jcheck_seg){.index = index};
    c->depth++;
}

void jcheck_leave(struct jcheck *c)
{
    if (c->depth > 0)
        c->depth--;
}

static int limit(const struct jcheck *c)
{
    return c->max_reported > 0 ? c->max_reported : MAX_REPORTED;
}

/* Whether KEY reads unambiguously after a '.' in a path. */
static bool plain_key(const char *key)
{
    if (!key[0])
        return false;
    for (const char *k = key; *k; k++) {
        if (strchr(".[]\"\\ ", *k) || (unsigned char)*k < 0x20 || *k == 0x7f)
            return false;
    }
    return true;
}

/* Writes the path: "zones.upper.items[2]", odd keys as ["a.b"]. */
static void format_path(const struct jcheck *c, char *buf, size_t cap)
{
    size_t n = 0;
    buf[0] = '\0';
    int depth = c->depth < JCHECK_MAX_DEPTH ? c->depth : JCHECK_MAX_DEPTH;
    for (int i = 0; i < depth && n < cap; i++) {
        const struct jcheck_seg *s = &c->segs[i];
        char name[160];
        int w;
        if (!s->key) {
            w = snprintf(buf + n, cap - n, "[%zu]", s->index);
        } else if (plain_key(s->key)) {
            w = snprintf(buf + n, cap - n, "%s%s", n ? "." : "", s->key);
        } else {
            jcheck_escape(name, sizeof(name), s->key, 64, true);
            w = snprintf(buf + n, cap - n, "[\"%s\"]", name);
        }
        if (w < 0)
            break;
        n += (size_t)w;
    }
}

/*
 * Writes "URL:LINE:COL: PATH" for member KEY of the current value (or the
 * value itself) into BUF: without ":LINE:COL" when the text does not show
 * it, without ": PATH" at the top. With MISSING the position is the
 * enclosing object's, as KEY is not there.
 */
static void format_where(struct jcheck *c, const char *key, bool missing, char *buf,
                         size_t cap)
{
    if (key)
        jcheck_enter_key(c, key);
    char path[512];
    format_path(c, path, sizeof(path));
    int line = 0, col = 0;
    int depth = c->depth < JCHECK_MAX_DEPTH ? c->depth : JCHECK_MAX_DEPTH;
    if (missing && key && depth == c->depth)
        depth--;
    bool located = c->text && jcheck_locate(c->text, c->len, c->segs, depth, &line, &col);
    if (key)
        jcheck_leave(c);

    int n = located ? snprintf(buf, cap, "%s:%d:%d", c->url, line, col)
                    : snprintf(buf, cap, "%s", c->url);
    if (n >= 0 && (size_t)n < cap && path[0])
        snprintf(buf + n, cap - (size_t)n, ": %s", path);
}

/* Writes one problem: WHERE, then the message. */
static void write_problem(struct jcheck *c, const char *where, const char *fmt, va_list ap)
{
    fprintf(c->err, "%s: ", where);
    vfprintf(c->err, fmt, ap);
    fputc('\n', c->err);
}

void jcheck_fail(struct jcheck *c, const char *key, const char *fmt, ...)
{
    c->n_errors++;
    if (!c->err || c->n_errors > limit(c))
        return;
    char where[1024];
    format_where(c, key, false, where, sizeof(where));
    va_list ap;
    va_start(ap, fmt);
    write_problem(c, where, fmt, ap);
    va_end(ap);
}

void jcheck_missing(struct jcheck *c, const char *key, const char *fmt, ...)
{
    c->n_errors++;
    if (!c->err || c->n_errors > limit(c))
        return;
    char where[1024];
    format_where(c, key, true, where, sizeof(where));
    va_list ap;
    va_start(ap, fmt);
    write_problem(c, where, fmt, ap);
    va_end(ap);
}

void jcheck_report(struct jcheck *c, int line, int col, const char *fmt, ...)
{
    c->n_errors++;
    if (!c->err || c->n_errors > limit(c))
        return;
    char where[512];
    if (line > 0)
        snprintf(where, sizeof(where), "%s:%d:%d", c->url, line, col);
    else
        snprintf(where, sizeof(where), "%s", c->url);
    va_list ap;
    va_start(ap, fmt);
    write_problem(c, where, fmt, ap);
    va_end(ap);
}

const char *jcheck_where(struct jcheck *c, const char *key, char *buf, size_t cap)
{
    format_where(c, key, false, buf, cap);
    return buf;
}

const char *jcheck_describe(const json_t *v, char *buf, size_t cap)
{
    switch (json_typeof(v)) {
    case JSON_STRING: {
        const char *s = json_string_value(v);
        size_t n = 0;
        /* Quote a printable prefix; control bytes would garble the log. */
        char q[MAX_QUOTED + 1];
        for (size_t i = 0; s[i] && n < MAX_QUOTED; i++)
            q[n++] = (unsigned char)s[i] < 0x20 ? '?' : s[i];
        q[n] = '\0';
        snprintf(buf, cap, "\"%s%s\"", q, strlen(s) > n ? "..." : "");
        break;
    }
    case JSON_INTEGER:
        snprintf(buf, cap, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        break;
    case JSON_REAL:
        snprintf(buf, cap, "%g", json_real_value(v));
        break;
    case JSON_TRUE:
        snprintf(buf, cap, "true");
        break;
    case JSON_FALSE:
        snprintf(buf, cap, "false");
        break;
    case JSON_NULL:
        snprintf(buf, cap, "null");
        break;
    case JSON_OBJECT:
        snprintf(buf, cap, "an object");
        break;
    case JSON_ARRAY:
        snprintf(buf, cap, "an array");
        break;
    }
    return buf;
}

/* Length of the UTF-8 sequence starting at S, or 0 if S does not start a
 * complete one. */
static size_t utf8_length(const unsigned char *s)
{
    size_t len = 0;
    if (s[0] < 0x80)
        len = 1;
    else if (s[0] >= 0xf0)
        len = 4;
    else if (s[0] >= 0xe0)
        len = 3;
    else if (s[0] >= 0xc0)
        len = 2;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
    }
    return len;
}

void jcheck_escape(char *dst, size_t cap, const char *s, size_t max, bool quoted)
{
    if (cap < sizeof("...")) {
        if (cap > 0)
            dst[0] = '\0';
        return;
    }
    const unsigned char *in = (const unsigned char *)s;
    size_t n = 0, i = 0;
    while (in[i]) {
        char piece[8];
        size_t len = utf8_length(in + i);
        size_t used = len;
        if (len == 0) {
            snprintf(piece, sizeof(piece), "\\x%02x", in[i]);
            used = 1;
        } else if (quoted && (in[i] == '"' || in[i] == '\\')) {
            snprintf(piece, sizeof(piece), "\\%c", in[i]);
        } else if (in[i] == '\n') {
            strcpy(piece, "\\n");
        } else if (in[i] == '\t') {
            strcpy(piece, "\\t");
        } else if (in[i] < 0x20 || in[i] == 0x7f) {
            snprintf(piece, sizeof(piece), "\\u%04x", in[i]);
        } else {
            memcpy(piece, in + i, len);
            piece[len] = '\0';
        }
        size_t piece_len = strlen(piece);
        /* The check keeps room for "..." and the NUL at every step. */
        if (i + used > max || n + piece_len + sizeof("...") > cap) {
            memcpy(dst + n, "...", 3);
            n += 3;
            break;
        }
        memcpy(dst + n, piece, piece_len);
        n += piece_len;
        i += used;
    }
    dst[n] = '\0';
}

/* Writes a real number in the fewest digits that read back as the same
 * value, so "got 86400.000001" never shows as "got 86400". */
static void format_real(char *buf, size_t cap, double value)
{
    for (int digits = 1; digits <= 17; digits++) {
        snprintf(buf, cap, "%.*g", digits, value);
        if (strtod(buf, NULL) == value)
            return;
    }
}

const char *jcheck_describe_exact(const json_t *v, char *buf, size_t cap)
{
    switch (json_typeof(v)) {
    case JSON_STRING:
        if (cap < sizeof("\"...\""))
            break;
        buf[0] = '"';
        jcheck_escape(buf + 1, cap - 2, json_string_value(v), MAX_QUOTED, true);
        strcat(buf, "\"");
        return buf;
    case JSON_REAL:
        format_real(buf, cap, json_real_value(v));
        return buf;
    default:
        break;
    }
    return jcheck_describe(v, buf, cap);
}

/* How field checks quote a wrong value back. */
static const char *describe(const struct jcheck *c, const json_t *v, char *buf, size_t cap)
{
    return c->exact ? jcheck_describe_exact(v, buf, cap) : jcheck_describe(v, buf, cap);
}

void jcheck_fail_type(struct jcheck *c, const char *key, const char *what, const json_t *v)
{
    char got[96];
    jcheck_fail(c, key, "must be %s, got %s", what, describe(c, v, got, sizeof(got)));
}

bool jcheck_is_one_of(const char *s, const char *const *names)
{
    for (; *names; names++) {
        if (strcmp(s, *names) == 0)
            return true;
    }
    return false;
}

enum jfield jcheck_string(struct jcheck *c, json_t *obj, const char *key, size_t max,
                          bool nonempty, const char **out)
{
    json_t *v = json_object_get(obj, key);
    char got[96];
    if (!v)
        return JFIELD_ABSENT;
    if (!json_is_string(v)) {
        jcheck_fail(c, key, "must be a string, got %s", describe(c, v, got, sizeof(got)));
        return JFIELD_BAD;
    }
    size_t len = json_string_length(v);
    if (len > max) {
        jcheck_fail(c, key, "must be at most %zu bytes, got %zu", max, len);
        return JFIELD_BAD;
    }
    if (nonempty && len == 0) {
        jcheck_fail(c, key, "must not be empty");
        return JFIELD_BAD;
    }
    *out = json_string_value(v);
    return JFIELD_OK;
}

enum jfield jcheck_take_string(struct jcheck *c, json_t *obj, const char *key, size_t max,
                               bool nonempty, char **out)
{
    const char *s;
    enum jfield f = jcheck_string(c, obj, key, max, nonempty, &s);
    if (f != JFIELD_OK)
        return f;
    *out = strdup(s);
    if (!*out) {
        jcheck_fail(c, key, "out of memory");
        return JFIELD_BAD;
    }
    return JFIELD_OK;
}

enum jfield jcheck_integer(struct jcheck *c, json_t *obj, const char *key, int64_t min,
                           int64_t max, int64_t *out)
{
    json_t *v = json_object_get(obj, key);
    char got[96];
    if (!v)
        return JFIELD_ABSENT;
    if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max) {
        jcheck_fail(c, key, "must be a whole number from %" PRId64 " to %" PRId64 ", got %s",
                    min, max, describe(c, v, got, sizeof(got)));
        return JFIELD_BAD;
    }
    *out = json_integer_value(v);
    return JFIELD_OK;
}

enum jfield jcheck_choice(struct jcheck *c, json_t *obj, const char *key,
                          const char *const *names, int *out)
{
    const char *s;
    enum jfield f = jcheck_string(c, obj, key, 64, false, &s);
    if (f != JFIELD_OK)
        return f;
    char list[256] = "";
    for (int i = 0; names[i]; i++) {
        if (strcmp(s, names[i]) == 0) {
            *out = i;
            return JFIELD_OK;
        }
        size_t n = strlen(list);
        snprintf(list + n, sizeof(list) - n, "%s%s", i ? ", " : "", names[i]);
    }
    char got[96];
    jcheck_fail(c, key, "must be one of %s, got %s", list,
                describe(c, json_object_get(obj, key), got, sizeof(got)));
    return JFIELD_BAD;
}

static bool leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

bool jcheck_parse_time(const char *s, time_t *out)
{
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int y, mo, d, h, mi, sec, n = 0;
    if (sscanf(s, "%4d-%2d-%2d%*1[Tt ]%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &sec, &n) != 6 ||
        n != 19)
        return false;
    const char *p = s + n;
    if (*p == '.') {
        p++;
        if (!isdigit((unsigned char)*p))
            return false;
        while (isdigit((unsigned char)*p))
            p++;
    }
    long offset = 0;
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int oh, om, m = 0;
        if (sscanf(p + 1, "%2d:%2d%n", &oh, &om, &m) != 2 || m != 5 || oh > 23 || om > 59)
            return false;
        offset = (*p == '-' ? -1 : 1) * (oh * 3600L + om * 60L);
        p += 6;
    } else {
        return false;
    }
    if (*p || mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || sec > 60 || y < 1970)
        return false;
    if (d > mdays[mo - 1] + (mo == 2 && leap(y)))
        return false;
    struct tm tm = {.tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h,
                    .tm_min = mi, .tm_sec = sec > 59 ? 59 : sec};
    *out = timegm(&tm) - offset;
    return true;
}

enum jfield jcheck_time(struct jcheck *c, json_t *obj, const char *key, time_t *out)
{
    const char *s;
    enum jfield f = jcheck_string(c, obj, key, 64, false, &s);
    if (f != JFIELD_OK)
        return f;
    if (!jcheck_parse_time(s, out)) {
        char got[96];
        jcheck_fail(c, key, "must be a time like 2026-12-04T15:00:00+08:00, got %s",
                    describe(c, json_object_get(obj, key), got, sizeof(got)));
        return JFIELD_BAD;
    }
    return JFIELD_OK;
}

/* ---- Finding a value's position in the text ---- */

struct scan {
    const char *s;
    size_t n, i;
    int line, col;
};

static void step(struct scan *sc)
{
    unsigned char ch = (unsigned char)sc->s[sc->i++];
    if (ch == '\n') {
        sc->line++;
        sc->col = 1;
    } else if ((ch & 0xc0) != 0x80) {
        sc->col++; /* count characters, not UTF-8 continuation bytes */
    }
}

static void skip_ws(struct scan *sc)
{
    while (sc->i < sc->n && strchr(" \t\r\n", sc->s[sc->i]) && sc->s[sc->i])
        step(sc);
}

static bool peek(struct scan *sc, char ch)
{
    return sc->i < sc->n && sc->s[sc->i] == ch;
}

/* Reads the four hex digits of a \u escape; -1 if they are not there. */
static long scan_hex4(struct scan *sc)
{
    long value = 0;
    for (int k = 0; k < 4; k++) {
        if (sc->i >= sc->n || !isxdigit((unsigned char)sc->s[sc->i]))
            return -1;
        char ch = sc->s[sc->i];
        value = value * 16 + (isdigit((unsigned char)ch) ? ch - '0' : (ch | 0x20) - 'a' + 10);
        step(sc);
    }
    return value;
}

/* Appends code point CP to BUF as UTF-8, as far as CAP allows. */
static void put_utf8(char *buf, size_t cap, size_t *k, long cp)
{
    unsigned char out[4];
    size_t n;
    if (cp < 0x80) {
        out[0] = (unsigned char)cp;
        n = 1;
    } else if (cp < 0x800) {
        out[0] = (unsigned char)(0xc0 | cp >> 6);
        out[1] = (unsigned char)(0x80 | (cp & 0x3f));
        n = 2;
    } else if (cp < 0x10000) {
        out[0] = (unsigned char)(0xe0 | cp >> 12);
        out[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
        out[2] = (unsigned char)(0x80 | (cp & 0x3f));
        n = 3;
    } else {
        out[0] = (unsigned char)(0xf0 | cp >> 18);
        out[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
        out[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
        out[3] = (unsigned char)(0x80 | (cp & 0x3f));
        n = 4;
    }
    for (size_t j = 0; j < n && buf && *k + 1 < cap; j++)
        buf[(*k)++] = (char)out[j];
}

/* Reads the escape after a backslash into BUF, decoded as jansson does,
 * so that keys such as "a\nb" or "\u4e2d" are found. */
static bool scan_escape(struct scan *sc, char *buf, size_t cap, size_t *k)
{
    static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
    if (sc->i >= sc->n)
        return false;
    char ch = sc->s[sc->i];
    const char *at = ch ? strchr(from, ch) : NULL;
    step(sc);
    if (at) {
        if (buf && *k + 1 < cap)
            buf[(*k)++] = to[at - from];
        return true;
    }
    if (ch != 'u')
        return false;
    long cp = scan_hex4(sc);
    /* A high surrogate and its low one make one character. */
    if (cp >= 0xd800 && cp < 0xdc00 && sc->i + 1 < sc->n && sc->s[sc->i] == '\\' &&
        sc->s[sc->i + 1] == 'u') {
        step(sc);
        step(sc);
        long low = scan_hex4(sc);
        if (low < 0xdc00 || low > 0xdfff)
            return false;
        cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
    }
    if (cp < 0)
        return false;
    put_utf8(buf, cap, k, cp);
    return true;
}

/* Reads a string token; its characters, escapes decoded, go into BUF. */
static bool scan_string(struct scan *sc, char *buf, size_t cap)
{
    size_t k = 0;
    if (!peek(sc, '"'))
        return false;
    step(sc);
    while (sc->i < sc->n && sc->s[sc->i] != '"') {
        char ch = sc->s[sc->i];
        step(sc);
        if (ch == '\\') {
            if (!scan_escape(sc, buf, cap, &k))
                return false;
        } else if (buf && k + 1 < cap) {
            buf[k++] = ch;
        }
    }
    if (buf)
        buf[k] = '\0';
    if (!peek(sc, '"'))
        return false;
    step(sc);
    return true;
}

static bool skip_value(struct scan *sc, int depth)
{
    if (depth > 64 || sc->i >= sc->n)
        return false;
    char ch = sc->s[sc->i];
    if (ch == '"')
        return scan_string(sc, NULL, 0);
    if (ch == '{' || ch == '[') {
        char close = ch == '{' ? '}' : ']';
        step(sc);
        skip_ws(sc);
        if (peek(sc, close)) {
            step(sc);
            return true;
        }
        for (;;) {
            if (ch == '{') {
                if (!scan_string(sc, NULL, 0))
                    return false;
                skip_ws(sc);
                if (!peek(sc, ':'))
                    return false;
                step(sc);
                skip_ws(sc);
            }
            if (!skip_value(sc, depth + 1))
                return false;
            skip_ws(sc);
            if (peek(sc, close)) {
                step(sc);
                return true;
            }
            if (!peek(sc, ','))
                return false;
            step(sc);
            skip_ws(sc);
        }
    }
    while (sc->i < sc->n && !strchr(",}] \t\r\n", sc->s[sc->i]) && sc->s[sc->i])
        step(sc);
    return true;
}

static bool find_path(struct scan *sc, const struct jcheck_seg *segs, int depth)
{
    skip_ws(sc);
    if (depth == 0)
        return sc->i < sc->n;
    bool object = segs->key != NULL;
    if (!peek(sc, object ? '{' : '['))
        return false;
    step(sc);
    for (size_t index = 0;; index++) {
        skip_ws(sc);
        bool match = !object && index == segs->index;
        if (object) {
            char key[256];
            if (!scan_string(sc, key, sizeof(key)))
                return false;
            skip_ws(sc);
            if (!peek(sc, ':'))
                return false;
            step(sc);
            match = strcmp(key, segs->key) == 0;
        }
        if (match)
            return find_path(sc, segs + 1, depth - 1);
        skip_ws(sc);
        if (!skip_value(sc, 0))
            return false;
        skip_ws(sc);
        if (!peek(sc, ','))
            return false;
        step(sc);
    }
}

bool jcheck_locate(const char *text, size_t len, const struct jcheck_seg *segs, int depth,
                   int *line, int *col)
{
    struct scan sc = {.s = text, .n = len, .line = 1, .col = 1};
    if (!find_path(&sc, segs, depth))
        return false;
    *line = sc.line;
    *col = sc.col;
    return true;
}
