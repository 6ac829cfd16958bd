/*
 * Tests for player/manifest.c and net/source.c: a full manifest with every
 * value checked, every kind of problem with the path it is reported at,
 * resolution of media URLs, and reading schedule files from disk.
 *
 * Files are written under a fresh directory in /tmp and removed at the end.
 */
#include "player/manifest.h"

#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "net/source.h"
#include "tests/check.h"

#define URL "file:///srv/lianbo/schedule.json"

/* A full manifest using every field; test_full_manifest() checks it. The
 * hash is written in upper case to check it is stored in lower case. */
static const char full_manifest[] =
    "{\n"
    "  \"version\": 7,\n"
    "  \"generator\": \"cms 2.1\",\n"
    "  \"media\": [\n"
    "    {\"id\": \"photo-1\", \"url\": \"media/photo 1.jpg\"},\n"
    "    {\"id\": \"photo-2\", \"url\": \"file:///srv/lianbo/photo2.png\", \"size\": 12345,\n"
    "     \"sha256\": \"00112233445566778899AABBCCDDEEFF00112233445566778899aabbccddeeff\"},\n"
    "    {\"id\": \"lobby\", \"url\": \"\xe5\xaa\x92\xe4\xbd\x93/\xe5\xa4\xa7\xe5\xa0\x82"
    " \xe7\x85\xa7\xe7\x89\x87.png\"},\n"
    "    {\"id\": \"night\", \"url\": \"media/%E5%A4%9C%E6%99%AF%20night.jpg\"},\n"
    "    {\"id\": \"remote\", \"url\": \"https://example.org/banner.png\"},\n"
    "    {\"id\": \"logo\", \"url\": \"../shared/./logo.png\", \"size\": 0}\n"
    "  ],\n"
    "  \"zones\": {\n"
    "    \"upper\": {\"items\": [\n"
    "      {\"id\": \"welcome\", \"type\": \"image\", \"media\": \"photo-1\", \"duration\": 8,"
    " \"fit\": \"fill\"},\n"
    "      {\"type\": \"image\", \"media\": \"lobby\", \"duration\": 2.5, \"fit\": \"fit\"},\n"
    "      {\"type\": \"image\", \"media\": \"photo-1\", \"bg\": \"#10203040\","
    " \"transition\": \"fade\"}\n"
    "    ]},\n"
    "    \"lower\": {\"items\": [\n"
    "      {\"type\": \"notice\", \"title\": \"\xe4\xb8\x9a\xe4\xb8\xbb\xe5\xa4\xa7\xe4\xbc\x9a\","
    " \"body\": \"\xe2\x80\xa6\", \"qr\": \"https://example.org/signup?b=3\",\n"
    "       \"duration\": 20, \"fg\": \"#ffffff\", \"bg\": \"#1d3557\"},\n"
    "      {\"type\": \"text\", \"title\": \"Notice\", \"body\": \"Lift maintenance on Friday\","
    " \"duration\": 10},\n"
    "      {\"type\": \"qr\", \"qr\": \"https://example.org/report\","
    " \"caption\": \"Scan to report a problem\", \"duration\": 10},\n"
    "      {\"type\": \"text\", \"body\": \"Body only\", \"transition\": \"fade\","
    " \"media\": \"photo-1\"},\n"
    "      {\"id\": \"bare\", \"type\": \"qr\", \"qr\": \"x\", \"caption\": \"\","
    " \"fg\": \"#AbCdEf\"}\n"
    "    ]}\n"
    "  }\n"
    "}\n";

static bool same_color(struct color c, uint8_t r, uint8_t g, uint8_t b, uint8_t a)
{
    return c.r == r && c.g == g && c.b == b && c.a == a;
}

/* Parses TEXT, returning the manifest and in *ERRORS what was written to
 * the error stream (caller frees). */
static struct manifest *parse(const char *text, size_t len, char **errors)
{
    size_t errors_len = 0;
    FILE *err = open_memstream(errors, &errors_len);
    if (!err) {
        perror("open_memstream");
        exit(2);
    }
    struct manifest *m = manifest_parse(text, len, URL, err);
    fclose(err);
    return m;
}

static void test_full_manifest(void)
{
    char *errors = NULL;
    struct manifest *m = parse(full_manifest, strlen(full_manifest), &errors);
    CHECK(m != NULL, "full manifest refused:\n%s", errors);
    CHECK(errors && errors[0] == '\0', "errors for a good manifest:\n%s", errors);
    free(errors);
    if (!m)
        return;

    CHECK(m->version == 7, "version %lld", (long long)m->version);
    CHECK_STR(m->url, URL);
    CHECK(atomic_load(&m->refs) == 1, "refs %d", atomic_load(&m->refs));

    CHECK(m->n_media == 6, "%zu media", m->n_media);
    if (m->n_media == 6) {
        CHECK_STR(m->media[0].id, "photo-1");
        CHECK_STR(m->media[0].url, "media/photo 1.jpg");
        CHECK_STR(m->media[0].path, "/srv/lianbo/media/photo 1.jpg");
        CHECK(m->media[0].size == -1, "size %lld", (long long)m->media[0].size);
        CHECK_STR(m->media[0].sha256, "");
        CHECK_STR(m->media[1].path, "/srv/lianbo/photo2.png");
        CHECK(m->media[1].size == 12345, "size %lld", (long long)m->media[1].size);
        CHECK_STR(m->media[1].sha256,
                  "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff");
        CHECK_STR(m->media[2].path, "/srv/lianbo/\xe5\xaa\x92\xe4\xbd\x93/"
                  "\xe5\xa4\xa7\xe5\xa0\x82 \xe7\x85\xa7\xe7\x89\x87.png");
        CHECK_STR(m->media[3].url, "media/%E5%A4%9C%E6%99%AF%20night.jpg");
        CHECK_STR(m->media[3].path, "/srv/lianbo/media/\xe5\xa4\x9c\xe6\x99\xaf night.jpg");
        CHECK_STR(m->media[4].url, "https://example.org/banner.png");
        CHECK(m->media[4].path == NULL, "remote media has path %s", m->media[4].path);
        CHECK_STR(m->media[5].path, "/srv/shared/logo.png");
        CHECK(m->media[5].size == 0, "size %lld", (long long)m->media[5].size);
    }

    const struct manifest_zone *upper = &m->zones[ZONE_UPPER];
    CHECK(upper->n_items == 3, "%zu upper items", upper->n_items);
    if (upper->n_items == 3) {
        const struct manifest_item *it = upper->items;
        CHECK_STR(it[0].id, "welcome");
        CHECK(it[0].type == ITEM_IMAGE, "type %d", it[0].type);
        CHECK(it[0].duration == 8.0, "duration %g", it[0].duration);
        CHECK(it[0].fit == FIT_COVER, "fit %d", it[0].fit);
        CHECK(it[0].media == &m->media[0], "media points elsewhere");
        CHECK(same_color(it[0].fg, 255, 255, 255, 255), "image fg default");
        CHECK(same_color(it[0].bg, 0, 0, 0, 255), "image bg default");
        CHECK(!it[0].title && !it[0].body && !it[0].qr && !it[0].caption, "stray text");

        CHECK_STR(it[1].id, "upper#1");
        CHECK(it[1].duration == 2.5, "duration %g", it[1].duration);
        CHECK(it[1].fit == FIT_CONTAIN, "fit %d", it[1].fit);
        CHECK(it[1].media == &m->media[2], "media points elsewhere");

        CHECK_STR(it[2].id, "upper#2");
        CHECK(it[2].duration == 10.0, "default duration %g", it[2].duration);
        CHECK(it[2].fit == FIT_CONTAIN, "default fit %d", it[2].fit);
        CHECK(it[2].media == &m->media[0], "media points elsewhere");
        CHECK(same_color(it[2].bg, 0x10, 0x20, 0x30, 0x40), "bg with alpha");
    }

    const struct manifest_zone *lower = &m->zones[ZONE_LOWER];
    CHECK(lower->n_items == 5, "%zu lower items", lower->n_items);
    if (lower->n_items == 5) {
        const struct manifest_item *it = lower->items;
        CHECK_STR(it[0].id, "lower#0");
        CHECK(it[0].type == ITEM_NOTICE, "type %d", it[0].type);
        CHECK_STR(it[0].title, "\xe4\xb8\x9a\xe4\xb8\xbb\xe5\xa4\xa7\xe4\xbc\x9a");
        CHECK_STR(it[0].body, "\xe2\x80\xa6");
        CHECK_STR(it[0].qr, "https://example.org/signup?b=3");
        CHECK(it[0].duration == 20.0, "duration %g", it[0].duration);
        CHECK(same_color(it[0].fg, 0xff, 0xff, 0xff, 0xff), "notice fg");
        CHECK(same_color(it[0].bg, 0x1d, 0x35, 0x57, 0xff), "notice bg");
        CHECK(it[0].media == NULL, "notice has media");

        CHECK(it[1].type == ITEM_TEXT, "type %d", it[1].type);
        CHECK_STR(it[1].title, "Notice");
        CHECK_STR(it[1].body, "Lift maintenance on Friday");
        CHECK(same_color(it[1].fg, 0xff, 0xff, 0xff, 0xff), "text fg default");
        CHECK(same_color(it[1].bg, 0x12, 0x26, 0x3a, 0xff), "text bg default");

        CHECK(it[2].type == ITEM_QR, "type %d", it[2].type);
        CHECK_STR(it[2].qr, "https://example.org/report");
        CHECK_STR(it[2].caption, "Scan to report a problem");
        CHECK(same_color(it[2].fg, 0, 0, 0, 0xff), "qr fg default");
        CHECK(same_color(it[2].bg, 0xff, 0xff, 0xff, 0xff), "qr bg default");

        /* A key of another item type is ignored, not used. */
        CHECK_STR(it[3].id, "lower#3");
        CHECK(it[3].title == NULL, "title %s", it[3].title);
        CHECK_STR(it[3].body, "Body only");
        CHECK(it[3].media == NULL, "text item took a media");

        CHECK_STR(it[4].id, "bare");
        CHECK(it[4].caption == NULL, "empty caption kept as \"%s\"", it[4].caption);
        CHECK(same_color(it[4].fg, 0xab, 0xcd, 0xef, 0xff), "mixed-case fg");
    }

    CHECK(manifest_ref(m) == m, "ref returns another pointer");
    CHECK(atomic_load(&m->refs) == 2, "refs %d after ref", atomic_load(&m->refs));
    manifest_unref(m);
    CHECK(atomic_load(&m->refs) == 1, "refs %d after unref", atomic_load(&m->refs));
    manifest_unref(m);
    manifest_unref(NULL);
}

/* Runs F with stderr sent to a file and returns what was written there. */
static char *capture_stderr(void (*f)(void))
{
    char path[] = "/tmp/lianbo-stderr-XXXXXX";
    int fd = mkstemp(path);
    int saved = dup(STDERR_FILENO);
    if (fd < 0 || saved < 0) {
        perror("capture_stderr");
        exit(2);
    }
    fflush(stderr);
    dup2(fd, STDERR_FILENO);
    f();
    fflush(stderr);
    dup2(saved, STDERR_FILENO);
    close(saved);

    off_t size = lseek(fd, 0, SEEK_END);
    char *text = calloc(1, (size_t)size + 1);
    if (text && pread(fd, text, (size_t)size, 0) != size)
        text[0] = '\0';
    close(fd);
    unlink(path);
    return text;
}

static void parse_full_quietly(void)
{
    manifest_unref(manifest_parse(full_manifest, strlen(full_manifest), URL, NULL));
}

static size_t count(const char *haystack, const char *needle)
{
    size_t n = 0;
    for (const char *at = haystack; (at = strstr(at, needle)); at += strlen(needle))
        n++;
    return n;
}

/* Unknown keys are warned about once per key name, with the first path. */
static void test_unknown_key_warnings(void)
{
    char *log = capture_stderr(parse_full_quietly);
    CHECK(log != NULL, "no log captured");
    if (!log)
        return;
    CHECK(count(log, "transition") == 1, "\"transition\" warned %zu times:\n%s",
          count(log, "transition"), log);
    /* Each points at the key's value: line 17 is items[2] of the upper
     * zone, line 24 items[3] of the lower one. */
    CHECK(strstr(log, URL ":17:78: zones.upper.items[2].transition: unknown key"),
          "log:\n%s", log);
    CHECK(strstr(log, URL ":3:16: generator: unknown key"), "log:\n%s", log);
    CHECK(strstr(log, URL ":24:76: zones.lower.items[3].media: not used by text items"),
          "log:\n%s", log);
    free(log);
}

struct parse_case {
    const char *json;
    bool ok;
    const char *want;   /* substring of the errors; NULL if none */
};

#define HEAD "{\"version\": 1, "
#define MEDIA "\"media\": [{\"id\": \"a\", \"url\": \"a.png\"}], "
#define LOWER(item) HEAD "\"zones\": {\"lower\": {\"items\": [" item "]}}}"
#define UPPER(item) HEAD MEDIA "\"zones\": {\"upper\": {\"items\": [" item "]}}}"

static const struct parse_case parse_cases[] = {
    /* Smallest valid manifests and edges of the ranges. */
    {"{\"version\": 0, \"zones\": {}}", true, NULL},
    {"\xef\xbb\xbf{\"version\": 0, \"zones\": {}}", true, NULL},
    {HEAD "\"media\": [], \"zones\": {\"upper\": {\"items\": []}}}", true, NULL},
    {LOWER("{\"type\": \"text\", \"title\": \"t\", \"duration\": 86400}"), true, NULL},
    {LOWER("{\"type\": \"text\", \"title\": \"t\", \"duration\": 0.001}"), true, NULL},
    {UPPER("{\"type\": \"image\", \"media\": \"a\", \"future\": {\"x\": [1]}}"), true, NULL},

    /* Syntax, with line and column. */
    {"{\n  \"version\": 1,\n  \"zones\": {,}\n}", false,
     URL ":3:13: syntax error: "},
    {"{\"version\": 1, \"zones\": {\"upper\": {\"items\": [", false,
     URL ":1:45: syntax error: "},
    {"{\"version\": 1, \"zones\": {}", false, "syntax error: '}' expected near end of file"},
    {"{\"version\": 1,\n \"version\": 2, \"zones\": {}}", false,
     URL ":2:10: syntax error: duplicate object key"},
    {LOWER("{\"type\": \"text\", \"title\": \"a\", \"title\": \"b\"}"), false,
     "syntax error: duplicate object key"},
    {"{\"version\": 1, \"zones\": {\"lower\": {\"items\": [{\"type\": \"text\","
     " \"title\": \"a\\u0000b\"}]}}}", false, "NUL"},
    {"", false, URL ": empty document"},
    {" \n\t\r\n", false, URL ": empty document"},
    {"<!DOCTYPE html>\n<html><body>Please log in</body></html>", false,
     URL ":1:1: syntax error: invalid token near '<'; this is an HTML page"},
    {"\n  <html>", false, "HTML page"},

    /* The top level. */
    {"[1, 2]", false, URL ":1:1: top level: must be a JSON object, got an array"},
    {"42", false, URL ":1:1: top level: must be a JSON object, got 42"},
    {"\"schedule\"", false, "top level: must be a JSON object, got \"schedule\""},
    {"null", false, "top level: must be a JSON object, got null"},
    {"{\"zones\": {}}", false, URL ":1:1: version: required"},
    {"{\"version\": -1, \"zones\": {}}", false,
     URL ":1:13: version: must be an integer 0 or greater, got -1"},
    {"{\"version\": 1.5, \"zones\": {}}", false,
     "version: must be an integer 0 or greater, got 1.5"},
    {"{\"version\": \"7\", \"zones\": {}}", false,
     "version: must be an integer 0 or greater, got \"7\""},
    {"{\"version\": 1}", false, URL ":1:1: zones: required"},
    {"{\"version\": 1, \"zones\": []}", false,
     URL ":1:25: zones: must be an object, got an array"},
    {"{\"version\": 1, \"zones\": {\"middle\": {\"items\": []}}}", false,
     URL ":1:36: zones.middle: unknown zone"},
    {"{\"version\": 1, \"zones\": {\"upper\": []}}", false,
     URL ":1:35: zones.upper: must be an object with \"items\", got an array"},
    {"{\"version\": 1, \"zones\": {\"upper\": {}}}", false,
     URL ":1:35: zones.upper.items: required"},
    {"{\"version\": 1, \"zones\": {\"lower\": {\"items\": {}}}}", false,
     URL ":1:45: zones.lower.items: must be an array, got an object"},

    /* Media. */
    {HEAD "\"media\": {}, \"zones\": {}}", false,
     URL ":1:25: media: must be an array, got an object"},
    {HEAD "\"media\": [\"a.png\"], \"zones\": {}}", false,
     URL ":1:26: media[0]: must be an object, got \"a.png\""},
    {HEAD "\"media\": [{\"url\": \"a.png\"}], \"zones\": {}}", false,
     URL ":1:26: media[0].id: required"},
    {HEAD "\"media\": [{\"id\": \"\", \"url\": \"a.png\"}], \"zones\": {}}", false,
     URL ":1:33: media[0].id: must not be empty"},
    {HEAD "\"media\": [{\"id\": 3, \"url\": \"a.png\"}], \"zones\": {}}", false,
     URL ":1:33: media[0].id: must be a string, got 3"},
    {HEAD "\"media\": [{\"id\": \"a\"}], \"zones\": {}}", false,
     URL ":1:26: media[0].url: required"},
    {HEAD "\"media\": [{\"id\": \"a\", \"url\": \"\"}], \"zones\": {}}", false,
     URL ":1:45: media[0].url: must not be empty"},
    {HEAD "\"media\": [{\"id\": \"a\", \"url\": [\"a.png\"]}], \"zones\": {}}", false,
     URL ":1:45: media[0].url: must be a string, got an array"},
    {HEAD "\"media\": [{\"id\": \"a\", \"url\": \"ftp://host/a.png\"}], \"zones\": {}}", false,
     URL ":1:45: media[0].url: \"ftp\" URLs do not name a local file, got \"ftp://host/a.png\""},
    {HEAD "\"media\": [{\"id\": \"a\", \"url\": \"file://nas/a.png\"}], \"zones\": {}}", false,
     URL ":1:45: media[0].url: file URL names another computer"},
    {HEAD "\"media\": [{\"id\": \"a\", \"url\": \"a%00.png\"}], \"zones\": {}}", false,
     URL ":1:45: media[0].url: %00"},
    {HEAD "\"media\": [{\"id\": \"a\", \"url\": \"a.png\"}, {\"id\": \"b\", \"url\": \"b.png\"},"
     " {\"id\": \"a\", \"url\": \"c.png\"}], \"zones\": {}}", false,
     URL ":1:91: media[2].id: duplicate media id \"a\", media[0] has it already"},
    {HEAD "\"media\": [{\"id\": \"a\", \"url\": \"a.png\", \"size\": -1}], \"zones\": {}}", false,
     URL ":1:62: media[0].size: must be an integer 0 or greater, got -1"},
    {HEAD "\"media\": [{\"id\": \"a\", \"url\": \"a.png\", \"size\": \"1k\"}], \"zones\": {}}",
     false, URL ":1:62: media[0].size: must be an integer 0 or greater, got \"1k\""},
    {HEAD "\"media\": [{\"id\": \"a\", \"url\": \"a.png\", \"sha256\": \"abc\"}], \"zones\": {}}",
     false, URL ":1:64: media[0].sha256: must be 64 hexadecimal digits, got \"abc\""},
    {HEAD "\"media\": [{\"id\": \"a\", \"url\": \"a.png\", \"sha256\":"
     " \"00112233445566778899aabbccddeeff00112233445566778899aabbccddeefg\"}], \"zones\": {}}",
     false, URL ":1:64: media[0].sha256: must be 64 hexadecimal digits"},

    /* Items: types and fields every item has. */
    {LOWER("5"), false, URL ":1:46: zones.lower.items[0]: must be an object, got 5"},
    {LOWER("{\"title\": \"t\"}"), false, URL ":1:46: zones.lower.items[0].type: required"},
    {LOWER("{\"type\": \"slideshow\"}"), false,
     URL ":1:55: zones.lower.items[0].type: must be image, video, text, qr or notice, "
     "got \"slideshow\""},
    {LOWER("{\"type\": \"video\"}"), false,
     URL ":1:46: zones.lower.items[0].media: required for video items"},
    {UPPER("{\"type\": \"video\", \"media\": \"a\", \"play\": \"forever\"}"), false,
     URL ":1:126: zones.upper.items[0].play: must be \"end\", \"loop\" or \"cut\", got"
     " \"forever\""},
    {UPPER("{\"type\": \"video\", \"media\": \"a\", \"volume\": 101}"), false,
     URL ":1:128: zones.upper.items[0].volume: must be a whole number from 0 (muted) to 100"},
    {UPPER("{\"type\": \"video\", \"media\": \"a\", \"volume\": 0.5}"), false,
     URL ":1:128: zones.upper.items[0].volume: must be a whole number"},
    {LOWER("{\"type\": 1}"), false,
     URL ":1:55: zones.lower.items[0].type: must be a string, got 1"},
    {LOWER("{\"type\": \"text\", \"title\": \"t\", \"id\": \"\"}"), false,
     URL ":1:83: zones.lower.items[0].id: must not be empty"},
    {LOWER("{\"type\": \"text\", \"title\": \"t\", \"id\": {}}"), false,
     URL ":1:83: zones.lower.items[0].id: must be a string, got an object"},
    {LOWER("{\"type\": \"text\", \"title\": \"t\"}, {\"type\": \"text\", \"title\": \"t\"},"
           "{\"type\": \"text\", \"title\": \"t\", \"duration\": -3}"), false,
     URL ":1:152: zones.lower.items[2].duration: must be a number greater than 0 and at most"
     " 86400, got -3\n"},
    {LOWER("{\"type\": \"text\", \"title\": \"t\", \"duration\": 0}"), false,
     URL ":1:89: zones.lower.items[0].duration: must be a number greater than 0"},
    {LOWER("{\"type\": \"text\", \"title\": \"t\", \"duration\": 86400.5}"), false,
     "zones.lower.items[0].duration: must be a number greater than 0 and at most 86400,"
     " got 86400.5"},
    {LOWER("{\"type\": \"text\", \"title\": \"t\", \"duration\": 100000}"), false,
     "zones.lower.items[0].duration: must be a number greater than 0 and at most 86400,"
     " got 100000"},
    {LOWER("{\"type\": \"text\", \"title\": \"t\", \"duration\": \"10\"}"), false,
     "zones.lower.items[0].duration: must be a number greater than 0 and at most 86400,"
     " got \"10\""},
    {LOWER("{\"type\": \"text\", \"title\": \"t\", \"fit\": \"stretch\"}"), false,
     URL ":1:84: zones.lower.items[0].fit: must be \"fit\" or \"fill\", got \"stretch\""},
    {LOWER("{\"type\": \"text\", \"title\": \"t\", \"fg\": \"red\"}"), false,
     URL ":1:83: zones.lower.items[0].fg: must be a colour written #RRGGBB or #RRGGBBAA, got"
     " \"red\""},
    {LOWER("{\"type\": \"text\", \"title\": \"t\", \"bg\": \"#12345\"}"), false,
     URL ":1:83: zones.lower.items[0].bg: must be a colour"},
    {LOWER("{\"type\": \"text\", \"title\": \"t\", \"bg\": \"#1234567\"}"), false,
     URL ":1:83: zones.lower.items[0].bg: must be a colour"},
    {LOWER("{\"type\": \"text\", \"title\": \"t\", \"bg\": \"#12345g\"}"), false,
     URL ":1:83: zones.lower.items[0].bg: must be a colour"},
    {LOWER("{\"type\": \"text\", \"title\": \"t\", \"bg\": \"123456\"}"), false,
     URL ":1:83: zones.lower.items[0].bg: must be a colour"},
    {LOWER("{\"type\": \"text\", \"title\": \"t\", \"bg\": 1193046}"), false,
     URL ":1:83: zones.lower.items[0].bg: must be a string, got 1193046"},

    /* Items: what each type needs. */
    {UPPER("{\"type\": \"image\"}"), false,
     URL ":1:86: zones.upper.items[0].media: required for image items"},
    {UPPER("{\"type\": \"image\", \"media\": \"b\"}"), false,
     URL ":1:113: zones.upper.items[0].media: no entry in \"media\" has the id \"b\""},
    {UPPER("{\"type\": \"image\", \"media\": 0}"), false,
     URL ":1:113: zones.upper.items[0].media: must be a string, got 0"},
    {LOWER("{\"type\": \"text\"}"), false,
     URL ":1:46: zones.lower.items[0]: text items need a non-empty \"title\" or \"body\""},
    {LOWER("{\"type\": \"text\", \"title\": \"\", \"body\": \"\"}"), false,
     URL ":1:46: zones.lower.items[0]: text items need a non-empty"},
    {LOWER("{\"type\": \"text\", \"title\": true}"), false,
     URL ":1:72: zones.lower.items[0].title: must be a string, got true"},
    {LOWER("{\"type\": \"text\", \"body\": null}"), false,
     URL ":1:71: zones.lower.items[0].body: must be a string, got null"},
    {LOWER("{\"type\": \"qr\"}"), false,
     URL ":1:46: zones.lower.items[0].qr: required for qr items"},
    {LOWER("{\"type\": \"qr\", \"qr\": \"\"}"), false,
     URL ":1:67: zones.lower.items[0].qr: must not be empty"},
    {LOWER("{\"type\": \"qr\", \"qr\": \"x\", \"caption\": []}"), false,
     URL ":1:83: zones.lower.items[0].caption: must be a string, got an array"},
    {LOWER("{\"type\": \"notice\", \"title\": \"t\"}"), false,
     URL ":1:46: zones.lower.items[0].qr: required for notice items"},
    {LOWER("{\"type\": \"notice\", \"qr\": \"x\"}"), false,
     URL ":1:46: zones.lower.items[0]: notice items need a non-empty \"title\" or \"body\""},

    /* Odd keys are quoted in paths so the message stays one clear line. */
    {"{\"version\": 1, \"zones\": {\"a.b\\nc\": {}}}", false,
     URL ":1:36: zones[\"a.b\\nc\"]: unknown zone"},
};

/* Every line of ERRORS starts with the URL. */
static bool lines_start_with_url(const char *errors)
{
    for (const char *line = errors; *line; ) {
        if (strncmp(line, URL, strlen(URL)) != 0)
            return false;
        const char *end = strchr(line, '\n');
        if (!end)
            return false;
        line = end + 1;
    }
    return true;
}

/* The byte offset of LINE:COL in TEXT, columns counted in characters;
 * -1 when TEXT has no such place. */
static long offset_of(const char *text, int line, int col)
{
    int l = 1, c = 1;
    for (long i = 0; text[i]; i++) {
        if (l == line && c == col)
            return i;
        if (text[i] == '\n') {
            l++;
            c = 1;
        } else if (((unsigned char)text[i] & 0xc0) != 0x80) {
            c++;
        }
    }
    return -1;
}

/* Whether every "URL:LINE:COL: " in ERRORS, syntax errors aside, names a
 * place in TEXT where a JSON value starts: the bad value, or the object a
 * required member is missing from. */
static bool positions_start_values(const char *text, const char *errors)
{
    for (const char *at = errors; (at = strstr(at, URL ":")); at++) {
        int line, col, n = 0;
        if (sscanf(at + strlen(URL), ":%d:%d: %n", &line, &col, &n) != 2 || n == 0)
            continue;
        if (strncmp(at + strlen(URL) + n, "syntax error", 12) == 0)
            continue;
        long i = offset_of(text, line, col);
        if (i < 0 || !strchr("{[\"-0123456789tfn", text[i]))
            return false;
    }
    return true;
}

static void run_parse_case(size_t index, const struct parse_case *c)
{
    char *errors = NULL;
    struct manifest *m = parse(c->json, strlen(c->json), &errors);
    if (c->ok) {
        CHECK(m != NULL, "case %zu refused:\n%s", index, errors);
        CHECK(errors[0] == '\0', "case %zu: errors:\n%s", index, errors);
    } else {
        CHECK(m == NULL, "case %zu accepted: %s", index, c->json);
        CHECK(strstr(errors, c->want) != NULL, "case %zu: want \"%s\" in:\n%s",
              index, c->want, errors);
        CHECK(lines_start_with_url(errors), "case %zu: line without URL in:\n%s",
              index, errors);
        /* The BOM case is valid, so offsets match the text as given. */
        CHECK(positions_start_values(c->json, errors),
              "case %zu: a line:column that is no value in:\n%s", index, errors);
    }
    manifest_unref(m);
    free(errors);
}

/* Problems deep in a manifest laid out on many lines point at the value
 * at fault, or at the object a required member is missing from. */
static void test_positions(void)
{
    static const char text[] =
        "{\n"
        "  \"version\": 3,\n"
        "  \"media\": [\n"
        "    {\"id\": \"a\", \"url\": \"a.png\"},\n"
        "    {\"id\": \"b\", \"url\": \"b.png\", \"size\": -5}\n"
        "  ],\n"
        "  \"zones\": {\n"
        "    \"upper\": {\"items\": [\n"
        "      {\"type\": \"image\", \"media\": \"a\"},\n"
        "      {\"type\": \"image\", \"media\": \"b\"},\n"
        "      {\"type\": \"image\", \"media\": \"a\", \"duration\": 4},\n"
        "      {\"type\": \"image\", \"media\": \"b\",\n"
        "       \"when\": {\"days\": [\"mon\", 7],\n"
        "                \"times\": [{\"from\": \"07:00\", \"to\": \"25:00\"}]},\n"
        "       \"where\": {\"include\": {\"building\": \"3\"}}}\n"
        "    ]},\n"
        "    \"lower\": {\"items\": [{\"type\": \"text\", \"title\": \"\xe9\x80\x9a\xe7\x9f\xa5\","
        " \"fg\": \"red\"}],\n"
        "              \"playlists\": [{\"id\": \"p\", \"items\": []},\n"
        "                            {\"priority\": 2, \"items\": [{\"type\": \"qr\"}]}]}\n"
        "  }\n"
        "}\n";
    static const struct {
        const char *needle; /* where the problem is: its first occurrence */
        const char *what;
    } cases[] = {
        {"-5}", "media[1].size: must be an integer 0 or greater, got -5"},
        {"7]", "zones.upper.items[3].when.days[1]: must be one of mon, tue, wed, thu, fri,"
               " sat, sun, got 7"},
        {"\"25:00\"", "zones.upper.items[3].when.times[0].to: must be a time written HH:MM"},
        {"\"3\"}}}", "zones.upper.items[3].where.include.building: must be an array of"
                     " strings"},
        {"\"red\"", "zones.lower.items[0].fg: must be a colour written #RRGGBB"},
        {"{\"id\": \"p\"", "zones.lower.playlists[0].priority: must be a whole number from"
                           " 1 to 1000"},
        {"{\"type\": \"qr\"}", "zones.lower.playlists[1].items[0].qr: required for qr items"},
    };
    char *errors = NULL;
    struct manifest *m = parse(text, strlen(text), &errors);
    CHECK(m == NULL, "accepted");
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int line, col;
        check_position_of(text, cases[i].needle, &line, &col);
        char want[256];
        snprintf(want, sizeof(want), "%s:%d:%d: %s", URL, line, col, cases[i].what);
        CHECK(strstr(errors, want), "want \"%s\" in:\n%s", want, errors);
    }
    CHECK(count(errors, "\n") == sizeof(cases) / sizeof(cases[0]), "errors:\n%s", errors);
    manifest_unref(m);
    free(errors);
}

/* Every problem is reported, in one line each, not just the first. */
static void test_all_problems(void)
{
    static const char text[] =
        "{\"version\": -2, \"zones\": {\"upper\": {\"items\": [{\"type\": \"image\"},"
        " {\"type\": \"text\", \"duration\": 0}]}, \"side\": {}}}";
    static const char want[] =
        URL ":1:13: version: must be an integer 0 or greater, got -2\n"
        URL ":1:109: zones.side: unknown zone; the zones are \"upper\" and \"lower\"\n"
        URL ":1:47: zones.upper.items[0].media: required for image items: the id of an entry"
        " in \"media\"\n"
        URL ":1:95: zones.upper.items[1].duration: must be a number greater than 0 and at"
        " most 86400, got 0\n"
        URL ":1:66: zones.upper.items[1]: text items need a non-empty \"title\" or"
        " \"body\"\n";
    char *errors = NULL;
    struct manifest *m = parse(text, strlen(text), &errors);
    CHECK(m == NULL, "accepted");
    CHECK_STR(errors, want);
    free(errors);
}

/* Builds a lower-zone item of TYPE whose field KEY holds LEN copies of 'x'. */
static char *long_field(const char *type, const char *key, size_t len, const char *extra)
{
    char *value = malloc(len + 1);
    memset(value, 'x', len);
    value[len] = '\0';
    size_t size = len + 256;
    char *json = malloc(size);
    snprintf(json, size, LOWER("{\"type\": \"%s\", %s \"%s\": \"%s\"}"), type, extra, key,
             value);
    free(value);
    return json;
}

static void test_lengths(void)
{
    static const struct {
        const char *type, *key, *extra;
        size_t len;
        const char *want;
    } cases[] = {
        {"qr", "qr", "", 2000, NULL},
        {"qr", "qr", "", 2001, "zones.lower.items[0].qr: must be at most 2000 bytes, got 2001"},
        {"notice", "qr", "\"title\": \"t\",", 2001, "zones.lower.items[0].qr: must be at most"},
        {"text", "title", "", 16384, NULL},
        {"text", "title", "", 16385,
         "zones.lower.items[0].title: must be at most 16384 bytes, got 16385"},
        {"text", "body", "", 100000, "zones.lower.items[0].body: must be at most 16384 bytes"},
        {"qr", "caption", "\"qr\": \"q\",", 16385, "zones.lower.items[0].caption: must be at"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *json = long_field(cases[i].type, cases[i].key, cases[i].len, cases[i].extra);
        char *errors = NULL;
        struct manifest *m = parse(json, strlen(json), &errors);
        if (!cases[i].want) {
            CHECK(m != NULL, "length case %zu refused:\n%s", i, errors);
        } else {
            CHECK(m == NULL, "length case %zu accepted", i);
            CHECK(strstr(errors, cases[i].want), "length case %zu: want \"%s\" in:\n%s",
                  i, cases[i].want, errors);
        }
        manifest_unref(m);
        free(errors);
        free(json);
    }
}

/* Values quoted back are cut short, and the text goes only as far as LEN. */
static void test_edges(void)
{
    char *errors = NULL;
    char *json = long_field("text", "fg", 5000, "\"title\": \"t\",");
    struct manifest *m = parse(json, strlen(json), &errors);
    CHECK(m == NULL, "long colour accepted");
    CHECK(strstr(errors, "got \"xxxxxxxx") && strstr(errors, "...\"\n"),
          "long value not cut: %.200s", errors);
    CHECK(strlen(errors) < 300, "message of %zu bytes", strlen(errors));
    free(errors);
    free(json);

    /* Only the first LEN bytes count: the rest would make it valid. */
    const char *text = "{\"version\": 1, \"zones\": {}}";
    m = parse(text, strlen(text) - 1, &errors);
    CHECK(m == NULL, "bytes past LEN were read");
    CHECK(strstr(errors, "syntax error"), "errors: %s", errors);
    free(errors);

    m = parse(NULL, 0, &errors);
    CHECK(m == NULL && strstr(errors, "empty document"), "errors: %s", errors);
    free(errors);

    /* A flood of problems is cut short with a count. */
    size_t n = 300;
    char *many = malloc(n * 8 + 100);
    strcpy(many, "{\"version\": 1, \"zones\": {\"upper\": {\"items\": [");
    for (size_t i = 0; i < n; i++)
        strcat(many, i ? ",{}" : "{}");
    strcat(many, "]}}}");
    m = parse(many, strlen(many), &errors);
    CHECK(m == NULL, "300 bad items accepted");
    CHECK(count(errors, "\n") == 101, "%zu lines", count(errors, "\n"));
    CHECK(strstr(errors, URL ": 200 more problems not shown\n"), "tail: %s",
          errors + (strlen(errors) > 200 ? strlen(errors) - 200 : 0));
    free(errors);
    free(many);

    CHECK_STR(manifest_zone_name(ZONE_UPPER), "upper");
    CHECK_STR(manifest_zone_name(ZONE_LOWER), "lower");
    CHECK_STR(manifest_item_type_name(ITEM_IMAGE), "image");
    CHECK_STR(manifest_item_type_name(ITEM_TEXT), "text");
    CHECK_STR(manifest_item_type_name(ITEM_QR), "qr");
    CHECK_STR(manifest_item_type_name(ITEM_NOTICE), "notice");
}

static const struct {
    const char *base, *ref, *want;
} resolve_cases[] = {
    {"file:///a/b.json", "m/x.png", "/a/m/x.png"},
    {"/srv/lianbo/schedule.json", "media/photo 1.jpg", "/srv/lianbo/media/photo 1.jpg"},
    {URL, "\xe7\x85\xa7\xe7\x89\x87/\xe5\xa4\xa7\xe5\xa0\x82 1.png",
     "/srv/lianbo/\xe7\x85\xa7\xe7\x89\x87/\xe5\xa4\xa7\xe5\xa0\x82 1.png"},
    {URL, "photo%201.jpg", "/srv/lianbo/photo 1.jpg"},
    {URL, "%E7%85%A7%e7%89%87.png", "/srv/lianbo/\xe7\x85\xa7\xe7\x89\x87.png"},
    {URL, "50% off.jpg", "/srv/lianbo/50% off.jpg"},
    {URL, "100%25.jpg", "/srv/lianbo/100%.jpg"},
    {URL, "end%4", "/srv/lianbo/end%4"},
    {URL, "end%", "/srv/lianbo/end%"},
    {URL, "photo #1?.jpg", "/srv/lianbo/photo #1?.jpg"},
    {URL, "a%00b.png", NULL},
    {"file:///srv/my%20signs/schedule.json", "a.png", "/srv/my signs/a.png"},
    {"/srv/my%20signs/schedule.json", "a.png", "/srv/my%20signs/a.png"},
    {"/schedule.json", "a.png", "/a.png"},
    {"signs/schedule.json", "a.png", "signs/a.png"},
    {"schedule.json", "a.png", "a.png"},
    {URL, "../shared/logo.png", "/srv/shared/logo.png"},
    {URL, "./a/./b//c.png", "/srv/lianbo/a/b/c.png"},
    {URL, "a/../../b/../c.png", "/srv/c.png"},
    {URL, "../../../../x.png", "/x.png"},
    {"a/s.json", "../../x.png", "../x.png"},
    {URL, "file:///abs/x.png", "/abs/x.png"},
    {URL, "file:///abs/a%20b.png", "/abs/a b.png"},
    {URL, "FILE:///abs/x.png", "/abs/x.png"},
    {URL, "file:/abs/x.png", "/abs/x.png"},
    {URL, "file://localhost/abs/x.png", "/abs/x.png"},
    {URL, "file://LocalHost/abs/x.png", "/abs/x.png"},
    {URL, "file://otherhost/abs/x.png", NULL},
    {URL, "file://localhost", NULL},
    {URL, "file:relative.png", NULL},
    {URL, "/abs/x.png", "/abs/x.png"},
    {URL, "/abs/a%20b.png", "/abs/a%20b.png"},
    {"https://example.org/s.json", "/abs/x.png", "/abs/x.png"},
    {"https://example.org/s.json", "file:///abs/x.png", "/abs/x.png"},
    {URL, "http://example.org/x.png", NULL},
    {URL, "https://example.org/x.png", NULL},
    {URL, "HTTPS://example.org/x.png", NULL},
    {"https://example.org/s.json", "x.png", NULL},
    {"http://example.org/s.json", "x.png", NULL},
    {"file://otherhost/s.json", "x.png", NULL},
    {URL, "ftp://example.org/x.png", NULL},
    {URL, "data:image/png;base64,AAAA", NULL},
    {URL, "", NULL},
};

static void test_resolve(void)
{
    for (size_t i = 0; i < sizeof(resolve_cases) / sizeof(resolve_cases[0]); i++) {
        char *got = manifest_resolve_path(resolve_cases[i].base, resolve_cases[i].ref);
        const char *want = resolve_cases[i].want;
        if (want) {
            CHECK(got && strcmp(got, want) == 0, "resolve %zu (%s, %s): got %s, want %s", i,
                  resolve_cases[i].base, resolve_cases[i].ref, got ? got : "NULL", want);
        } else {
            CHECK(got == NULL, "resolve %zu (%s, %s): got %s, want NULL", i,
                  resolve_cases[i].base, resolve_cases[i].ref, got);
        }
        free(got);
    }
}

static char dir[] = "/tmp/lianbo-test-manifest-XXXXXX";

static void write_file(const char *name, const char *text, size_t len)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(text, 1, len, f) != len || fclose(f) != 0) {
        perror(path);
        exit(2);
    }
}

struct read_case {
    const char *url;      /* '@' stands for the test directory */
    size_t max_bytes;
    bool ok;
    const char *want;     /* the text read, or a substring of the reason */
};

static const struct read_case read_cases[] = {
    {"@/schedule.json", 1000, true, "{\"version\": 3, \"zones\": {}}\n"},
    {"file://@/schedule.json", 1000, true, "{\"version\": 3, \"zones\": {}}\n"},
    {"file://localhost@/schedule.json", 1000, true, "{\"version\": 3, \"zones\": {}}\n"},
    {"file://@/%E6%97%A5%E7%A8%8B%20b.json", 1000, true, "{\"b\": 1}"},
    {"@/\xe6\x97\xa5\xe7\xa8\x8b b.json", 1000, true, "{\"b\": 1}"},
    {"@/hundred.json", 100, true, NULL},
    {"@/hundred.json", 99, false, "too large: 100 bytes, the limit is 99"},
    {"@/missing.json", 1000, false, "No such file or directory"},
    {"file://@/missing.json", 1000, false, "No such file or directory"},
    {"@", 1000, false, "is a directory"},
    {"@/sub", 1000, false, "is a directory"},
    {"@/empty.json", 1000, false, "empty document"},
    {"@/fifo", 1000, false, "not a regular file"},
    {"http://example.org/s.json", 1000, false,
     "http(s) schedules arrive with network sync; use a file:// URL"},
    {"HTTPS://example.org/s.json", 1000, false, "network sync"},
    {"file://nas@/schedule.json", 1000, false, "another computer"},
    {"schedule.json", 1000, false, "neither a file:// URL nor an absolute path"},
    {"ftp://example.org/s.json", 1000, false, "\"ftp\" URLs do not name a local file"},
};

/* Copies PATTERN to URL with '@' replaced by the test directory. */
static void expand(char *url, size_t cap, const char *pattern)
{
    const char *at = strchr(pattern, '@');
    if (at)
        snprintf(url, cap, "%.*s%s%s", (int)(at - pattern), pattern, dir, at + 1);
    else
        snprintf(url, cap, "%s", pattern);
}

static void test_source_read(void)
{
    char hundred[100];
    memset(hundred, ' ', sizeof(hundred));
    hundred[0] = '{';
    hundred[98] = '}';
    hundred[99] = '\n';
    write_file("schedule.json", "{\"version\": 3, \"zones\": {}}\n", 28);
    write_file("\xe6\x97\xa5\xe7\xa8\x8b b.json", "{\"b\": 1}", 8);
    write_file("hundred.json", hundred, sizeof(hundred));
    write_file("empty.json", "", 0);
    char path[512];
    snprintf(path, sizeof(path), "%s/sub", dir);
    mkdir(path, 0700);
    snprintf(path, sizeof(path), "%s/fifo", dir);
    mkfifo(path, 0600);

    for (size_t i = 0; i < sizeof(read_cases) / sizeof(read_cases[0]); i++) {
        const struct read_case *c = &read_cases[i];
        char url[512], why[256] = "";
        char *text = NULL;
        size_t len = 12345;
        expand(url, sizeof(url), c->url);
        bool ok = source_read(url, c->max_bytes, &text, &len, why, sizeof(why));
        CHECK(ok == c->ok, "read %zu (%s): %s", i, url, ok ? "succeeded" : why);
        if (ok && c->ok && c->want) {
            CHECK(len == strlen(c->want) && memcmp(text, c->want, len) == 0,
                  "read %zu: got %zu bytes \"%s\"", i, len, text);
        }
        if (ok && c->ok) {
            CHECK(text[len] == '\0', "read %zu: not NUL-terminated", i);
            CHECK(len == strlen(text), "read %zu: length %zu", i, len);
        }
        if (!ok && !c->ok)
            CHECK(strstr(why, c->want), "read %zu: want \"%s\" in \"%s\"", i, c->want, why);
        free(text);
    }

    /* OUT_LEN may be NULL, and a document read this way parses with media
     * resolved next to it. */
    char url[512], why[256] = "";
    char *text = NULL;
    snprintf(url, sizeof(url), "file://%s/full.json", dir);
    write_file("full.json", full_manifest, strlen(full_manifest));
    CHECK(source_read(url, 1 << 20, &text, NULL, why, sizeof(why)), "full: %s", why);
    if (text) {
        struct manifest *m = manifest_parse(text, strlen(text), url, stderr);
        char want[512];
        snprintf(want, sizeof(want), "%s/media/photo 1.jpg", dir);
        CHECK(m && m->n_media > 0 && m->media[0].path && strcmp(m->media[0].path, want) == 0,
              "photo-1 resolved to %s", m && m->n_media ? m->media[0].path : "nothing");
        manifest_unref(m);
        free(text);
    }

    const char *names[] = {"schedule.json", "\xe6\x97\xa5\xe7\xa8\x8b b.json", "hundred.json",
                           "empty.json", "fifo", "full.json"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
        unlink(path);
    }
    snprintf(path, sizeof(path), "%s/sub", dir);
    rmdir(path);
    rmdir(dir);
}

static void test_video_items(void)
{
    static const char text[] =
        "{\"version\": 2, \"media\": [{\"id\": \"clip\", \"url\": \"news.mp4\"}],"
        " \"zones\": {\"upper\": {\"items\": ["
        "  {\"type\": \"video\", \"media\": \"clip\"},"
        "  {\"type\": \"video\", \"media\": \"clip\", \"play\": \"loop\", \"duration\": 30,"
        "   \"volume\": 0, \"fit\": \"fill\"},"
        "  {\"type\": \"video\", \"media\": \"clip\", \"play\": \"cut\", \"duration\": 5}"
        "]}}}";
    struct manifest *m = manifest_parse(text, strlen(text), URL, stderr);
    CHECK(m != NULL, "video manifest parses");
    if (!m)
        return;
    const struct manifest_zone *z = &m->zones[ZONE_UPPER];
    CHECK(z->n_items == 3, "three items, got %zu", z->n_items);
    CHECK(z->items[0].type == ITEM_VIDEO, "type video");
    CHECK_STR(z->items[0].media->path, "/srv/lianbo/news.mp4");
    CHECK(z->items[0].play == PLAY_END && z->items[0].duration == 0,
          "plays to its end by default, no duration: %g", z->items[0].duration);
    CHECK(z->items[0].volume == 100, "full volume by default");
    CHECK(z->items[1].play == PLAY_LOOP && z->items[1].duration == 30, "loop for 30 s");
    CHECK(z->items[1].volume == 0 && z->items[1].fit == FIT_COVER, "muted, fill");
    CHECK(z->items[2].play == PLAY_CUT && z->items[2].duration == 5, "cut at 5 s");
    manifest_unref(m);
}

static void test_playlists(void)
{
    static const char text[] =
        "{\"version\": 3, \"published\": \"2026-12-01T08:00:00+08:00\","
        " \"zones\": {\"lower\": {"
        "  \"items\": [{\"id\": \"a\", \"type\": \"text\", \"title\": \"A\","
        "              \"when\": {\"times\": [{\"from\": \"22:00\", \"to\": \"06:00\"}]}}],"
        "  \"playlists\": [{\"id\": \"campaign\", \"priority\": 10,"
        "     \"when\": {\"dates\": {\"from\": \"2026-12-01\", \"to\": \"2026-12-07\"}},"
        "     \"where\": {\"include\": {\"building\": [\"3\"]}},"
        "     \"items\": [{\"id\": \"b\", \"type\": \"qr\", \"qr\": \"x{tag.building}\"},"
        "               {\"id\": \"c\", \"type\": \"text\", \"body\": \"C\"}]}],"
        "  \"fallback\": {\"id\": \"fb\", \"type\": \"text\", \"title\": \"Welcome\"}"
        "}}}";
    struct manifest *m = manifest_parse(text, strlen(text), URL, stderr);
    CHECK(m != NULL, "playlists parse");
    if (!m)
        return;
    const struct manifest_zone *z = &m->zones[ZONE_LOWER];
    CHECK(m->published == 1796083200, "published %ld", (long)m->published);
    CHECK(z->n_lists == 2 && z->n_items == 3, "lists %zu items %zu", z->n_lists, z->n_items);
    CHECK(z->lists[0].first == 0 && z->lists[0].count == 1, "own items first");
    CHECK(z->lists[1].first == 1 && z->lists[1].count == 2 && z->lists[1].priority == 10,
          "campaign list");
    CHECK_STR(z->lists[1].id, "campaign");
    CHECK(z->items[1].list == 1 && z->items[2].list == 1 && z->items[0].list == 0, "lists");
    CHECK(z->items[0].rules.when.n_windows == 1, "item window parsed");
    CHECK(z->lists[1].rules.where.n_include == 1, "playlist where parsed");
    CHECK(z->fallback && strcmp(z->fallback->id, "fb") == 0, "fallback item");

    struct manifest *copy = manifest_copy(m);
    CHECK(copy && copy->zones[ZONE_LOWER].n_lists == 2 && copy->zones[ZONE_LOWER].fallback &&
              copy->zones[ZONE_LOWER].lists[1].rules.where.n_include == 1,
          "copy keeps lists, rules and fallback");
    manifest_unref(copy);
    manifest_unref(m);

    static const struct {
        const char *text, *want;
    } bad[] = {
        {"{\"version\": 1, \"zones\": {\"upper\": {\"items\": [], \"playlists\": ["
         "{\"priority\": 0, \"items\": []}]}}}",
         "zones.upper.playlists[0].priority: must be a whole number from 1 to 1000"},
        {"{\"version\": 1, \"zones\": {\"upper\": {\"items\": [{\"type\": \"text\","
         " \"title\": \"t\","
         " \"when\": {\"times\": [{\"from\": \"24:30\", \"to\": \"01:00\"}]}}]}}}",
         "zones.upper.items[0].when.times[0].from"},
        {"{\"version\": 1, \"published\": \"yesterday\", \"zones\": {}}",
         "published: must be a time like"},
        {"{\"version\": 1, \"media\": [{\"id\": \"v\", \"url\": \"v.mp4\"}],"
         " \"zones\": {\"upper\": {\"items\": [],"
         " \"fallback\": {\"type\": \"video\", \"media\": \"v\"}}}}",
         "zones.upper.fallback.type: a fallback is a picture, text or QR code"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char *errors = NULL;
        size_t len = 0;
        FILE *err = open_memstream(&errors, &len);
        struct manifest *b = manifest_parse(bad[i].text, strlen(bad[i].text), URL, err);
        fclose(err);
        CHECK(!b, "bad playlist case %zu accepted", i);
        CHECK(errors && strstr(errors, bad[i].want), "case %zu: want \"%s\" in %s", i,
              bad[i].want, errors ? errors : "");
        manifest_unref(b);
        free(errors);
    }
}

int main(void)
{
    if (!mkdtemp(dir)) {
        perror(dir);
        return 2;
    }
    test_full_manifest();
    test_unknown_key_warnings();
    test_video_items();
    test_playlists();
    for (size_t i = 0; i < sizeof(parse_cases) / sizeof(parse_cases[0]); i++)
        run_parse_case(i, &parse_cases[i]);
    test_all_problems();
    test_positions();
    test_lengths();
    test_edges();
    test_resolve();
    test_source_read();
    return check_finish();
}
