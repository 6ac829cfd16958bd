/*
 * Loading and validating lianbo.cfg.
 *
 * The schema is one table with a row per key: where the value goes, what
 * type it has, what range or names it allows and what it defaults to.
 * Loading walks the parsed file rather than the table, so a key the table
 * does not know is found and reported at its own line; every problem is
 * reported before the file is refused, so one edit can fix them all.
 *
 * libconfig exports config_destroy() and config_init() for its own
 * config_t; in this file those two names always mean libconfig's.
 */
#define LOG_MODULE "config"
#include "config/config.h"

#include <errno.h>
#include <libconfig.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "player/log.h"

/* Keys are at most three levels deep; anything longer is unknown anyway. */
#define KEY_PATH_MAX 256

/* device.id names the terminal in reports and on screen; 64 bytes is also
 * the longest hostname Linux allows, which is where the default comes from. */
#define DEVICE_ID_MAX 64

/* Used when the hostname cannot be read, so the device still has a name. */
#define DEVICE_ID_FALLBACK "lianbo"

/* A configuration is a few kilobytes. The cap keeps a wrong path (a video,
 * a disk image) from being read into memory whole. */
#define FILE_SIZE_MAX (1024 * 1024)

/* Longest part of a value echoed back in a message, in bytes. */
#define ECHO_MAX 80

/* How far a misspelt key may be from a known one and still be suggested:
 * two edits catch a dropped, doubled or swapped letter or two. */
#define SUGGEST_DISTANCE_MAX 2

enum field_kind {
    FIELD_BOOL,
    FIELD_INT,
    FIELD_FLOAT,   /* an integer in the file is accepted too */
    FIELD_STRING,  /* with CHOICES set, must be one of them */
    FIELD_CHOICE,  /* a string naming one of CHOICES, stored as its index */
    FIELD_TAGS,    /* a group of free-form members, all strings */
};

/* Checks a string value; on a problem writes what is wrong to WHY. */
typedef bool field_check_fn(const char *value, char *why, size_t why_size);

struct field {
    const char *path;
    enum field_kind kind;
    size_t offset;                /* into struct config */
    double min, max;              /* FIELD_INT, FIELD_FLOAT */
    const int *only;              /* FIELD_INT: just these values, if set */
    size_t n_only;
    const char *const *choices;   /* NULL-terminated */
    field_check_fn *check;        /* FIELD_STRING */
    double default_number;        /* also bools and choice indexes */
    const char *default_string;
};

struct loader {
    const char *name;   /* stands for the file in messages */
    FILE *err;          /* may be NULL: count problems, print nothing */
    int problems;
    struct config *cfg;
};

static field_check_fn check_device_id;
static field_check_fn check_url;
static field_check_fn check_readable;
static field_check_fn check_proxy;
static field_check_fn check_timezone;
static field_check_fn check_clock_time;

static const char *const hwdecs[] = {"auto", "none", "v4l2m2m", "drm", "vaapi", NULL};
static const char *const zone_names[] = {"upper", "lower", NULL};

static const int rotations[] = {0, 90, 180, 270};

/* In the order of enum config_layout. */
static const char *const layouts[] = {"split", "dual", NULL};

/* The names log_level_from_name() knows. */
static const char *const log_levels[] = {"error", "warn", "info", "debug", NULL};

#define AT(member) offsetof(struct config, member)

#define BOOL_KEY(p, member, def)                                             \
    {.path = p, .kind = FIELD_BOOL, .offset = AT(member), .default_number = def}
#define INT_KEY(p, member, lo, hi, def)                                      \
    {.path = p, .kind = FIELD_INT, .offset = AT(member), .min = lo,          \
     .max = hi, .default_number = def}
#define STRING_KEY(p, member, fn, def)                                       \
    {.path = p, .kind = FIELD_STRING, .offset = AT(member), .check = fn,     \
     .default_string = def}

static const struct field schema[] = {
    STRING_KEY("device.id", device_id, check_device_id, ""),
    {.path = "device.tags", .kind = FIELD_TAGS},
    STRING_KEY("device.timezone", timezone, check_timezone, ""),
    STRING_KEY("schedule.url", schedule_url, check_url, ""),
    /* One second is allowed for tests; a terminal in service polls far
     * less often (lianbo.cfg says so). */
    INT_KEY("schedule.poll_seconds", poll_seconds, 1, 86400, 60),
    INT_KEY("schedule.connect_timeout_s", connect_timeout_s, 1, 300, 10),
    INT_KEY("schedule.timeout_s", timeout_s, 1, 3600, 30),
    STRING_KEY("cache.dir", cache_dir, NULL, ""),
    /* 1048576 MB is a terabyte, more than any terminal's card. */
    INT_KEY("cache.max_mb", cache_max_mb, 0, 1048576, 0),
    STRING_KEY("network.proxy", proxy, check_proxy, ""),
    STRING_KEY("network.ca_file", ca_file, check_readable, ""),
    BOOL_KEY("display.fullscreen", fullscreen, true),
    INT_KEY("display.width", window_width, 64, 16384, 540),
    INT_KEY("display.height", window_height, 64, 16384, 960),
    {.path = "display.rotation", .kind = FIELD_INT, .offset = AT(rotation),
     .only = rotations, .n_only = sizeof(rotations) / sizeof(rotations[0])},
    {.path = "display.layout", .kind = FIELD_CHOICE, .offset = AT(layout),
     .choices = layouts, .default_number = CONFIG_LAYOUT_SPLIT},
    {.path = "display.split", .kind = FIELD_FLOAT, .offset = AT(split),
     .min = 0.1, .max = 1.0, .default_number = 0.5},
    INT_KEY("display.upper_display", upper_display, 0, 7, 0),
    INT_KEY("display.lower_display", lower_display, 0, 7, 1),
    INT_KEY("display.crossfade_ms", crossfade_ms, 0, 5000, 400),
    STRING_KEY("display.fallback_image", fallback_image, check_readable, ""),
    STRING_KEY("display.power_on", power_on, check_clock_time, ""),
    STRING_KEY("display.power_off", power_off, check_clock_time, ""),
    BOOL_KEY("display.power_dpms", power_dpms, true),
    STRING_KEY("display.power_on_command", power_on_command, NULL, ""),
    STRING_KEY("display.power_off_command", power_off_command, NULL, ""),
    {.path = "video.hwdec", .kind = FIELD_STRING, .offset = AT(video_hwdec),
     .choices = hwdecs, .default_string = "auto"},
    STRING_KEY("alerts.url", alerts_url, check_url, ""),
    INT_KEY("alerts.poll_seconds", alerts_poll_seconds, 1, 3600, 5),
    INT_KEY("alerts.ticker_speed", ticker_speed, 10, 2000, 120),
    {.path = "alerts.ticker_zone", .kind = FIELD_STRING, .offset = AT(ticker_zone),
     .choices = zone_names, .default_string = "lower"},
    BOOL_KEY("audio.enabled", audio, true),
    INT_KEY("audio.volume", volume, 0, 100, 80),
    STRING_KEY("fonts.regular", font_regular, check_readable, ""),
    STRING_KEY("fonts.bold", font_bold, check_readable, ""),
    INT_KEY("fonts.min_size", font_min_size, 8, 200, 20),
    {.path = "log.level", .kind = FIELD_STRING, .offset = AT(log_level),
     .choices = log_levels, .default_string = "info"},
};

#define SCHEMA_SIZE (sizeof(schema) / sizeof(schema[0]))

/* FIELD_CHOICE stores its index through an int. */
_Static_assert(sizeof(enum config_layout) == sizeof(int),
               "enum config_layout must be int-sized");

static void *field_slot(struct config *cfg, const struct field *f)
{
    return (char *)cfg + f->offset;
}

/*
 * Text checks. Values are echoed back in messages and some end up on
 * screen, so control characters and broken UTF-8 are refused or escaped.
 */

/* Returns the length of the UTF-8 sequence at S if it encodes one
 * printable character, else 0 (also at the end of the string). */
static size_t text_char_length(const unsigned char *s)
{
    static const uint32_t shortest[] = {0, 0, 0x80, 0x800, 0x10000};
    size_t len;
    uint32_t cp;

    if (s[0] >= 0x20 && s[0] < 0x7f)
        return 1;
    if (s[0] >= 0xc2 && s[0] <= 0xdf) {
        len = 2;
        cp = s[0] & 0x1f;
    } else if (s[0] >= 0xe0 && s[0] <= 0xef) {
        len = 3;
        cp = s[0] & 0x0f;
    } else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
        len = 4;
        cp = s[0] & 0x07;
    } else {
        return 0;
    }
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = cp << 6 | (s[i] & 0x3f);
    }
    /* Overlong forms, surrogates, beyond Unicode, C1 control characters. */
    if (cp < shortest[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)
        || cp < 0xa0) {
        return 0;
    }
    return len;
}

static bool text_is_printable(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        size_t n = text_char_length(p);
        if (n == 0)
            return false;
        p += n;
    }
    return true;
}

/* Copies S into BUF for a message: unprintable bytes become \xNN, and a
 * long value is cut at a character boundary and marked with "...". */
static const char *text_escape(const char *s, char *buf, size_t size)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t used = 0, echoed = 0;

    while (*p && used + 8 < size) {
        size_t n = text_char_length(p);
        if (echoed >= ECHO_MAX) {
            memcpy(buf + used, "...", 3);
            used += 3;
            break;
        }
        if (n == 0) {
            used += (size_t)snprintf(buf + used, size - used, "\\x%02x", *p);
            n = 1;
        } else {
            memcpy(buf + used, p, n);
            used += n;
        }
        p += n;
        echoed += n;
    }
    buf[used] = '\0';
    return buf;
}

/* The buffer text_escape() needs for ECHO_MAX bytes of the worst kind. */
#define ECHO_BUF (ECHO_MAX * 4 + 16)

static bool check_device_id(const char *value, char *why, size_t why_size)
{
    char echo[ECHO_BUF];

    if (strlen(value) > DEVICE_ID_MAX) {
        snprintf(why, why_size, "must be at most %d bytes long, got %zu",
                 DEVICE_ID_MAX, strlen(value));
        return false;
    }
    if (!text_is_printable(value)) {
        snprintf(why, why_size, "must be printable text (UTF-8), got '%s'",
                 text_escape(value, echo, sizeof(echo)));
        return false;
    }
    return true;
}

static bool check_url(const char *value, char *why, size_t why_size)
{
    static const char *const prefixes[] = {"file://", "http://", "https://", "/"};
    char echo[ECHO_BUF];

    if (!*value)
        return true;
    for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
        if (strncmp(value, prefixes[i], strlen(prefixes[i])) == 0)
            return true;
    }
    snprintf(why, why_size,
             "must be empty or start with file://, http://, https:// or /, "
             "got '%s'", text_escape(value, echo, sizeof(echo)));
    return false;
}

/* The proxy goes into every request libcurl makes. Without a scheme
 * libcurl guesses one; a typing mistake should rather show up at start. */
static bool check_proxy(const char *value, char *why, size_t why_size)
{
    static const char *const schemes[] = {"http://", "https://", "socks4://",
                                          "socks4a://", "socks5://", "socks5h://"};
    char echo[ECHO_BUF];

    if (!*value)
        return true;
    text_escape(value, echo, sizeof(echo));
    for (const char *p = value; *p; p++) {
        if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f) {
            snprintf(why, why_size, "must be an address without spaces or "
                     "special characters, got '%s'", echo);
            return false;
        }
    }
    for (size_t i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++) {
        size_t len = strlen(schemes[i]);
        if (strncmp(value, schemes[i], len) == 0 && value[len])
            return true;
    }
    snprintf(why, why_size, "must be empty or an address such as "
             "'http://proxy.example:3128' (http, https, socks4, socks4a, socks5 "
             "or socks5h), got '%s'", echo);
    return false;
}

/* Fonts and the fallback image are read long after start-up; finding out
 * then that the path is wrong would leave a blank zone with no warning. */
/* A time zone name as the system knows it, such as Asia/Shanghai. */
static bool check_timezone(const char *value, char *why, size_t why_size)
{
    char echo[ECHO_BUF], path[512];
    if (!*value)
        return true;
    text_escape(value, echo, sizeof(echo));
    if (strstr(value, "..") || value[0] == '/') {
        snprintf(why, why_size, "must be a zone name such as Asia/Shanghai, got '%s'", echo);
        return false;
    }
    snprintf(path, sizeof(path), "/usr/share/zoneinfo/%s", value);
    if (access(path, R_OK) != 0) {
        snprintf(why, why_size, "unknown time zone '%s' (is the tzdata package installed?)",
                 echo);
        return false;
    }
    return true;
}

/* A wall-clock time of day, HH:MM. */
static bool check_clock_time(const char *value, char *why, size_t why_size)
{
    char echo[ECHO_BUF];
    int h, m, n = 0;
    if (!*value)
        return true;
    if (sscanf(value, "%2d:%2d%n", &h, &m, &n) == 2 && n == 5 && value[n] == '\0' && h >= 0 &&
        h < 24 && m >= 0 && m < 60)
        return true;
    snprintf(why, why_size, "must be a time of day such as 07:30, got '%s'",
             text_escape(value, echo, sizeof(echo)));
    return false;
}

static bool check_readable(const char *value, char *why, size_t why_size)
{
    char echo[ECHO_BUF];
    struct stat st;

    if (!*value)
        return true;
    text_escape(value, echo, sizeof(echo));
    if (stat(value, &st) != 0 || access(value, R_OK) != 0) {
        snprintf(why, why_size, "cannot read %s: %s", echo, strerror(errno));
        return false;
    }
    if (!S_ISREG(st.st_mode)) {
        snprintf(why, why_size, "cannot read %s: not a regular file", echo);
        return false;
    }
    return true;
}

/*
 * The schema: lookups and spelling suggestions.
 */

static const struct field *schema_find(const char *path)
{
    for (size_t i = 0; i < SCHEMA_SIZE; i++) {
        if (strcmp(schema[i].path, path) == 0)
            return &schema[i];
    }
    return NULL;
}

/* True if PATH is a group that holds some key, like "display". */
static bool schema_is_group(const char *path)
{
    size_t len = strlen(path);
    for (size_t i = 0; i < SCHEMA_SIZE; i++) {
        if (strncmp(schema[i].path, path, len) == 0 && schema[i].path[len] == '.')
            return true;
    }
    return false;
}

/* Edits (insert, delete, replace, swap two neighbours) from A to B. */
static size_t schema_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    size_t rows[3][KEY_PATH_MAX + 1];
    size_t *before = rows[0], *prev = rows[1], *cur = rows[2];

    if (la > KEY_PATH_MAX || lb > KEY_PATH_MAX)
        return SIZE_MAX;
    for (size_t j = 0; j <= lb; j++)
        prev[j] = j;
    for (size_t i = 1; i <= la; i++) {
        cur[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t cost = a[i - 1] != b[j - 1];
            size_t best = prev[j - 1] + cost;
            if (prev[j] + 1 < best)
                best = prev[j] + 1;
            if (cur[j - 1] + 1 < best)
                best = cur[j - 1] + 1;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]
                && before[j - 2] + 1 < best) {
                best = before[j - 2] + 1;
            }
            cur[j] = best;
        }
        size_t *oldest = before;
        before = prev;
        prev = cur;
        cur = oldest;
    }
    return prev[lb];
}

/* Writes to OUT the full path of the key in group PREFIX (NULL for the top
 * level) whose name is closest to NAME, if it is a likely misspelling. */
static bool schema_suggest(const char *prefix, const char *name, char *out,
                           size_t out_size)
{
    size_t skip = prefix ? strlen(prefix) + 1 : 0;
    size_t best = SIZE_MAX;

    for (size_t i = 0; i < SCHEMA_SIZE; i++) {
        const char *known = schema[i].path;
        if (prefix && (strncmp(known, prefix, skip - 1) != 0 || known[skip - 1] != '.'))
            continue;
        /* The name one level below PREFIX: "rotation", or "display" at the top. */
        size_t len = strcspn(known + skip, ".");
        char candidate[KEY_PATH_MAX];
        snprintf(candidate, sizeof(candidate), "%.*s", (int)len, known + skip);
        size_t d = schema_distance(name, candidate);
        /* Two edits make most short names alike ("foo" and "log"), so a
         * short name may differ by fewer. */
        if (d < best && d <= SUGGEST_DISTANCE_MAX && d * 3 <= len + 1) {
            best = d;
            snprintf(out, out_size, "%.*s", (int)(skip + len), known);
        }
    }
    return best != SIZE_MAX;
}

/*
 * Reporting.
 */

static void loader_report(struct loader *ld, unsigned line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void loader_report(struct loader *ld, unsigned line, const char *fmt, ...)
{
    va_list ap;

    ld->problems++;
    if (!ld->err)
        return;
    if (line)
        fprintf(ld->err, "%s:%u: ", ld->name, line);
    else
        fprintf(ld->err, "%s: ", ld->name);
    va_start(ap, fmt);
    vfprintf(ld->err, fmt, ap);
    va_end(ap);
    fputc('\n', ld->err);
}

static const char *type_name(const config_setting_t *s)
{
    switch (config_setting_type(s)) {
    case CONFIG_TYPE_GROUP:
        return "a group";
    case CONFIG_TYPE_INT:
    case CONFIG_TYPE_INT64:
        return "an integer";
    case CONFIG_TYPE_FLOAT:
        return "a float";
    case CONFIG_TYPE_STRING:
        return "a string";
    case CONFIG_TYPE_BOOL:
        return "a boolean";
    case CONFIG_TYPE_ARRAY:
        return "an array";
    case CONFIG_TYPE_LIST:
        return "a list";
    }
    return "nothing";
}

static bool loader_expect(struct loader *ld, const config_setting_t *s,
                          const char *path, bool ok, const char *wanted)
{
    if (!ok) {
        loader_report(ld, config_setting_source_line(s), "%s: expected %s, got %s",
                      path, wanted, type_name(s));
    }
    return ok;
}

/* Writes "'a', 'b' or 'c'" to OUT. */
static const char *format_choices(const char *const *choices, char *out, size_t size)
{
    size_t used = 0;
    out[0] = '\0';
    for (size_t i = 0; choices[i] && used < size; i++) {
        const char *sep = i == 0 ? "" : choices[i + 1] ? ", " : " or ";
        used += (size_t)snprintf(out + used, size - used, "%s'%s'", sep, choices[i]);
    }
    return out;
}

/* Writes "0, 90, 180 or 270" to OUT. */
static const char *format_ints(const int *values, size_t n, char *out, size_t size)
{
    size_t used = 0;
    out[0] = '\0';
    for (size_t i = 0; i < n && used < size; i++) {
        const char *sep = i == 0 ? "" : i + 1 < n ? ", " : " or ";
        used += (size_t)snprintf(out + used, size - used, "%s%d", sep, values[i]);
    }
    return out;
}

/*
 * Reading one value per schema row.
 */

static bool loader_store_string(struct loader *ld, char **slot, const char *value)
{
    char *copy = strdup(value);
    if (!copy) {
        loader_report(ld, 0, "out of memory");
        return false;
    }
    free(*slot);
    *slot = copy;
    return true;
}

static void loader_read_bool(struct loader *ld, const struct field *f,
                             const config_setting_t *s)
{
    if (!loader_expect(ld, s, f->path, config_setting_type(s) == CONFIG_TYPE_BOOL,
                       "true or false")) {
        return;
    }
    *(bool *)field_slot(ld->cfg, f) = config_setting_get_bool(s);
}

static bool int_allowed(const struct field *f, long long value)
{
    if (!f->only)
        return value >= (long long)f->min && value <= (long long)f->max;
    for (size_t i = 0; i < f->n_only; i++) {
        if (value == f->only[i])
            return true;
    }
    return false;
}

static void loader_read_int(struct loader *ld, const struct field *f,
                            const config_setting_t *s)
{
    int type = config_setting_type(s);
    unsigned line = config_setting_source_line(s);
    char allowed[128];

    if (!loader_expect(ld, s, f->path,
                       type == CONFIG_TYPE_INT || type == CONFIG_TYPE_INT64,
                       "an integer")) {
        return;
    }
    long long value = config_setting_get_int64(s);
    if (int_allowed(f, value)) {
        *(int *)field_slot(ld->cfg, f) = (int)value;
    } else if (f->only) {
        loader_report(ld, line, "%s: must be %s, got %lld", f->path,
                      format_ints(f->only, f->n_only, allowed, sizeof(allowed)), value);
    } else {
        loader_report(ld, line, "%s: must be between %lld and %lld, got %lld", f->path,
                      (long long)f->min, (long long)f->max, value);
    }
}

static void loader_read_float(struct loader *ld, const struct field *f,
                              const config_setting_t *s)
{
    int type = config_setting_type(s);
    double value;

    if (type == CONFIG_TYPE_INT || type == CONFIG_TYPE_INT64) {
        value = (double)config_setting_get_int64(s);
    } else if (loader_expect(ld, s, f->path, type == CONFIG_TYPE_FLOAT, "a number")) {
        value = config_setting_get_float(s);
    } else {
        return;
    }
    /* Written so that NaN fails too. */
    if (!(value >= f->min && value <= f->max)) {
        loader_report(ld, config_setting_source_line(s),
                      "%s: must be between %g and %g, got %g", f->path, f->min,
                      f->max, value);
        return;
    }
    *(double *)field_slot(ld->cfg, f) = value;
}

static int choice_index(const char *const *choices, const char *value)
{
    for (int i = 0; choices[i]; i++) {
        if (strcmp(choices[i], value) == 0)
            return i;
    }
    return -1;
}

/* Returns the string if it has the right type and is one of the choices,
 * if the row has any; else reports the problem and returns NULL. */
static const char *loader_get_string(struct loader *ld, const struct field *f,
                                     const config_setting_t *s, int *index)
{
    char echo[ECHO_BUF], allowed[128];

    if (!loader_expect(ld, s, f->path, config_setting_type(s) == CONFIG_TYPE_STRING,
                       "a string")) {
        return NULL;
    }
    const char *value = config_setting_get_string(s);
    if (!f->choices)
        return value;
    *index = choice_index(f->choices, value);
    if (*index < 0) {
        loader_report(ld, config_setting_source_line(s), "%s: must be %s, got '%s'",
                      f->path, format_choices(f->choices, allowed, sizeof(allowed)),
                      text_escape(value, echo, sizeof(echo)));
        return NULL;
    }
    return value;
}

static void loader_read_string(struct loader *ld, const struct field *f,
                               const config_setting_t *s)
{
    char why[ECHO_BUF + 256];
    int index = -1;

    const char *value = loader_get_string(ld, f, s, &index);
    if (!value)
        return;
    if (f->check && !f->check(value, why, sizeof(why))) {
        loader_report(ld, config_setting_source_line(s), "%s: %s", f->path, why);
        return;
    }
    loader_store_string(ld, field_slot(ld->cfg, f), value);
}

static void loader_read_choice(struct loader *ld, const struct field *f,
                               const config_setting_t *s)
{
    int index = -1;

    if (loader_get_string(ld, f, s, &index))
        memcpy(field_slot(ld->cfg, f), &index, sizeof(index));
}

static void loader_read_tag(struct loader *ld, const char *path,
                            const config_setting_t *s)
{
    struct config *cfg = ld->cfg;
    char echo[ECHO_BUF];

    if (!loader_expect(ld, s, path, config_setting_type(s) == CONFIG_TYPE_STRING,
                       "a string")) {
        return;
    }
    const char *value = config_setting_get_string(s);
    if (!text_is_printable(value)) {
        loader_report(ld, config_setting_source_line(s),
                      "%s: must be printable text (UTF-8), got '%s'", path,
                      text_escape(value, echo, sizeof(echo)));
        return;
    }
    struct config_tag *tag = &cfg->tags[cfg->n_tags];
    tag->key = strdup(config_setting_name(s));
    tag->value = strdup(value);
    /* Counted even if a copy failed, so config_free() frees the other. */
    cfg->n_tags++;
    if (!tag->key || !tag->value)
        loader_report(ld, 0, "out of memory");
}

static void loader_read_tags(struct loader *ld, const struct field *f,
                             const config_setting_t *group)
{
    struct config *cfg = ld->cfg;
    char path[KEY_PATH_MAX];

    if (!loader_expect(ld, group, f->path,
                       config_setting_type(group) == CONFIG_TYPE_GROUP, "a group")) {
        return;
    }
    int n = config_setting_length(group);
    if (n == 0)
        return;
    /* libconfig refuses a second "tags" group, so this is the only one. */
    cfg->tags = calloc((size_t)n, sizeof(*cfg->tags));
    if (!cfg->tags) {
        loader_report(ld, 0, "out of memory");
        return;
    }
    for (int i = 0; i < n; i++) {
        const config_setting_t *s = config_setting_get_elem(group, (unsigned)i);
        snprintf(path, sizeof(path), "%s.%s", f->path, config_setting_name(s));
        loader_read_tag(ld, path, s);
    }
}

static void loader_read_field(struct loader *ld, const struct field *f,
                              const config_setting_t *s)
{
    switch (f->kind) {
    case FIELD_BOOL:
        loader_read_bool(ld, f, s);
        break;
    case FIELD_INT:
        loader_read_int(ld, f, s);
        break;
    case FIELD_FLOAT:
        loader_read_float(ld, f, s);
        break;
    case FIELD_STRING:
        loader_read_string(ld, f, s);
        break;
    case FIELD_CHOICE:
        loader_read_choice(ld, f, s);
        break;
    case FIELD_TAGS:
        loader_read_tags(ld, f, s);
        break;
    }
}

/*
 * Walking the file.
 */

static void loader_unknown(struct loader *ld, const config_setting_t *s,
                           const char *prefix, const char *path)
{
    char suggestion[KEY_PATH_MAX];
    unsigned line = config_setting_source_line(s);

    if (schema_suggest(prefix, config_setting_name(s), suggestion, sizeof(suggestion))) {
        loader_report(ld, line, "unknown key '%s', did you mean '%s'?", path,
                      suggestion);
    } else {
        loader_report(ld, line, "unknown key '%s'", path);
    }
}

/* PREFIX is the dotted path of GROUP, or NULL for the top level. */
static void loader_walk(struct loader *ld, const config_setting_t *group,
                        const char *prefix)
{
    int n = config_setting_length(group);

    for (int i = 0; i < n; i++) {
        const config_setting_t *s = config_setting_get_elem(group, (unsigned)i);
        char path[KEY_PATH_MAX];

        /* A cut-off path is longer than every known key, so stays unknown. */
        if (prefix)
            snprintf(path, sizeof(path), "%s.%s", prefix, config_setting_name(s));
        else
            snprintf(path, sizeof(path), "%s", config_setting_name(s));

        const struct field *f = schema_find(path);
        if (f) {
            loader_read_field(ld, f, s);
        } else if (!schema_is_group(path)) {
            loader_unknown(ld, s, prefix, path);
        } else if (loader_expect(ld, s, path,
                                 config_setting_type(s) == CONFIG_TYPE_GROUP,
                                 "a group")) {
            loader_walk(ld, s, path);
        }
    }
}

/* In the dual layout each zone needs a display of its own. */
static void loader_check_displays(struct loader *ld, const config_t *lc)
{
    const struct config *cfg = ld->cfg;
    const config_setting_t *s = config_lookup(lc, "display.lower_display");

    if (cfg->layout != CONFIG_LAYOUT_DUAL || cfg->upper_display != cfg->lower_display)
        return;
    if (!s)
        s = config_lookup(lc, "display.upper_display");
    if (!s)
        s = config_lookup(lc, "display.layout");
    loader_report(ld, s ? config_setting_source_line(s) : 0,
                  "display.lower_display: must differ from display.upper_display "
                  "(both are %d) when display.layout is 'dual'", cfg->lower_display);
}

/* libconfig would open any file an @include names, a pipe or a device
 * included, and the configuration is meant to be the one file we checked. */
static void loader_refuse_includes(struct loader *ld, const char *text)
{
    unsigned line = 1;

    for (const char *p = text; p; line++) {
        p += strspn(p, " \t");
        if (strncmp(p, "@include", 8) == 0) {
            loader_report(ld, line, "@include is not supported: keep the whole "
                          "configuration in this one file");
        }
        p = strchr(p, '\n');
        if (p)
            p++;
    }
}

static char *hostname_or_fallback(void)
{
    char name[256];

    if (gethostname(name, sizeof(name)) != 0) {
        log_warn("cannot read the hostname for the device id, using '%s': %s",
                 DEVICE_ID_FALLBACK, strerror(errno));
        return strdup(DEVICE_ID_FALLBACK);
    }
    name[sizeof(name) - 1] = '\0';
    return strdup(name[0] ? name : DEVICE_ID_FALLBACK);
}

static struct config *loader_run(struct loader *ld, const char *text)
{
    config_t lc;

    config_init(&lc);
    /* Windows editors start UTF-8 files with a byte order mark, which
     * libconfig would call a syntax error. */
    if (strncmp(text, "\xef\xbb\xbf", 3) == 0)
        text += 3;
    loader_refuse_includes(ld, text);
    if (ld->problems)
        goto out;
    if (!config_read_string(&lc, text)) {
        const char *why = config_error_text(&lc);
        int line = config_error_line(&lc);
        if (strcmp(why, "syntax error") == 0)
            loader_report(ld, line > 0 ? (unsigned)line : 0, "syntax error");
        else
            loader_report(ld, line > 0 ? (unsigned)line : 0, "syntax error: %s", why);
        goto out;
    }
    ld->cfg = config_create_default();
    if (!ld->cfg) {
        loader_report(ld, 0, "out of memory");
        goto out;
    }
    if (!loader_store_string(ld, &ld->cfg->path, ld->name))
        goto out;
    loader_walk(ld, config_root_setting(&lc), NULL);
    loader_check_displays(ld, &lc);
    if (!ld->cfg->device_id[0]) {
        free(ld->cfg->device_id);
        ld->cfg->device_id = hostname_or_fallback();
        if (!ld->cfg->device_id)
            loader_report(ld, 0, "out of memory");
    }

out:
    config_destroy(&lc);
    if (ld->problems) {
        config_free(ld->cfg);
        ld->cfg = NULL;
    }
    return ld->cfg;
}

/* Reads PATH whole into a NUL-terminated buffer, or reports why not. */
static char *loader_read_file(struct loader *ld, const char *path)
{
    char *text = malloc(FILE_SIZE_MAX + 1);
    size_t len = 0;
    FILE *f = NULL;

    if (!text) {
        loader_report(ld, 0, "out of memory");
        goto fail;
    }
    f = fopen(path, "rb");
    if (!f) {
        loader_report(ld, 0, "cannot read: %s", strerror(errno));
        goto fail;
    }
    /* One byte past the cap tells a file at the cap from a larger one. */
    len = fread(text, 1, FILE_SIZE_MAX + 1, f);
    if (ferror(f)) {
        loader_report(ld, 0, "cannot read: %s", strerror(errno));
        goto fail;
    }
    if (len > FILE_SIZE_MAX) {
        loader_report(ld, 0, "too large: a configuration file may have at most "
                      "%d bytes", FILE_SIZE_MAX);
        goto fail;
    }
    text[len] = '\0';
    /* libconfig would stop at a NUL and ignore everything after it. */
    const char *nul = memchr(text, '\0', len);
    if (nul) {
        unsigned line = 1;
        for (const char *p = text; p < nul; p++)
            line += *p == '\n';
        loader_report(ld, line, "contains a NUL byte: this is not a text file");
        goto fail;
    }
    fclose(f);
    return text;

fail:
    if (f)
        fclose(f);
    free(text);
    return NULL;
}

/*
 * Public functions.
 */

struct config *config_create_default(void)
{
    struct config *cfg = calloc(1, sizeof(*cfg));
    if (!cfg)
        return NULL;

    for (size_t i = 0; i < SCHEMA_SIZE; i++) {
        const struct field *f = &schema[i];
        void *slot = field_slot(cfg, f);
        int index = (int)f->default_number;

        switch (f->kind) {
        case FIELD_BOOL:
            *(bool *)slot = f->default_number != 0;
            break;
        case FIELD_INT:
            *(int *)slot = (int)f->default_number;
            break;
        case FIELD_FLOAT:
            *(double *)slot = f->default_number;
            break;
        case FIELD_STRING:
            *(char **)slot = strdup(f->default_string);
            if (!*(char **)slot)
                goto fail;
            break;
        case FIELD_CHOICE:
            memcpy(slot, &index, sizeof(index));
            break;
        case FIELD_TAGS:
            break;
        }
    }
    if (!cfg->device_id[0]) {
        free(cfg->device_id);
        cfg->device_id = hostname_or_fallback();
        if (!cfg->device_id)
            goto fail;
    }
    return cfg;

fail:
    config_free(cfg);
    return NULL;
}

struct config *config_load_string(const char *text, const char *name, FILE *err)
{
    struct loader ld = {.name = name ? name : "(string)", .err = err};

    return loader_run(&ld, text);
}

struct config *config_load(const char *path, FILE *err)
{
    struct loader ld = {.name = path, .err = err};
    struct config *cfg = NULL;

    char *text = loader_read_file(&ld, path);
    if (text)
        cfg = loader_run(&ld, text);
    free(text);
    return cfg;
}

const char *config_tag(const struct config *cfg, const char *key)
{
    if (!cfg)
        return NULL;
    for (int i = 0; i < cfg->n_tags; i++) {
        if (cfg->tags[i].key && strcmp(cfg->tags[i].key, key) == 0)
            return cfg->tags[i].value;
    }
    return NULL;
}

void config_free(struct config *cfg)
{
    if (!cfg)
        return;
    for (size_t i = 0; i < SCHEMA_SIZE; i++) {
        if (schema[i].kind == FIELD_STRING)
            free(*(char **)field_slot(cfg, &schema[i]));
    }
    for (int i = 0; i < cfg->n_tags; i++) {
        free(cfg->tags[i].key);
        free(cfg->tags[i].value);
    }
    free(cfg->tags);
    free(cfg->path);
    free(cfg);
}
