#define LOG_MODULE "alerts"
#include "player/alerts.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "net/source.h"
#include "player/jcheck.h"
#include "player/log.h"

/* Longest title, body or QR payload in bytes: a lobby screen shows far
 * less, and a bounded field keeps a damaged document small in memory. */
#define MAX_TEXT (8 * 1024)
#define MAX_QR 2000
#define MAX_ALERTS 64
#define MAX_INSERT_TIMES 100
#define MAX_MEDIA_URL 2048

static const char *const level_names[] = {"info", "warning", "emergency", NULL};
static const char *const target_names[] = {"default", "all", "upper", "lower", "ticker", NULL};
static const char *const zone_names[] = {"upper", "lower", NULL};

const char *alerts_level_name(enum alert_level level)
{
    return level_names[level];
}

static void check_keys(json_t *obj, const char *const *known, const char *where)
{
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v) {
        bool found = false;
        for (int i = 0; known[i] && !found; i++)
            found = strcmp(key, known[i]) == 0;
        if (!found)
            log_warn("%s: unknown key \"%s\" ignored (made for a newer player?)", where, key);
    }
}

/* The own file of an alert: {"url": ..., "size": N, "sha256": "..."}, the
 * same rules as a downloaded media entry of the schedule. */
static void parse_media_file(struct jcheck *c, json_t *v, struct alert_media *m)
{
    static const char *const keys[] = {"url", "size", "sha256", NULL};
    char got[96];
    const char *hash;
    check_keys(v, keys, c->url);
    jcheck_enter_key(c, "media");

    enum jfield f = jcheck_take_string(c, v, "url", MAX_MEDIA_URL, true, &m->url);
    if (f == JFIELD_ABSENT) {
        jcheck_fail(c, "url", "required: the address of the picture or video");
    } else if (f == JFIELD_OK && !source_is_http(m->url) &&
               (source_has_scheme(m->url) || !source_is_http(c->url))) {
        /* The feed downloads it; a relative address means one next to
         * the alerts document on its web server. */
        jcheck_fail(c, "url", "must be an http:// or https:// address (or one relative to an "
                              "alerts document on a web server), got %s",
                    jcheck_describe(json_object_get(v, "url"), got, sizeof(got)));
    }

    json_t *size = json_object_get(v, "size");
    if (!size) {
        jcheck_fail(c, "size", "required: the file's size in bytes, so that a wrong download "
                               "is never shown");
    } else if (!json_is_integer(size) || json_integer_value(size) < 1) {
        jcheck_fail(c, "size", "must be a whole number of bytes, 1 or more, got %s",
                    jcheck_describe(size, got, sizeof(got)));
    } else {
        m->size = json_integer_value(size);
    }

    f = jcheck_string(c, v, "sha256", 256, true, &hash);
    if (f == JFIELD_ABSENT) {
        jcheck_fail(c, "sha256", "required: the file's SHA-256, so that a damaged or wrong "
                                 "download is never shown");
    } else if (f == JFIELD_OK) {
        size_t n = strspn(hash, "0123456789abcdefABCDEF");
        if (n != 64 || hash[n]) {
            jcheck_fail(c, "sha256", "must be 64 hexadecimal digits, got %s",
                        jcheck_describe(json_object_get(v, "sha256"), got, sizeof(got)));
        } else {
            for (size_t i = 0; i < 64; i++)
                m->sha256[i] = (char)(hash[i] >= 'A' && hash[i] <= 'F' ? hash[i] - 'A' + 'a'
                                                                       : hash[i]);
            m->sha256[64] = '\0';
        }
    }
    jcheck_leave(c);
}

/* "media": the id of a media entry of the schedule, or a file of its own. */
static void parse_media(struct jcheck *c, json_t *obj, struct alert_media *m)
{
    json_t *v = json_object_get(obj, "media");
    char got[96];
    if (!v)
        return;
    if (json_is_string(v)) {
        jcheck_take_string(c, obj, "media", 256, true, &m->id);
    } else if (json_is_object(v)) {
        parse_media_file(c, v, m);
    } else {
        jcheck_fail(c, "media", "must be the id of a media entry of the schedule (a string) "
                                "or an object with \"url\", \"size\" and \"sha256\", got %s",
                    jcheck_describe(v, got, sizeof(got)));
    }
}

bool alerts_has_media(const struct alert *a)
{
    return a->media.id || a->media.url;
}

static void parse_alert(struct jcheck *c, json_t *v, struct alert *a)
{
    static const char *const keys[] = {
        "id", "level", "title", "body", "qr", "zone", "media", "start", "expires", NULL,
    };
    char got[96];
    if (!json_is_object(v)) {
        jcheck_fail(c, NULL, "must be an object, got %s", jcheck_describe(v, got, sizeof(got)));
        return;
    }
    check_keys(v, keys, c->url);
    if (jcheck_take_string(c, v, "id", 256, true, &a->id) == JFIELD_ABSENT)
        jcheck_fail(c, "id", "required: a name that stays the same while the alert is updated");
    int level;
    enum jfield f = jcheck_choice(c, v, "level", level_names, &level);
    if (f == JFIELD_ABSENT)
        jcheck_fail(c, "level", "required: emergency, warning or info");
    a->level = f == JFIELD_OK ? (enum alert_level)level : ALERT_INFO;

    int target = ALERT_TARGET_DEFAULT;
    jcheck_choice(c, v, "zone", target_names, &target);
    a->target = (enum alert_target)target;

    jcheck_take_string(c, v, "title", MAX_TEXT, false, &a->title);
    jcheck_take_string(c, v, "body", MAX_TEXT, false, &a->body);
    jcheck_take_string(c, v, "qr", MAX_QR, true, &a->qr);
    parse_media(c, v, &a->media);
    bool words = (a->title && a->title[0]) || (a->body && a->body[0]);
    if (!words && !json_object_get(v, "media"))
        jcheck_fail(c, NULL, "needs a \"title\", a \"body\" or \"media\" to show");

    jcheck_time(c, v, "start", &a->start);
    if (jcheck_time(c, v, "expires", &a->expires) == JFIELD_ABSENT) {
        jcheck_fail(c, "expires", "required: an alert without an end would never leave the "
                                  "screen");
    } else if (a->start && a->expires && a->expires <= a->start) {
        jcheck_fail(c, "expires", "must be later than \"start\"");
    }
}

static void parse_insert(struct jcheck *c, json_t *v, struct alert_insert *ins)
{
    static const char *const keys[] = {"id", "zone", "item", "times", "expires", NULL};
    char got[96];
    if (!json_is_object(v)) {
        jcheck_fail(c, NULL, "must be an object, got %s", jcheck_describe(v, got, sizeof(got)));
        return;
    }
    check_keys(v, keys, c->url);
    if (jcheck_take_string(c, v, "id", 256, true, &ins->id) == JFIELD_ABSENT)
        jcheck_fail(c, "id", "required: a new id plays the media again");
    int zone = ZONE_UPPER;
    if (jcheck_choice(c, v, "zone", zone_names, &zone) == JFIELD_ABSENT)
        jcheck_fail(c, "zone", "required: upper or lower");
    ins->zone = (enum zone_id)zone;
    if (jcheck_take_string(c, v, "item", 256, true, &ins->item) == JFIELD_ABSENT)
        jcheck_fail(c, "item", "required: the id of an item of the schedule");
    int64_t times = 1;
    jcheck_integer(c, v, "times", 1, MAX_INSERT_TIMES, &times);
    ins->times = (int)times;
    jcheck_time(c, v, "expires", &ins->expires);
}

static void parse_list(struct jcheck *c, json_t *root, const char *key, size_t elem_size,
                       void **out, size_t *n_out,
                       void (*parse)(struct jcheck *, json_t *, void *))
{
    json_t *list = json_object_get(root, key);
    char got[96];
    if (!list)
        return;
    if (!json_is_array(list)) {
        jcheck_fail(c, key, "must be an array, got %s", jcheck_describe(list, got, sizeof(got)));
        return;
    }
    size_t n = json_array_size(list);
    if (n > MAX_ALERTS) {
        jcheck_fail(c, key, "holds %zu entries; at most %d are accepted", n, MAX_ALERTS);
        return;
    }
    *out = calloc(n ? n : 1, elem_size);
    if (!*out) {
        jcheck_fail(c, key, "out of memory");
        return;
    }
    *n_out = n;
    jcheck_enter_key(c, key);
    for (size_t i = 0; i < n; i++) {
        jcheck_enter_index(c, i);
        parse(c, json_array_get(list, i), (char *)*out + i * elem_size);
        jcheck_leave(c);
    }
    jcheck_leave(c);
}

static void parse_alert_cb(struct jcheck *c, json_t *v, void *out)
{
    parse_alert(c, v, out);
}

static void parse_insert_cb(struct jcheck *c, json_t *v, void *out)
{
    parse_insert(c, v, out);
}

static void check_unique_ids(struct jcheck *c, const struct alerts *a)
{
    for (size_t i = 0; i < a->n_alerts; i++) {
        for (size_t k = 0; k < i; k++) {
            const char *id = a->alerts[i].id, *other = a->alerts[k].id;
            if (id && other && strcmp(id, other) == 0) {
                jcheck_enter_key(c, "alerts");
                jcheck_enter_index(c, i);
                jcheck_fail(c, "id", "\"%s\" is already the id of alerts[%zu]", id, k);
                jcheck_leave(c);
                jcheck_leave(c);
            }
        }
    }
}

struct alerts *alerts_parse(const char *text, size_t len, const char *url, FILE *err)
{
    static const char *const keys[] = {"version", "alerts", "insert", NULL};
    struct jcheck c;
    jcheck_init(&c, url, text, len, err);
    json_t *root = jcheck_load(&c);
    if (!root)
        return NULL;

    struct alerts *a = calloc(1, sizeof(*a));
    char got[96];
    if (!a) {
        json_decref(root);
        return NULL;
    }
    if (!json_is_object(root)) {
        jcheck_fail(&c, NULL, "the document must be a JSON object, got %s",
                    jcheck_describe(root, got, sizeof(got)));
    } else {
        check_keys(root, keys, c.url);
        parse_list(&c, root, "alerts", sizeof(struct alert), (void **)&a->alerts, &a->n_alerts,
                   parse_alert_cb);
        parse_list(&c, root, "insert", sizeof(struct alert_insert), (void **)&a->inserts,
                   &a->n_inserts, parse_insert_cb);
        check_unique_ids(&c, a);
    }
    json_decref(root);
    if (c.n_errors) {
        alerts_free(a);
        return NULL;
    }
    return a;
}

void alerts_free(struct alerts *a)
{
    if (!a)
        return;
    for (size_t i = 0; i < a->n_alerts; i++) {
        struct alert *al = &a->alerts[i];
        free(al->id);
        free(al->title);
        free(al->body);
        free(al->qr);
        free(al->media.id);
        free(al->media.url);
        free(al->media.path);
    }
    for (size_t i = 0; i < a->n_inserts; i++) {
        free(a->inserts[i].id);
        free(a->inserts[i].item);
    }
    free(a->alerts);
    free(a->inserts);
    free(a);
}

bool alerts_active(const struct alert *a, time_t t)
{
    return (a->start == 0 || t >= a->start) && t < a->expires;
}

/* Whether A, shown as a zone takeover, covers ZONE. */
static bool covers(const struct alert *a, enum zone_id zone)
{
    if (a->level == ALERT_EMERGENCY)
        return true;
    if (a->level != ALERT_WARNING)
        return false;
    switch (a->target) {
    case ALERT_TARGET_ALL:
        return true;
    case ALERT_TARGET_LOWER:
        return zone == ZONE_LOWER;
    case ALERT_TARGET_DEFAULT:
    case ALERT_TARGET_UPPER:
        return zone == ZONE_UPPER;
    case ALERT_TARGET_TICKER:
        return false;
    }
    return false;
}

/* The zone whose bottom A crawls along, or -1 if A is not a ticker. */
static int ticker_of(const struct alert *a, enum zone_id ticker_zone)
{
    bool ticker = a->level == ALERT_INFO ||
                  (a->level == ALERT_WARNING && a->target == ALERT_TARGET_TICKER);
    if (!ticker)
        return -1;
    if (a->target == ALERT_TARGET_UPPER)
        return ZONE_UPPER;
    if (a->target == ALERT_TARGET_LOWER)
        return ZONE_LOWER;
    return ticker_zone;
}

void alerts_select(const struct alerts *a, time_t t, enum zone_id ticker_zone, double turn,
                   struct alerts_view *out)
{
    *out = (struct alerts_view){0};
    if (!a)
        return;
    long slot = (long)floor(turn / ALERTS_TURN_S);
    for (int z = 0; z < ZONE_COUNT; z++) {
        /* The highest level covering the zone wins; alerts of that level
         * take turns in document order. */
        int best = -1, count = 0;
        for (size_t i = 0; i < a->n_alerts; i++) {
            const struct alert *al = &a->alerts[i];
            if (!alerts_active(al, t) || !covers(al, (enum zone_id)z))
                continue;
            if ((int)al->level > best) {
                best = (int)al->level;
                count = 0;
            }
            if ((int)al->level == best)
                count++;
        }
        long pick = count ? slot % count : 0;
        for (size_t i = 0; i < a->n_alerts && count; i++) {
            const struct alert *al = &a->alerts[i];
            if (alerts_active(al, t) && covers(al, (enum zone_id)z) && (int)al->level == best &&
                pick-- == 0)
                out->cover[z] = al;
        }
    }
    for (size_t i = 0; i < a->n_alerts; i++) {
        const struct alert *al = &a->alerts[i];
        int z = ticker_of(al, ticker_zone);
        if (z < 0 || !alerts_active(al, t) || out->n_ticker[z] >= 8)
            continue;
        out->ticker[z][out->n_ticker[z]++] = al;
    }
}

time_t alerts_next_change(const struct alerts *a, time_t t)
{
    time_t next = 0;
    for (size_t i = 0; a && i < a->n_alerts; i++) {
        time_t edges[] = {a->alerts[i].start, a->alerts[i].expires};
        for (int k = 0; k < 2; k++) {
            if (edges[k] > t && (next == 0 || edges[k] < next))
                next = edges[k];
        }
    }
    return next;
}
