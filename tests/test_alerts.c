/* The alerts document: parsing, located errors, and who shows where. */
#include <stdlib.h>

#include "player/alerts.h"
#include "player/jcheck.h"
#include "tests/check.h"

#define URL "https://example.org/alerts.json"

/* 2026-12-04T12:00:00Z */
#define NOON 1796385600

#define HASH "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"

static char *errors_of(const char *text, struct alerts **out)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *err = open_memstream(&buf, &len);
    *out = alerts_parse(text, strlen(text), URL, err);
    fclose(err);
    return buf;
}

struct bad_case {
    const char *text;
    const char *want; /* substring of the error output */
};

static const struct bad_case bad_cases[] = {
    {"", URL ":1:0: syntax error"},
    {"<html><body>Log in to the Wi-Fi</body></html>", "this is an HTML page"},
    {"{\"alerts\": [", "syntax error"},
    {"[]", "the document must be a JSON object"},
    {"{\"alerts\": {}}", URL ":1:12: alerts: must be an array, got an object"},
    {"{\"alerts\": [\n  {\"id\": \"a\", \"level\": \"urgent\", \"title\": \"t\",\n"
     "   \"expires\": \"2026-12-04T13:00:00Z\"}]}",
     URL ":2:24: alerts[0].level: must be one of info, warning, emergency, got \"urgent\""},
    {"{\"alerts\": [{\"level\": \"info\", \"title\": \"t\","
     " \"expires\": \"2026-12-04T13:00:00Z\"}]}",
     "alerts[0].id: required"},
    {"{\"alerts\": [{\"id\": \"a\", \"level\": \"info\", \"title\": \"t\"}]}",
     "alerts[0].expires: required"},
    {"{\"alerts\": [{\"id\": \"a\", \"level\": \"info\", \"title\": \"t\",\n"
     "\"expires\": \"tomorrow\"}]}",
     URL ":2:12: alerts[0].expires: must be a time like"},
    {"{\"alerts\": [{\"id\": \"a\", \"level\": \"info\", \"expires\": \"2026-12-04T13:00:00Z\"}]}",
     "needs a \"title\", a \"body\" or \"media\""},
    {"{\"alerts\": [{\"id\": \"a\", \"level\": \"info\", \"title\": \"t\","
     " \"start\": \"2026-12-04T13:00:00Z\", \"expires\": \"2026-12-04T12:00:00Z\"}]}",
     "must be later than \"start\""},
    {"{\"alerts\": [{\"id\": \"a\", \"level\": \"info\", \"title\": 5,"
     " \"expires\": \"2026-12-04T13:00:00Z\"}]}",
     "alerts[0].title: must be a string, got 5"},
    {"{\"alerts\": [{\"id\": \"a\", \"level\": \"info\", \"title\": \"t\", \"zone\": \"side\","
     " \"expires\": \"2026-12-04T13:00:00Z\"},"
     " {\"id\": \"a\", \"level\": \"info\", \"title\": \"t\","
     " \"expires\": \"2026-12-04T13:00:00Z\"}]}",
     "alerts[1].id: \"a\" is already the id of alerts[0]"},
    {"{\"insert\": [{\"id\": \"i\", \"zone\": \"middle\", \"item\": \"m\"}]}",
     "insert[0].zone: must be one of upper, lower, got \"middle\""},
    {"{\"insert\": [{\"id\": \"i\", \"zone\": \"upper\", \"item\": \"m\", \"times\": 0}]}",
     "insert[0].times: must be a whole number from 1 to 100, got 0"},
    {"{\"insert\": [{\"id\": \"i\", \"zone\": \"upper\"}]}", "insert[0].item: required"},
    /* Media: an id of the schedule, or a file of the alert's own. */
    {"{\"alerts\": [{\"id\": \"a\", \"level\": \"warning\", \"title\": \"t\",\n"
     "  \"expires\": \"2026-12-04T13:00:00Z\",\n"
     "  \"media\": 5}]}",
     URL ":3:12: alerts[0].media: must be the id of a media entry of the schedule (a string) "
         "or an object with \"url\", \"size\" and \"sha256\", got 5"},
    {"{\"alerts\": [{\"id\": \"a\", \"level\": \"warning\", \"title\": \"t\",\n"
     "  \"expires\": \"2026-12-04T13:00:00Z\", \"media\": \"\"}]}",
     "alerts[0].media: must not be empty"},
    {"{\"alerts\": [{\"id\": \"a\", \"level\": \"warning\", \"title\": \"t\",\n"
     "  \"expires\": \"2026-12-04T13:00:00Z\",\n"
     "  \"media\": {\"url\": \"https://example.org/p.png\", \"size\": 0,\n"
     "             \"sha256\": \"xyz\"}}]}",
     URL ":3:57: alerts[0].media.size: must be a whole number of bytes, 1 or more, got 0"},
    {"{\"alerts\": [{\"id\": \"a\", \"level\": \"warning\", \"title\": \"t\",\n"
     "  \"expires\": \"2026-12-04T13:00:00Z\",\n"
     "  \"media\": {\"url\": \"https://example.org/p.png\", \"size\": 0,\n"
     "             \"sha256\": \"xyz\"}}]}",
     URL ":4:24: alerts[0].media.sha256: must be 64 hexadecimal digits, got \"xyz\""},
    {"{\"alerts\": [{\"id\": \"a\", \"level\": \"warning\", \"title\": \"t\",\n"
     "  \"expires\": \"2026-12-04T13:00:00Z\",\n"
     "  \"media\": {\"url\": \"file:///tmp/p.png\", \"size\": 10,\n"
     "             \"sha256\": \"" HASH "\"}}]}",
     URL ":3:20: alerts[0].media.url: must be an http:// or https:// address"},
    {"{\"alerts\": [{\"id\": \"a\", \"level\": \"emergency\", \"expires\": "
     "\"2026-12-04T13:00:00Z\", \"media\": {\"size\": 10}}]}",
     "alerts[0].media.url: required"},
    {"{\"alerts\": [{\"id\": \"a\", \"level\": \"emergency\", \"expires\": "
     "\"2026-12-04T13:00:00Z\", \"media\": {\"url\": \"https://e.org/v.mp4\"}}]}",
     "alerts[0].media.size: required"},
    {"{\"alerts\": [{\"id\": \"a\", \"level\": \"emergency\", \"expires\": "
     "\"2026-12-04T13:00:00Z\", \"media\": {\"url\": \"https://e.org/v.mp4\", "
     "\"size\": 1.5}}]}",
     "alerts[0].media.sha256: required"},
};

static void test_bad(void)
{
    for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
        struct alerts *a;
        char *errors = errors_of(bad_cases[i].text, &a);
        CHECK(a == NULL, "case %zu accepted", i);
        CHECK(errors && strstr(errors, bad_cases[i].want), "case %zu: want \"%s\" in: %s", i,
              bad_cases[i].want, errors ? errors : "");
        alerts_free(a);
        free(errors);
    }
}

static const char good[] =
    "{\"version\": 3, \"alerts\": ["
    " {\"id\": \"storm\", \"level\": \"emergency\", \"title\": \"暴雨红色预警\","
    "  \"body\": \"请勿外出\", \"qr\": \"https://example.org/storm\","
    "  \"start\": \"2026-12-04T21:00:00+08:00\", \"expires\": \"2026-12-04T23:00:00+08:00\"},"
    " {\"id\": \"lift\", \"level\": \"warning\", \"zone\": \"lower\", \"title\": \"电梯停用\","
    "  \"expires\": \"2026-12-05T00:00:00Z\"},"
    " {\"id\": \"road\", \"level\": \"warning\", \"title\": \"道路封闭\","
    "  \"expires\": \"2026-12-05T00:00:00Z\"},"
    " {\"id\": \"road2\", \"level\": \"warning\", \"zone\": \"all\", \"title\": \"绕行\","
    "  \"expires\": \"2026-12-05T00:00:00Z\"},"
    " {\"id\": \"tip\", \"level\": \"info\", \"body\": \"今日有雨\","
    "  \"expires\": \"2026-12-05T00:00:00Z\"},"
    " {\"id\": \"tip2\", \"level\": \"info\", \"zone\": \"upper\", \"body\": \"注意防滑\","
    "  \"expires\": \"2026-12-04T12:30:00Z\"}],"
    " \"insert\": [{\"id\": \"safety-1\", \"zone\": \"upper\", \"item\": \"clip\", \"times\": 2}]}";

static void test_good_and_select(void)
{
    struct alerts *a;
    char *errors = errors_of(good, &a);
    CHECK(a != NULL, "good document refused: %s", errors ? errors : "");
    free(errors);
    if (!a)
        return;
    CHECK(a->n_alerts == 6 && a->n_inserts == 1, "counts %zu %zu", a->n_alerts, a->n_inserts);
    CHECK(a->alerts[0].start == NOON + 3600, "start in +08:00: %ld", (long)a->alerts[0].start);
    CHECK(a->inserts[0].times == 2 && a->inserts[0].zone == ZONE_UPPER, "insert");

    /* At noon UTC: no emergency yet. The upper zone has two warnings
     * ("road" by default, "road2" for all zones) taking turns; the lower
     * zone has "lift" and "road2" taking turns. */
    struct alerts_view v;
    alerts_select(a, NOON, ZONE_LOWER, 0, &v);
    CHECK_STR(v.cover[ZONE_UPPER]->id, "road");
    CHECK_STR(v.cover[ZONE_LOWER]->id, "lift");
    alerts_select(a, NOON, ZONE_LOWER, ALERTS_TURN_S, &v);
    CHECK_STR(v.cover[ZONE_UPPER]->id, "road2");
    CHECK_STR(v.cover[ZONE_LOWER]->id, "road2");
    alerts_select(a, NOON, ZONE_LOWER, 2 * ALERTS_TURN_S, &v);
    CHECK_STR(v.cover[ZONE_UPPER]->id, "road");

    /* Tickers: "tip" in the default (lower) zone, "tip2" in the upper. */
    CHECK(v.n_ticker[ZONE_LOWER] == 1 && v.n_ticker[ZONE_UPPER] == 1, "tickers %d %d",
          v.n_ticker[ZONE_LOWER], v.n_ticker[ZONE_UPPER]);
    CHECK_STR(v.ticker[ZONE_UPPER][0]->id, "tip2");

    /* Once the emergency starts it wins everywhere, whatever the turn. */
    for (int turn = 0; turn < 3; turn++) {
        alerts_select(a, NOON + 3600, ZONE_LOWER, turn * ALERTS_TURN_S, &v);
        CHECK(v.cover[ZONE_UPPER] && v.cover[ZONE_LOWER], "both covered");
        CHECK_STR(v.cover[ZONE_UPPER]->id, "storm");
        CHECK_STR(v.cover[ZONE_LOWER]->id, "storm");
    }
    /* tip2 expired at 12:30. */
    CHECK(v.n_ticker[ZONE_UPPER] == 0, "expired ticker gone");

    /* After everything expires nothing shows. */
    alerts_select(a, NOON + 86400, ZONE_LOWER, 0, &v);
    CHECK(!v.cover[ZONE_UPPER] && !v.cover[ZONE_LOWER] && !v.n_ticker[ZONE_LOWER], "all over");

    CHECK(alerts_next_change(a, NOON) == NOON + 1800, "next change is tip2 expiring: %ld",
          (long)alerts_next_change(a, NOON));
    CHECK(alerts_next_change(a, NOON + 1800) == NOON + 3600, "then the storm starts");
    alerts_free(a);
}

/* Both forms of "media", and the own file's fields as the feed reads them. */
static void test_media(void)
{
    static const char doc[] =
        "{\"alerts\": ["
        " {\"id\": \"poster\", \"level\": \"emergency\", \"media\": \"storm-map\","
        "  \"expires\": \"2026-12-05T00:00:00Z\"},"
        " {\"id\": \"own\", \"level\": \"warning\", \"title\": \"t\","
        "  \"media\": {\"url\": \"media/flood.png\", \"size\": 4096,"
        "              \"sha256\":"
        "  \"9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08\"},"
        "  \"expires\": \"2026-12-05T00:00:00Z\"},"
        " {\"id\": \"none\", \"level\": \"info\", \"body\": \"b\","
        "  \"expires\": \"2026-12-05T00:00:00Z\"}]}";
    struct alerts *a;
    char *errors = errors_of(doc, &a);
    CHECK(a != NULL, "media document refused: %s", errors ? errors : "");
    free(errors);
    if (!a)
        return;
    const struct alert_media *m = &a->alerts[0].media;
    CHECK_STR(m->id, "storm-map");
    CHECK(!m->url && !m->path && alerts_has_media(&a->alerts[0]), "an id only");
    m = &a->alerts[1].media;
    CHECK(!m->id && m->url && strcmp(m->url, "media/flood.png") == 0, "own file url");
    CHECK(m->size == 4096, "size %lld", (long long)m->size);
    CHECK_STR(m->sha256, HASH);
    CHECK(!m->path, "no path before the feed has the file");
    CHECK(alerts_has_media(&a->alerts[1]), "own media counts as media");
    CHECK(!alerts_has_media(&a->alerts[2]), "no media");
    alerts_free(a);

    /* A relative address needs a document on a web server to resolve. */
    static const char relative[] =
        "{\"alerts\": [{\"id\": \"own\", \"level\": \"warning\", \"title\": \"t\","
        " \"media\": {\"url\": \"media/flood.png\", \"size\": 1, \"sha256\": \"" HASH "\"},"
        " \"expires\": \"2026-12-05T00:00:00Z\"}]}";
    char *buf = NULL;
    size_t len = 0;
    FILE *err = open_memstream(&buf, &len);
    a = alerts_parse(relative, strlen(relative), "file:///etc/lianbo/alerts.json", err);
    fclose(err);
    CHECK(a == NULL, "a relative media address in a local document was accepted");
    CHECK(buf && strstr(buf, "alerts[0].media.url: must be an http:// or https://"),
          "relative url in a local document: %s", buf ? buf : "");
    alerts_free(a);
    free(buf);
}

static void test_times(void)
{
    static const struct {
        const char *s;
        bool ok;
        time_t t;
    } cases[] = {
        {"2026-12-04T12:00:00Z", true, NOON},
        {"2026-12-04T20:00:00+08:00", true, NOON},
        {"2026-12-04T07:00:00-05:00", true, NOON},
        {"2026-12-04t12:00:00.250z", true, NOON},
        {"2028-02-29T00:00:00Z", true, 1835395200},
        {"2026-02-29T00:00:00Z", false, 0},
        {"2026-12-04T24:00:00Z", false, 0},
        {"2026-12-04T12:00:00", false, 0},
        {"2026-12-04", false, 0},
        {"2026-12-04T12:00:00+8:00", false, 0},
        {"1969-12-31T23:59:59Z", false, 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        time_t t = 0;
        bool ok = jcheck_parse_time(cases[i].s, &t);
        CHECK(ok == cases[i].ok, "%s: ok=%d", cases[i].s, ok);
        CHECK(!ok || t == cases[i].t, "%s: %ld", cases[i].s, (long)t);
    }
}

static void test_locate(void)
{
    static const char text[] = "{\n  \"a\": [1, {\"b\": \"x\"}],\n  \"c\\\"d\": 2, \"中\": 3}";
    struct jcheck_seg path[] = {{.key = "a"}, {.index = 1}, {.key = "b"}};
    int line = 0, col = 0;
    CHECK(jcheck_locate(text, strlen(text), path, 3, &line, &col), "found a[1].b");
    CHECK(line == 2 && col == 18, "a[1].b at %d:%d", line, col);
    struct jcheck_seg quoted[] = {{.key = "c\"d"}};
    CHECK(jcheck_locate(text, strlen(text), quoted, 1, &line, &col) && line == 3 && col == 11,
          "escaped key at %d:%d", line, col);
    struct jcheck_seg wide[] = {{.key = "中"}};
    CHECK(jcheck_locate(text, strlen(text), wide, 1, &line, &col) && col == 19,
          "column counts characters: %d", col);
    struct jcheck_seg missing[] = {{.key = "a"}, {.index = 5}};
    CHECK(!jcheck_locate(text, strlen(text), missing, 2, &line, &col), "a[5] is not there");
}

int main(void)
{
    test_bad();
    test_good_and_select();
    test_media();
    test_times();
    test_locate();
    return check_finish();
}
