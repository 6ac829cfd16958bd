#define LOG_MODULE "manifest"
#include "player/log.h"

#include "player/manifest.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "net/source.h"
#include "player/jcheck.h"

/* Longest string accepted, in bytes. A zone shows far less; the limit keeps
 * a damaged manifest from filling the terminal's memory with one field. */
#define MAX_STRING (16 * 1024)

/* Longest QR payload, in bytes. The densest code (version 40) holds 2331
 * bytes at error-correction level M; the limit leaves a margin. */
#define MAX_QR 2000

#define MAX_DURATION 86400.0    /* seconds: one day */
#define DEFAULT_DURATION 10.0   /* seconds */

/* Problems written to ERR per manifest. A broken generator can produce
 * thousands of identical errors; the first ones tell the story. */
#define MAX_REPORTED 100

/* Distinct unknown keys warned about per manifest, for the same reason. */
#define MAX_WARNED_KEYS 32

enum resolved {
    RESOLVED_LOCAL,
    RESOLVED_REMOTE,
    RESOLVED_BAD,
};

struct parse {
    struct jcheck c;         /* the document, its URL and the path at hand */
    struct manifest *m;
    json_t *media_ids;       /* media id -> index into m->media */
    json_t *warned;          /* unknown keys already warned about, as a set */
    bool warned_overflow;
};

static const char *const zone_names[ZONE_COUNT] = {
    [ZONE_UPPER] = "upper",
    [ZONE_LOWER] = "lower",
};

static const char *const item_type_names[] = {
    [ITEM_IMAGE] = "image",
    [ITEM_TEXT] = "text",
    [ITEM_QR] = "qr",
    [ITEM_NOTICE] = "notice",
    [ITEM_VIDEO] = "video",
};

#define N_ITEM_TYPES (sizeof(item_type_names) / sizeof(item_type_names[0]))

static const char *const common_item_keys[] = {
    "id", "type", "duration", "fit", "fg", "bg", "when", "where", NULL,
};

static const char *const item_keys[N_ITEM_TYPES][5] = {
    [ITEM_IMAGE] = {"media", NULL},
    [ITEM_TEXT] = {"title", "body", NULL},
    [ITEM_QR] = {"qr", "caption", NULL},
    [ITEM_NOTICE] = {"qr", "title", "body", "caption", NULL},
    [ITEM_VIDEO] = {"media", "play", "volume", NULL},
};

const char *manifest_zone_name(enum zone_id zone)
{
    return (unsigned)zone < ZONE_COUNT ? zone_names[zone] : "unknown";
}

const char *manifest_item_type_name(enum item_type type)
{
    return (unsigned)type < N_ITEM_TYPES ? item_type_names[type] : "unknown";
}

/* ---- Problems ---- */

/* Newer manifests may carry fields this player does not know; they are
 * ignored, with one warning per key name so that a playlist of hundreds of
 * items does not flood the log. */
static void warn_key(struct parse *p, const char *key, const char *why)
{
    if (log_get_level() < LOG_WARN || json_object_get(p->warned, key))
        return;
    if (json_object_size(p->warned) >= MAX_WARNED_KEYS) {
        if (!p->warned_overflow)
            log_warn("%s: more unknown keys ignored without warning", p->c.url);
        p->warned_overflow = true;
        return;
    }
    json_object_set_new(p->warned, key, json_true());
    char where[1024];
    log_warn("%s: %s", jcheck_where(&p->c, key, where, sizeof(where)), why);
}

static void fail_memory(struct parse *p)
{
    jcheck_report(&p->c, 0, 0, "out of memory");
}

static bool is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static void check_keys(struct parse *p, json_t *obj, const char *const *known)
{
    const char *key;
    json_t *value;
    json_object_foreach(obj, key, value) {
        if (!jcheck_is_one_of(key, known))
            warn_key(p, key, "unknown key, ignored (made for a newer player?)");
    }
}

/* ---- Fields ---- */

/* As jcheck_take_string(), but with NONEMPTY false an empty string is
 * stored as NULL, the same as an absent one. */
static enum jfield take_string(struct parse *p, json_t *obj, const char *key, size_t max,
                               bool nonempty, char **out)
{
    const char *value;
    enum jfield f = jcheck_string(&p->c, obj, key, max, nonempty, &value);
    if (f != JFIELD_OK || !value[0])
        return f;
    *out = strdup(value);
    if (!*out) {
        fail_memory(p);
        return JFIELD_BAD;
    }
    return JFIELD_OK;
}

static bool parse_color(const char *s, struct color *out)
{
    size_t len = strlen(s);
    if (s[0] != '#' || (len != 7 && len != 9))
        return false;
    uint8_t bytes[4] = {0, 0, 0, 0xff};
    for (size_t i = 0; i < (len - 1) / 2; i++) {
        unsigned value = 0;
        for (size_t j = 1 + 2 * i; j < 3 + 2 * i; j++) {
            char c = s[j];
            int digit = c >= '0' && c <= '9' ? c - '0'
                      : c >= 'a' && c <= 'f' ? c - 'a' + 10
                      : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
            if (digit < 0)
                return false;
            value = value * 16 + (unsigned)digit;
        }
        bytes[i] = (uint8_t)value;
    }
    *out = (struct color){bytes[0], bytes[1], bytes[2], bytes[3]};
    return true;
}

/* Leaves *OUT, the default, alone when KEY is absent. */
static void get_color(struct parse *p, json_t *obj, const char *key, struct color *out)
{
    const char *value;
    char got[96];
    if (jcheck_string(&p->c, obj, key, MAX_STRING, false, &value) != JFIELD_OK)
        return;
    if (!parse_color(value, out)) {
        jcheck_fail(&p->c, key, "must be a colour written #RRGGBB or #RRGGBBAA, got %s",
                    jcheck_describe_exact(json_object_get(obj, key), got, sizeof(got)));
    }
}

/* ---- Media URLs ---- */

/*
 * Removes "." and ".." segments and doubled slashes from PATH in place, as
 * URL resolution does (RFC 3986, 5.2.4): on the text, not the file system.
 * ".." at the root stays at the root.
 */
static void remove_dot_segments(char *path)
{
    bool absolute = path[0] == '/';
    char *start = path + (absolute ? 1 : 0);
    char *w = start;
    const char *r = start;
    size_t removable = 0;
    while (*r) {
        const char *segment = r;
        while (*r && *r != '/')
            r++;
        size_t len = (size_t)(r - segment);
        if (*r)
            r++;
        if (len == 0 || (len == 1 && segment[0] == '.'))
            continue;
        if (len == 2 && segment[0] == '.' && segment[1] == '.') {
            if (removable > 0) {
                while (w > start && w[-1] != '/')
                    w--;
                if (w > start)
                    w--;
                removable--;
                continue;
            }
            if (absolute)
                continue;
        } else {
            removable++;
        }
        if (w != start)
            *w++ = '/';
        memmove(w, segment, len);
        w += len;
    }
    *w = '\0';
}

/* Joins the directory of BASE_PATH and the decoded relative REF. */
static char *join_relative(const char *base_path, const char *ref, char *why, size_t why_len)
{
    char *decoded = source_percent_decode(ref, strlen(ref), why, why_len);
    if (!decoded)
        return NULL;
    const char *slash = strrchr(base_path, '/');
    size_t dir_len = slash ? (size_t)(slash - base_path) + 1 : 0;
    size_t ref_len = strlen(decoded);
    char *joined = malloc(dir_len + ref_len + 1);
    if (joined) {
        memcpy(joined, base_path, dir_len);
        memcpy(joined + dir_len, decoded, ref_len + 1);
        remove_dot_segments(joined);
    } else {
        snprintf(why, why_len, "out of memory");
    }
    free(decoded);
    return joined;
}

static enum resolved resolve(const char *base, const char *ref, char **path, char *why,
                             size_t why_len)
{
    *path = NULL;
    if (!ref[0]) {
        snprintf(why, why_len, "empty address");
        return RESOLVED_BAD;
    }
    if (source_is_http(ref))
        return RESOLVED_REMOTE;
    if (ref[0] == '/' || source_has_scheme(ref)) {
        *path = source_file_path(ref, why, why_len);
        return *path ? RESOLVED_LOCAL : RESOLVED_BAD;
    }

    /* A relative reference: its meaning depends on where the manifest is. */
    if (!base || source_is_http(base))
        return RESOLVED_REMOTE;
    char *base_path = base[0] == '/' || source_has_scheme(base)
                    ? source_file_path(base, why, why_len) : strdup(base);
    if (!base_path) {
        size_t len = strlen(why);
        snprintf(why + len, why_len - len, " (the manifest's own address)");
        return RESOLVED_BAD;
    }
    *path = join_relative(base_path, ref, why, why_len);
    free(base_path);
    return *path ? RESOLVED_LOCAL : RESOLVED_BAD;
}

char *manifest_resolve_path(const char *base, const char *ref)
{
    char why[256] = "";
    char *path;
    if (!ref)
        return NULL;
    resolve(base, ref, &path, why, sizeof(why));
    return path;
}

/* ---- The document ---- */

static void parse_media_id(struct parse *p, json_t *v, size_t index)
{
    struct manifest_media *media = &p->m->media[index];
    char got[96];
    enum jfield f = take_string(p, v, "id", MAX_STRING, true, &media->id);
    if (f == JFIELD_ABSENT)
        jcheck_missing(&p->c, "id", "required: the name items use for this media");
    if (f != JFIELD_OK)
        return;

    json_t *first = json_object_get(p->media_ids, media->id);
    if (first) {
        jcheck_fail(&p->c, "id",
                    "duplicate media id %s, media[%" JSON_INTEGER_FORMAT "] has it already",
                    jcheck_describe_exact(json_object_get(v, "id"), got, sizeof(got)),
                    json_integer_value(first));
    } else if (json_object_set_new(p->media_ids, media->id,
                                   json_integer((json_int_t)index)) != 0) {
        fail_memory(p);
    }
}

static void parse_media_url(struct parse *p, json_t *v, struct manifest_media *media)
{
    const char *url;
    char got[96];
    char why[256] = "";
    enum jfield f = jcheck_string(&p->c, v, "url", MAX_STRING, true, &url);
    if (f == JFIELD_ABSENT)
        jcheck_missing(&p->c, "url",
                       "required: the file, relative to the manifest, or a file:// URL");
    if (f != JFIELD_OK)
        return;

    media->url = strdup(url);
    if (!media->url) {
        fail_memory(p);
    } else if (resolve(p->c.url, url, &media->path, why, sizeof(why)) == RESOLVED_BAD) {
        jcheck_fail(&p->c, "url", "%s, got %s", why,
                    jcheck_describe_exact(json_object_get(v, "url"), got, sizeof(got)));
    }
    /* Media of a manifest from a web server are fetched and checked by
     * network sync, which fills in path and ready; there "/x.png" names a
     * file on the server, not on the terminal. */
    if (source_is_http(p->c.url)) {
        free(media->path);
        media->path = NULL;
    }
    media->ready = media->path != NULL;
}

/* Size and hash are checked now so that mistakes show up at once; the
 * download code that uses them arrives with network sync. */
static void parse_media_check(struct parse *p, json_t *v, struct manifest_media *media)
{
    char got[96];
    const char *hash;
    json_t *size = json_object_get(v, "size");
    if (size && (!json_is_integer(size) || json_integer_value(size) < 0)) {
        jcheck_fail(&p->c, "size", "must be an integer 0 or greater, got %s",
                    jcheck_describe_exact(size, got, sizeof(got)));
    } else if (size) {
        media->size = json_integer_value(size);
    }

    if (jcheck_string(&p->c, v, "sha256", MAX_STRING, false, &hash) != JFIELD_OK)
        return;
    size_t n = strspn(hash, "0123456789abcdefABCDEF");
    if (n != 64 || hash[n]) {
        jcheck_fail(&p->c, "sha256", "must be 64 hexadecimal digits, got %s",
                    jcheck_describe_exact(json_object_get(v, "sha256"), got, sizeof(got)));
        return;
    }
    for (size_t i = 0; i < 64; i++) {
        bool upper = hash[i] >= 'A' && hash[i] <= 'F';
        media->sha256[i] = (char)(upper ? hash[i] - 'A' + 'a' : hash[i]);
    }
    media->sha256[64] = '\0';
}

static void parse_media_entry(struct parse *p, json_t *v, size_t index)
{
    static const char *const keys[] = {"id", "url", "size", "sha256", NULL};
    if (!json_is_object(v)) {
        jcheck_fail_type(&p->c, NULL, "an object", v);
        return;
    }
    check_keys(p, v, keys);
    parse_media_id(p, v, index);
    parse_media_url(p, v, &p->m->media[index]);
    parse_media_check(p, v, &p->m->media[index]);
}

static void parse_media(struct parse *p, json_t *list)
{
    jcheck_enter_key(&p->c, "media");
    if (!json_is_array(list)) {
        jcheck_fail_type(&p->c, NULL, "an array", list);
        goto out;
    }
    size_t n = json_array_size(list);
    if (n == 0)
        goto out;
    p->m->media = calloc(n, sizeof(*p->m->media));
    if (!p->m->media) {
        fail_memory(p);
        goto out;
    }
    p->m->n_media = n;
    for (size_t i = 0; i < n; i++) {
        p->m->media[i].size = -1;
        jcheck_enter_index(&p->c, i);
        parse_media_entry(p, json_array_get(list, i), i);
        jcheck_leave(&p->c);
    }
out:
    jcheck_leave(&p->c);
}

/* Which item types use KEY, one bit per type; 0 for a key no item uses. */
static unsigned item_key_types(const char *key)
{
    unsigned types = 0;
    for (size_t t = 0; t < N_ITEM_TYPES; t++) {
        if (jcheck_is_one_of(key, item_keys[t]))
            types |= 1u << t;
    }
    return types;
}

/* Warns about keys ITEM does not use: unknown ones, and ones that belong
 * to another type of item. TYPE is -1 when the type itself is wrong. */
static void check_item_keys(struct parse *p, json_t *item, int type)
{
    const char *key;
    json_t *value;
    json_object_foreach(item, key, value) {
        if (jcheck_is_one_of(key, common_item_keys))
            continue;
        unsigned types = item_key_types(key);
        if (types == 0) {
            warn_key(p, key, "unknown key, ignored (made for a newer player?)");
        } else if (type >= 0 && !(types & (1u << type))) {
            char why[64];
            snprintf(why, sizeof(why), "not used by %s items, ignored",
                     item_type_names[type]);
            warn_key(p, key, why);
        }
    }
}

static bool parse_item_type(struct parse *p, json_t *v, enum item_type *type)
{
    const char *name;
    char got[96];
    enum jfield f = jcheck_string(&p->c, v, "type", MAX_STRING, false, &name);
    if (f == JFIELD_ABSENT)
        jcheck_missing(&p->c, "type", "required: image, video, text, qr or notice");
    if (f != JFIELD_OK)
        return false;
    for (size_t t = 0; t < N_ITEM_TYPES; t++) {
        if (strcmp(name, item_type_names[t]) == 0) {
            *type = (enum item_type)t;
            return true;
        }
    }
    jcheck_fail(&p->c, "type", "must be image, video, text, qr or notice, got %s",
                jcheck_describe_exact(json_object_get(v, "type"), got, sizeof(got)));
    return false;
}

static void set_default_colors(struct manifest_item *item)
{
    static const struct color white = {0xff, 0xff, 0xff, 0xff};
    static const struct color black = {0x00, 0x00, 0x00, 0xff};
    static const struct color navy = {0x12, 0x26, 0x3a, 0xff};
    switch (item->type) {
    case ITEM_IMAGE:
    case ITEM_VIDEO:
        item->fg = white;
        item->bg = black;
        break;
    case ITEM_QR:
        item->fg = black;
        item->bg = white;
        break;
    case ITEM_TEXT:
    case ITEM_NOTICE:
        item->fg = white;
        item->bg = navy;
        break;
    }
}

static void parse_item_common(struct parse *p, json_t *v, enum zone_id zone, size_t index,
                              struct manifest_item *item)
{
    char got[96];
    const char *fit;

    if (take_string(p, v, "id", MAX_STRING, true, &item->id) == JFIELD_ABSENT) {
        char id[32];
        snprintf(id, sizeof(id), "%s#%zu", zone_names[zone], index);
        item->id = strdup(id);
        if (!item->id)
            fail_memory(p);
    }

    item->duration = DEFAULT_DURATION;
    json_t *duration = json_object_get(v, "duration");
    if (duration) {
        double seconds = json_number_value(duration);
        if (!json_is_number(duration) || !(seconds > 0 && seconds <= MAX_DURATION)) {
            jcheck_fail(&p->c, "duration",
                        "must be a number greater than 0 and at most %.0f, got %s",
                        MAX_DURATION, jcheck_describe_exact(duration, got, sizeof(got)));
        } else {
            item->duration = seconds;
        }
    }

    item->fit = FIT_CONTAIN;
    if (jcheck_string(&p->c, v, "fit", MAX_STRING, false, &fit) == JFIELD_OK) {
        if (strcmp(fit, "fill") == 0) {
            item->fit = FIT_COVER;
        } else if (strcmp(fit, "fit") != 0) {
            jcheck_fail(&p->c, "fit", "must be \"fit\" or \"fill\", got %s",
                        jcheck_describe_exact(json_object_get(v, "fit"), got, sizeof(got)));
        }
    }

    set_default_colors(item);
    get_color(p, v, "fg", &item->fg);
    get_color(p, v, "bg", &item->bg);
}

static void parse_image(struct parse *p, json_t *v, struct manifest_item *item)
{
    const char *name;
    char got[96];
    enum jfield f = jcheck_string(&p->c, v, "media", MAX_STRING, true, &name);
    if (f == JFIELD_ABSENT)
        jcheck_missing(&p->c, "media", "required for %s items: the id of an entry in \"media\"",
                       item_type_names[item->type]);
    if (f != JFIELD_OK)
        return;
    json_t *index = json_object_get(p->media_ids, name);
    if (!index) {
        jcheck_fail(&p->c, "media", "no entry in \"media\" has the id %s",
                    jcheck_describe_exact(json_object_get(v, "media"), got, sizeof(got)));
        return;
    }
    item->media = &p->m->media[json_integer_value(index)];
}

static void parse_video(struct parse *p, json_t *v, struct manifest_item *item)
{
    static const char *const plays[] = {
        [PLAY_END] = "end",
        [PLAY_LOOP] = "loop",
        [PLAY_CUT] = "cut",
    };
    char got[96];
    const char *play;

    parse_image(p, v, item);
    item->play = PLAY_END;
    if (jcheck_string(&p->c, v, "play", MAX_STRING, false, &play) == JFIELD_OK) {
        bool known = false;
        for (size_t i = 0; i < sizeof(plays) / sizeof(plays[0]); i++) {
            if (strcmp(play, plays[i]) == 0) {
                item->play = (enum item_play)i;
                known = true;
            }
        }
        if (!known) {
            jcheck_fail(&p->c, "play", "must be \"end\", \"loop\" or \"cut\", got %s",
                        jcheck_describe_exact(json_object_get(v, "play"), got, sizeof(got)));
        }
    }
    /* A video played to its end takes the time it takes; the duration
     * only bounds "loop" and "cut". */
    if (item->play == PLAY_END && !json_object_get(v, "duration"))
        item->duration = 0;

    item->volume = 100;
    json_t *volume = json_object_get(v, "volume");
    if (volume) {
        if (!json_is_integer(volume) || json_integer_value(volume) < 0 ||
            json_integer_value(volume) > 100) {
            jcheck_fail(&p->c, "volume", "must be a whole number from 0 (muted) to 100, got %s",
                        jcheck_describe_exact(volume, got, sizeof(got)));
        } else {
            item->volume = (int)json_integer_value(volume);
        }
    }
}

static void parse_title_body(struct parse *p, json_t *v, struct manifest_item *item)
{
    enum jfield title = take_string(p, v, "title", MAX_STRING, false, &item->title);
    enum jfield body = take_string(p, v, "body", MAX_STRING, false, &item->body);
    if (title != JFIELD_BAD && body != JFIELD_BAD && !item->title && !item->body) {
        jcheck_fail(&p->c, NULL, "%s items need a non-empty \"title\" or \"body\"",
                    item_type_names[item->type]);
    }
}

static void parse_qr(struct parse *p, json_t *v, struct manifest_item *item)
{
    if (take_string(p, v, "qr", MAX_QR, true, &item->qr) == JFIELD_ABSENT) {
        jcheck_missing(&p->c, "qr", "required for %s items: the text or address to encode",
                       item_type_names[item->type]);
    }
}

/* The "when" and "where" of an item or playlist at the current path. */
static void parse_rules(struct parse *p, json_t *v, struct schedule_rules *rules)
{
    schedule_rules_check(&p->c, v, rules);
}

static void parse_item(struct parse *p, json_t *v, enum zone_id zone, size_t index,
                       struct manifest_item *item)
{
    if (!json_is_object(v)) {
        jcheck_fail_type(&p->c, NULL, "an object", v);
        return;
    }
    bool typed = parse_item_type(p, v, &item->type);
    check_item_keys(p, v, typed ? (int)item->type : -1);
    parse_item_common(p, v, zone, index, item);
    parse_rules(p, v, &item->rules);
    if (!typed)
        return;

    switch (item->type) {
    case ITEM_IMAGE:
        parse_image(p, v, item);
        break;
    case ITEM_TEXT:
        parse_title_body(p, v, item);
        break;
    case ITEM_QR:
        parse_qr(p, v, item);
        take_string(p, v, "caption", MAX_STRING, false, &item->caption);
        break;
    case ITEM_NOTICE:
        parse_qr(p, v, item);
        parse_title_body(p, v, item);
        take_string(p, v, "caption", MAX_STRING, false, &item->caption);
        break;
    case ITEM_VIDEO:
        parse_video(p, v, item);
        break;
    }
}

/* Parses the array ITEMS (at member KEY) into Z's items from FIRST on. */
static void parse_items(struct parse *p, json_t *items, enum zone_id zone, size_t list,
                        size_t first)
{
    struct manifest_zone *z = &p->m->zones[zone];
    jcheck_enter_key(&p->c, "items");
    for (size_t i = 0; i < json_array_size(items); i++) {
        jcheck_enter_index(&p->c, i);
        struct manifest_item *item = &z->items[first + i];
        item->list = list;
        parse_item(p, json_array_get(items, i), zone, first + i, item);
        jcheck_leave(&p->c);
    }
    jcheck_leave(&p->c);
}

/* The "items" array of V, or NULL after reporting why there is none. */
static json_t *items_of(struct parse *p, json_t *v)
{
    json_t *items = json_object_get(v, "items");
    if (!items) {
        jcheck_missing(&p->c, "items", "required: an array of items, which may be empty");
        return NULL;
    }
    if (!json_is_array(items)) {
        jcheck_fail_type(&p->c, "items", "an array", items);
        return NULL;
    }
    return items;
}

static void parse_playlist(struct parse *p, json_t *v, enum zone_id zone, size_t list,
                           size_t first)
{
    static const char *const keys[] = {"id", "priority", "when", "where", "items", NULL};
    static const char priority_rule[] =
        "must be a whole number from 1 to 1000 (the zone's own items are 0)";
    struct manifest_list *l = &p->m->zones[zone].lists[list];
    char got[96];
    check_keys(p, v, keys);
    take_string(p, v, "id", MAX_STRING, false, &l->id);
    json_t *priority = json_object_get(v, "priority");
    if (!priority) {
        jcheck_missing(&p->c, "priority", "%s, got nothing", priority_rule);
    } else if (!json_is_integer(priority) || json_integer_value(priority) < 1 ||
               json_integer_value(priority) > 1000) {
        jcheck_fail(&p->c, "priority", "%s, got %s", priority_rule,
                    jcheck_describe_exact(priority, got, sizeof(got)));
    } else {
        l->priority = (int)json_integer_value(priority);
    }
    parse_rules(p, v, &l->rules);
    json_t *items = json_object_get(v, "items");
    if (json_is_array(items))
        parse_items(p, items, zone, list, first);
}

static void parse_fallback(struct parse *p, json_t *v, enum zone_id zone)
{
    struct manifest_zone *z = &p->m->zones[zone];
    z->fallback = calloc(1, sizeof(*z->fallback));
    if (!z->fallback) {
        fail_memory(p);
        return;
    }
    jcheck_enter_key(&p->c, "fallback");
    parse_item(p, v, zone, 0, z->fallback);
    if (z->fallback->type == ITEM_VIDEO)
        jcheck_fail(&p->c, "type", "a fallback is a picture, text or QR code, not a video");
    jcheck_leave(&p->c);
}

static void parse_zone(struct parse *p, json_t *v, enum zone_id zone)
{
    static const char *const keys[] = {"items", "playlists", "fallback", NULL};
    struct manifest_zone *z = &p->m->zones[zone];
    char got[96];

    if (!json_is_object(v)) {
        jcheck_fail(&p->c, NULL, "must be an object with \"items\", got %s",
                    jcheck_describe_exact(v, got, sizeof(got)));
        return;
    }
    check_keys(p, v, keys);
    json_t *items = items_of(p, v);
    json_t *playlists = json_object_get(v, "playlists");
    if (playlists && !json_is_array(playlists)) {
        jcheck_fail_type(&p->c, "playlists", "an array", playlists);
        playlists = NULL;
    }

    /* Every list's items go into one array, list after list. */
    size_t n_lists = 1 + json_array_size(playlists), total = json_array_size(items);
    for (size_t k = 0; k < json_array_size(playlists); k++) {
        json_t *pl = json_array_get(playlists, k);
        json_t *pl_items = json_is_object(pl) ? json_object_get(pl, "items") : NULL;
        total += json_is_array(pl_items) ? json_array_size(pl_items) : 0;
    }
    z->lists = calloc(n_lists, sizeof(*z->lists));
    z->items = calloc(total ? total : 1, sizeof(*z->items));
    if (!z->lists || !z->items) {
        fail_memory(p);
        return;
    }
    z->n_lists = n_lists;
    z->n_items = total;
    z->lists[0] = (struct manifest_list){.count = json_array_size(items)};
    if (items)
        parse_items(p, items, zone, 0, 0);

    size_t first = z->lists[0].count;
    jcheck_enter_key(&p->c, "playlists");
    for (size_t k = 0; k < json_array_size(playlists); k++) {
        jcheck_enter_index(&p->c, k);
        json_t *pl = json_array_get(playlists, k);
        json_t *pl_items = NULL;
        if (!json_is_object(pl))
            jcheck_fail_type(&p->c, NULL, "an object", pl);
        else
            pl_items = items_of(p, pl);
        z->lists[k + 1].first = first;
        z->lists[k + 1].count = json_array_size(pl_items);
        if (json_is_object(pl))
            parse_playlist(p, pl, zone, k + 1, first);
        first += json_array_size(pl_items);
        jcheck_leave(&p->c);
    }
    jcheck_leave(&p->c);

    json_t *fallback = json_object_get(v, "fallback");
    if (fallback)
        parse_fallback(p, fallback, zone);
}

static void parse_zones(struct parse *p, json_t *zones)
{
    const char *key;
    json_t *value;

    if (!zones) {
        jcheck_missing(&p->c, "zones",
                       "required: an object holding the \"upper\" and \"lower\" playlists");
        return;
    }
    jcheck_enter_key(&p->c, "zones");
    if (!json_is_object(zones)) {
        jcheck_fail_type(&p->c, NULL, "an object", zones);
        goto out;
    }
    json_object_foreach(zones, key, value) {
        if (strcmp(key, zone_names[ZONE_UPPER]) != 0 &&
            strcmp(key, zone_names[ZONE_LOWER]) != 0) {
            jcheck_fail(&p->c, key, "unknown zone; the zones are \"upper\" and \"lower\"");
        }
    }
    for (int zone = 0; zone < ZONE_COUNT; zone++) {
        json_t *v = json_object_get(zones, zone_names[zone]);
        if (!v)
            continue;
        jcheck_enter_key(&p->c, zone_names[zone]);
        parse_zone(p, v, (enum zone_id)zone);
        jcheck_leave(&p->c);
    }
out:
    jcheck_leave(&p->c);
}

static void parse_root(struct parse *p, json_t *root)
{
    static const char *const keys[] = {"version", "published", "media", "zones", NULL};
    char got[96];

    if (!json_is_object(root)) {
        /* The path is empty here; name the place all the same. */
        jcheck_fail(&p->c, NULL, "top level: must be a JSON object, got %s",
                    jcheck_describe_exact(root, got, sizeof(got)));
        return;
    }
    check_keys(p, root, keys);

    json_t *version = json_object_get(root, "version");
    if (!version) {
        jcheck_missing(&p->c, "version", "required: an integer 0 or greater");
    } else if (!json_is_integer(version) || json_integer_value(version) < 0) {
        jcheck_fail(&p->c, "version", "must be an integer 0 or greater, got %s",
                    jcheck_describe_exact(version, got, sizeof(got)));
    } else {
        p->m->version = json_integer_value(version);
    }

    json_t *published = json_object_get(root, "published");
    if (published && (!json_is_string(published) ||
                      !schedule_parse_timestamp(json_string_value(published), &p->m->published))) {
        jcheck_fail(&p->c, "published", "must be a time like 2026-12-04T09:00:00+08:00, got %s",
                    jcheck_describe_exact(published, got, sizeof(got)));
    }

    json_t *media = json_object_get(root, "media");
    if (media)
        parse_media(p, media);
    parse_zones(p, json_object_get(root, "zones"));
}

static void report_syntax(struct parse *p, const char *text, size_t len,
                          const json_error_t *error)
{
    char what[2 * JSON_ERROR_TEXT_LENGTH];
    if (json_error_code(error) == json_error_null_character)
        snprintf(what, sizeof(what), "\\u0000 (a NUL character) is not allowed in strings");
    else
        jcheck_escape(what, sizeof(what), error->text, sizeof(what), false);

    /* A hotel or shop Wi-Fi login page served in place of the manifest is
     * the usual reason for markup here; say so rather than leave a
     * technician puzzling over "invalid token". */
    size_t i = 0;
    while (i < len && is_blank(text[i]))
        i++;
    const char *hint = i < len && text[i] == '<'
        ? "; this is an HTML page, not a manifest (a Wi-Fi login page or a wrong address?)"
        : "";
    jcheck_report(&p->c, error->line, error->column, "syntax error: %s%s", what, hint);
}

static void item_finish(struct manifest_item *item)
{
    free(item->id);
    free(item->title);
    free(item->body);
    free(item->qr);
    free(item->caption);
    schedule_rules_finish(&item->rules);
}

static void manifest_destroy(struct manifest *m)
{
    for (int zone = 0; zone < ZONE_COUNT; zone++) {
        struct manifest_zone *z = &m->zones[zone];
        for (size_t i = 0; i < z->n_items; i++)
            item_finish(&z->items[i]);
        free(z->items);
        for (size_t i = 0; i < z->n_lists; i++) {
            free(z->lists[i].id);
            schedule_rules_finish(&z->lists[i].rules);
        }
        free(z->lists);
        if (z->fallback)
            item_finish(z->fallback);
        free(z->fallback);
    }
    for (size_t i = 0; i < m->n_media; i++) {
        free(m->media[i].id);
        free(m->media[i].url);
        free(m->media[i].path);
    }
    free(m->media);
    free(m->url);
    free(m);
}

struct manifest *manifest_parse(const char *text, size_t len, const char *url, FILE *err)
{
    struct parse p = {0};
    struct manifest *m = calloc(1, sizeof(*m));
    json_t *root = NULL;
    json_error_t error;

    /* Editors on Windows start UTF-8 files with a byte-order mark, which
     * JSON does not allow; it carries no meaning, so skip it. */
    if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0) {
        text += 3;
        len -= 3;
    }
    jcheck_init(&p.c, url ? url : "(manifest)", text, len, err);
    p.c.exact = true;
    p.c.max_reported = MAX_REPORTED;
    p.media_ids = json_object();
    p.warned = json_object();
    if (!m || !p.media_ids || !p.warned || !(m->url = strdup(p.c.url))) {
        fail_memory(&p);
        goto out;
    }
    atomic_init(&m->refs, 1);
    p.m = m;

    size_t blank = 0;
    while (blank < len && is_blank(text[blank]))
        blank++;
    if (blank == len) {
        jcheck_report(&p.c, 0, 0,
                      "empty document, expected a JSON object with \"version\" and \"zones\"");
        goto out;
    }

    root = json_loadb(text, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &error);
    if (!root) {
        report_syntax(&p, text, len, &error);
        goto out;
    }
    parse_root(&p, root);

out:
    if (p.c.n_errors > MAX_REPORTED && err) {
        fprintf(err, "%s: %d more problems not shown\n", p.c.url,
                p.c.n_errors - MAX_REPORTED);
    }
    json_decref(root);
    json_decref(p.media_ids);
    json_decref(p.warned);
    if (p.c.n_errors > 0) {
        if (m)
            manifest_destroy(m);
        return NULL;
    }
    log_debug("%s: version %" PRId64 ", %zu media, %zu upper and %zu lower items",
              p.c.url, m->version, m->n_media, m->zones[ZONE_UPPER].n_items,
              m->zones[ZONE_LOWER].n_items);
    return m;
}

/* Duplicates *S in place; false when out of memory (*S is then NULL). */
static bool copy_string(char **s)
{
    if (!*s)
        return true;
    *s = strdup(*s);
    return *s != NULL;
}

static bool copy_media(struct manifest *dst, const struct manifest *src)
{
    if (src->n_media == 0)
        return true;
    dst->media = calloc(src->n_media, sizeof(*dst->media));
    if (!dst->media)
        return false;
    dst->n_media = src->n_media;
    bool ok = true;
    for (size_t i = 0; i < src->n_media; i++) {
        dst->media[i] = src->media[i];
        ok = copy_string(&dst->media[i].id) && ok;
        ok = copy_string(&dst->media[i].url) && ok;
        ok = copy_string(&dst->media[i].path) && ok;
    }
    return ok;
}

static bool copy_item(struct manifest *dst, const struct manifest *src,
                      struct manifest_item *item)
{
    struct schedule_rules rules = item->rules;
    bool ok = schedule_rules_copy(&item->rules, &rules);
    ok = copy_string(&item->id) && ok;
    ok = copy_string(&item->title) && ok;
    ok = copy_string(&item->body) && ok;
    ok = copy_string(&item->qr) && ok;
    ok = copy_string(&item->caption) && ok;
    /* Items point into the media array, so the copy points into its own. */
    if (item->media)
        item->media = &dst->media[item->media - src->media];
    return ok;
}

static bool copy_lists(struct manifest_zone *to, const struct manifest_zone *from)
{
    to->lists = calloc(from->n_lists ? from->n_lists : 1, sizeof(*to->lists));
    if (!to->lists)
        return false;
    to->n_lists = from->n_lists;
    bool ok = true;
    for (size_t i = 0; i < from->n_lists; i++) {
        to->lists[i] = from->lists[i];
        ok = schedule_rules_copy(&to->lists[i].rules, &from->lists[i].rules) && ok;
        ok = copy_string(&to->lists[i].id) && ok;
    }
    return ok;
}

struct manifest *manifest_copy(const struct manifest *src)
{
    struct manifest *m = calloc(1, sizeof(*m));
    if (!m)
        return NULL;
    atomic_init(&m->refs, 1);
    m->version = src->version;
    m->published = src->published;
    m->url = src->url;
    bool ok = copy_string(&m->url) && copy_media(m, src);
    for (int zone = 0; ok && zone < ZONE_COUNT; zone++) {
        const struct manifest_zone *from = &src->zones[zone];
        struct manifest_zone *to = &m->zones[zone];
        to->items = calloc(from->n_items ? from->n_items : 1, sizeof(*to->items));
        if (!to->items) {
            ok = false;
            break;
        }
        to->n_items = from->n_items;
        for (size_t i = 0; i < from->n_items; i++) {
            to->items[i] = from->items[i];
            ok = copy_item(m, src, &to->items[i]) && ok;
        }
        ok = ok && copy_lists(to, from);
        if (ok && from->fallback) {
            to->fallback = malloc(sizeof(*to->fallback));
            ok = to->fallback != NULL;
            if (ok) {
                *to->fallback = *from->fallback;
                ok = copy_item(m, src, to->fallback);
            }
        }
    }
    if (!ok) {
        manifest_destroy(m);
        return NULL;
    }
    return m;
}

static bool same_string(const char *a, const char *b)
{
    return a == b || (a && b && strcmp(a, b) == 0);
}

static bool same_color(struct color a, struct color b)
{
    return a.r == b.r && a.g == b.g && a.b == b.b && a.a == b.a;
}

bool manifest_item_equal(const struct manifest_item *a, const struct manifest_item *b)
{
    const char *media_a = a->media ? a->media->path : NULL;
    const char *media_b = b->media ? b->media->path : NULL;
    return same_string(a->id, b->id) && a->type == b->type && a->duration == b->duration &&
           a->fit == b->fit && a->play == b->play && a->volume == b->volume &&
           same_string(media_a, media_b) && same_string(a->title, b->title) &&
           same_string(a->body, b->body) && same_string(a->qr, b->qr) &&
           same_string(a->caption, b->caption) && same_color(a->fg, b->fg) &&
           same_color(a->bg, b->bg);
}

struct manifest *manifest_ref(struct manifest *m)
{
    atomic_fetch_add_explicit(&m->refs, 1, memory_order_relaxed);
    return m;
}

void manifest_unref(struct manifest *m)
{
    if (!m)
        return;
    /* Release our writes to the other holders; the last one acquires them
     * all before freeing. */
    if (atomic_fetch_sub_explicit(&m->refs, 1, memory_order_acq_rel) == 1)
        manifest_destroy(m);
}
