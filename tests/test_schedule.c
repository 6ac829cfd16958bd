/*
 * Scheduling: "when" windows in real time zones across DST nights, "where"
 * tag rules, playlist priority, placeholders, the trusted clock, and the
 * errors a manifest author sees. Times are written with their UTC offset
 * so each case states exactly which instant it means.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "player/jcheck.h"
#include "player/schedule.h"
#include "tests/check.h"

#define DAY 86400
#define HOUR 3600

static bool use_zone(const char *tz)
{
    char why[256];
    bool ok = schedule_set_timezone(tz, why, sizeof(why));
    CHECK(ok, "time zone %s: %s", tz, why);
    return ok;
}

/* The instant an RFC 3339 literal names; a broken literal fails the test. */
static time_t at(const char *text)
{
    time_t t = 0;
    CHECK(schedule_parse_timestamp(text, &t), "bad time literal in the test: %s", text);
    return t;
}

static bool parse_when(const char *text, struct schedule_when *w)
{
    json_error_t error;
    json_t *v = json_loads(text, 0, &error);
    struct schedule_parse sp = {.url = "test", .err = stderr};
    bool ok = v && schedule_when_parse(&sp, v, "when", w);
    CHECK(ok, "rule does not parse: %s", text);
    json_decref(v);
    return ok;
}

/* ---- When: single instants ---- */

struct active_case {
    const char *tz;
    const char *when;
    const char *t;
    bool want;
};

static const struct active_case active_cases[] = {
    /* A Friday-night window runs into Saturday morning, and only that one. */
    {"Asia/Shanghai", "{\"days\":[\"fri\"],\"times\":[{\"from\":\"22:00\",\"to\":\"06:00\"}]}",
     "2026-05-01T21:59:00+08:00", false},
    {"Asia/Shanghai", "{\"days\":[\"fri\"],\"times\":[{\"from\":\"22:00\",\"to\":\"06:00\"}]}",
     "2026-05-01T22:00:00+08:00", true},
    {"Asia/Shanghai", "{\"days\":[\"fri\"],\"times\":[{\"from\":\"22:00\",\"to\":\"06:00\"}]}",
     "2026-05-02T05:59:59+08:00", true},
    {"Asia/Shanghai", "{\"days\":[\"fri\"],\"times\":[{\"from\":\"22:00\",\"to\":\"06:00\"}]}",
     "2026-05-02T06:00:00+08:00", false},
    {"Asia/Shanghai", "{\"days\":[\"fri\"],\"times\":[{\"from\":\"22:00\",\"to\":\"06:00\"}]}",
     "2026-05-02T22:30:00+08:00", false},
    {"Asia/Shanghai", "{\"days\":[\"fri\"],\"times\":[{\"from\":\"22:00\",\"to\":\"06:00\"}]}",
     "2026-05-01T03:00:00+08:00", false},
    {"Asia/Shanghai", "{\"days\":[\"fri\"],\"times\":[{\"from\":\"22:00\",\"to\":\"06:00\"}]}",
     "2026-04-30T23:00:00+08:00", false},
    /* The same in UTC terms: the zone, not UTC, decides the day. */
    {"Asia/Shanghai", "{\"days\":[\"fri\"],\"times\":[{\"from\":\"22:00\",\"to\":\"06:00\"}]}",
     "2026-05-01T14:30:00Z", true},
    {"Europe/Berlin", "{\"days\":[\"fri\"],\"times\":[{\"from\":\"22:00\",\"to\":\"06:00\"}]}",
     "2026-05-01T14:30:00Z", false},
    /* Two windows; the end is exclusive, the start inclusive. */
    {"Asia/Shanghai", "{\"times\":[{\"from\":\"07:00\",\"to\":\"09:30\"},"
     "{\"from\":\"17:00\",\"to\":\"19:00\"}]}", "2026-05-03T09:29:59+08:00", true},
    {"Asia/Shanghai", "{\"times\":[{\"from\":\"07:00\",\"to\":\"09:30\"},"
     "{\"from\":\"17:00\",\"to\":\"19:00\"}]}", "2026-05-03T09:30:00+08:00", false},
    {"Asia/Shanghai", "{\"times\":[{\"from\":\"07:00\",\"to\":\"09:30\"},"
     "{\"from\":\"17:00\",\"to\":\"19:00\"}]}", "2026-05-03T17:00:00+08:00", true},
    /* from == to is the whole day; "to": "00:00" runs until midnight. */
    {"Asia/Shanghai", "{\"days\":[\"sun\"],\"times\":[{\"from\":\"08:00\",\"to\":\"08:00\"}]}",
     "2026-05-03T03:00:00+08:00", true},
    {"Asia/Shanghai", "{\"days\":[\"sun\"],\"times\":[{\"from\":\"08:00\",\"to\":\"08:00\"}]}",
     "2026-05-04T03:00:00+08:00", false},
    {"Asia/Shanghai", "{\"times\":[{\"from\":\"18:00\",\"to\":\"00:00\"}]}",
     "2026-05-03T23:59:59+08:00", true},
    {"Asia/Shanghai", "{\"times\":[{\"from\":\"18:00\",\"to\":\"00:00\"}]}",
     "2026-05-04T00:00:00+08:00", false},
    /* A night window on the last day of a range finishes in the next year. */
    {"Asia/Shanghai", "{\"dates\":{\"from\":\"2026-12-01\",\"to\":\"2026-12-31\"},"
     "\"times\":[{\"from\":\"22:00\",\"to\":\"06:00\"}]}", "2027-01-01T02:00:00+08:00", true},
    {"Asia/Shanghai", "{\"dates\":{\"from\":\"2026-12-01\",\"to\":\"2026-12-31\"},"
     "\"times\":[{\"from\":\"22:00\",\"to\":\"06:00\"}]}", "2027-01-01T22:00:00+08:00", false},
    {"Asia/Shanghai", "{\"dates\":{\"from\":\"2026-12-01\",\"to\":\"2026-12-31\"},"
     "\"times\":[{\"from\":\"22:00\",\"to\":\"06:00\"}]}", "2026-12-01T02:00:00+08:00", false},
    /* A range ending today plays until local midnight, not UTC midnight. */
    {"Asia/Shanghai", "{\"dates\":{\"to\":\"2026-05-03\"}}", "2026-05-03T23:59:59+08:00", true},
    {"Asia/Shanghai", "{\"dates\":{\"to\":\"2026-05-03\"}}", "2026-05-04T00:00:00+08:00", false},
    {"America/New_York", "{\"dates\":{\"to\":\"2026-05-03\"}}", "2026-05-04T03:00:00Z", true},
    {"America/New_York", "{\"dates\":{\"to\":\"2026-05-03\"}}", "2026-05-04T04:00:00Z", false},
    {"Asia/Shanghai", "{\"dates\":{\"from\":\"2026-05-03\"}}", "2026-05-02T23:59:59+08:00",
     false},
    {"Asia/Shanghai", "{\"dates\":{\"from\":\"2026-05-03\"}}", "2026-05-03T00:00:00+08:00",
     true},
    /* 29 February 2028, a Tuesday. */
    {"Asia/Shanghai", "{\"dates\":{\"from\":\"2028-02-29\",\"to\":\"2028-02-29\"}}",
     "2028-02-29T12:00:00+08:00", true},
    {"Asia/Shanghai", "{\"dates\":{\"from\":\"2028-02-29\",\"to\":\"2028-02-29\"}}",
     "2028-02-28T23:59:59+08:00", false},
    {"Asia/Shanghai", "{\"dates\":{\"from\":\"2028-02-29\",\"to\":\"2028-02-29\"}}",
     "2028-03-01T00:00:00+08:00", false},
    {"Asia/Shanghai", "{\"dates\":{\"from\":\"2028-02-28\",\"to\":\"2028-03-01\"}}",
     "2028-02-29T08:00:00+08:00", true},
    {"Asia/Shanghai", "{\"days\":[\"tue\"]}", "2028-02-29T08:00:00+08:00", true},
    {"Asia/Shanghai", "{\"days\":[\"mon\",\"wed\"]}", "2028-02-29T08:00:00+08:00", false},
    {"Asia/Shanghai", "{\"days\":[\"Wed\"]}", "2028-03-01T08:00:00+08:00", true},
    /* Every day, with only a window for the night of 28 February. */
    {"Asia/Shanghai", "{\"dates\":{\"from\":\"2028-02-28\",\"to\":\"2028-02-28\"},"
     "\"times\":[{\"from\":\"23:00\",\"to\":\"01:00\"}]}", "2028-02-29T00:30:00+08:00", true},
    /* DST: a window inside the skipped hour never holds; one in the
     * repeated hour holds through both of its passes. */
    {"Europe/Berlin", "{\"times\":[{\"from\":\"02:00\",\"to\":\"03:00\"}]}",
     "2026-03-29T00:59:59Z", false},
    {"Europe/Berlin", "{\"times\":[{\"from\":\"02:00\",\"to\":\"03:00\"}]}",
     "2026-03-29T01:00:00Z", false},
    {"Europe/Berlin", "{\"times\":[{\"from\":\"02:00\",\"to\":\"03:00\"}]}",
     "2026-10-25T00:30:00Z", true},
    {"Europe/Berlin", "{\"times\":[{\"from\":\"02:00\",\"to\":\"03:00\"}]}",
     "2026-10-25T01:30:00Z", true},
    {"America/New_York", "{\"times\":[{\"from\":\"01:00\",\"to\":\"02:00\"}]}",
     "2026-11-01T05:30:00Z", true},
    {"America/New_York", "{\"times\":[{\"from\":\"01:00\",\"to\":\"02:00\"}]}",
     "2026-11-01T06:30:00Z", true},
    {"America/New_York", "{\"times\":[{\"from\":\"01:00\",\"to\":\"02:00\"}]}",
     "2026-11-01T07:00:00Z", false},
    /* An empty rule always holds. */
    {"Asia/Shanghai", "{}", "2026-05-03T12:00:00+08:00", true},
    {"Asia/Shanghai", "{\"dates\":{}}", "2026-05-03T12:00:00+08:00", true},
};

static void test_active(void)
{
    for (size_t i = 0; i < sizeof(active_cases) / sizeof(active_cases[0]); i++) {
        const struct active_case *c = &active_cases[i];
        struct schedule_when w;
        if (!use_zone(c->tz) || !parse_when(c->when, &w))
            continue;
        bool got = schedule_when_active(&w, at(c->t));
        CHECK(got == c->want, "case %zu: %s %s at %s: got %d", i, c->tz, c->when, c->t, got);
    }
}

/* ---- When: how long a window lasts in real time ---- */

struct length_case {
    const char *tz;
    const char *when;
    const char *start;   /* scanned for 24 real hours from here */
    long want_seconds;
};

static const struct length_case length_cases[] = {
    /* Berlin: 02:00 CET becomes 03:00 CEST on 29 March; 03:00 CEST
     * becomes 02:00 CET on 25 October. */
    {"Europe/Berlin", "{\"times\":[{\"from\":\"02:00\",\"to\":\"03:00\"}]}",
     "2026-03-28T12:00:00Z", 0},
    {"Europe/Berlin", "{\"times\":[{\"from\":\"00:00\",\"to\":\"06:00\"}]}",
     "2026-03-28T12:00:00Z", 5 * HOUR},
    {"Europe/Berlin", "{\"times\":[{\"from\":\"02:00\",\"to\":\"03:00\"}]}",
     "2026-10-24T12:00:00Z", 2 * HOUR},
    {"Europe/Berlin", "{\"times\":[{\"from\":\"00:00\",\"to\":\"06:00\"}]}",
     "2026-10-24T12:00:00Z", 7 * HOUR},
    {"Europe/Berlin", "{\"times\":[{\"from\":\"22:00\",\"to\":\"06:00\"}]}",
     "2026-03-28T12:00:00Z", 7 * HOUR},
    /* New York: 02:00 EST becomes 03:00 EDT on 8 March; 02:00 EDT becomes
     * 01:00 EST on 1 November. */
    {"America/New_York", "{\"times\":[{\"from\":\"02:00\",\"to\":\"03:00\"}]}",
     "2026-03-07T17:00:00Z", 0},
    {"America/New_York", "{\"times\":[{\"from\":\"00:00\",\"to\":\"06:00\"}]}",
     "2026-03-07T17:00:00Z", 5 * HOUR},
    {"America/New_York", "{\"times\":[{\"from\":\"01:00\",\"to\":\"02:00\"}]}",
     "2026-10-31T17:00:00Z", 2 * HOUR},
    {"America/New_York", "{\"times\":[{\"from\":\"00:00\",\"to\":\"06:00\"}]}",
     "2026-10-31T17:00:00Z", 7 * HOUR},
    /* A day-long rule on the short and long days. */
    {"America/New_York", "{\"days\":[\"sun\"]}", "2026-03-08T00:00:00-05:00", 23 * HOUR},
    {"America/New_York", "{\"days\":[\"sun\"]}", "2026-11-01T00:00:00-04:00", 25 * HOUR},
    /* Shanghai keeps no DST: the same nights are plain six hours. */
    {"Asia/Shanghai", "{\"times\":[{\"from\":\"00:00\",\"to\":\"06:00\"}]}",
     "2026-03-28T12:00:00Z", 6 * HOUR},
    {"Asia/Shanghai", "{\"times\":[{\"from\":\"00:00\",\"to\":\"06:00\"}]}",
     "2026-10-24T12:00:00Z", 6 * HOUR},
    {"Asia/Shanghai", "{\"times\":[{\"from\":\"02:00\",\"to\":\"03:00\"}]}",
     "2026-03-08T00:00:00Z", HOUR},
};

static void test_lengths(void)
{
    for (size_t i = 0; i < sizeof(length_cases) / sizeof(length_cases[0]); i++) {
        const struct length_case *c = &length_cases[i];
        struct schedule_when w;
        if (!use_zone(c->tz) || !parse_when(c->when, &w))
            continue;
        /* Rules change at whole minutes, and so do these zones' offsets. */
        long active = 0;
        time_t start = at(c->start);
        for (time_t t = start; t < start + DAY + 2 * HOUR; t += 60)
            active += schedule_when_active(&w, t) ? 60 : 0;
        CHECK(active == c->want_seconds, "case %zu: %s %s from %s: active %ld s, want %ld",
              i, c->tz, c->when, c->start, active, c->want_seconds);
    }
}

/* ---- When: the next change ---- */

struct next_case {
    const char *tz;
    const char *when;
    const char *t;
    const char *want;
};

static const struct next_case next_cases[] = {
    {"Asia/Shanghai", "{\"days\":[\"fri\"],\"times\":[{\"from\":\"22:00\",\"to\":\"06:00\"}]}",
     "2026-05-01T21:00:00+08:00", "2026-05-01T22:00:00+08:00"},
    {"Asia/Shanghai", "{\"days\":[\"fri\"],\"times\":[{\"from\":\"22:00\",\"to\":\"06:00\"}]}",
     "2026-05-01T22:00:00+08:00", "2026-05-02T00:00:00+08:00"},
    {"Asia/Shanghai", "{\"days\":[\"fri\"],\"times\":[{\"from\":\"22:00\",\"to\":\"06:00\"}]}",
     "2026-05-02T00:00:00+08:00", "2026-05-02T06:00:00+08:00"},
    {"Asia/Shanghai", "{\"times\":[{\"from\":\"07:00\",\"to\":\"09:30\"}]}",
     "2026-05-03T09:29:59+08:00", "2026-05-03T09:30:00+08:00"},
    {"Asia/Shanghai", "{\"dates\":{\"to\":\"2026-05-03\"}}",
     "2026-05-03T20:00:00+08:00", "2026-05-04T00:00:00+08:00"},
    /* Berlin's skipped hour: at 01:00Z the wall clock jumps from 02:00 to
     * 03:00, into the middle of this window. */
    {"Europe/Berlin", "{\"times\":[{\"from\":\"02:30\",\"to\":\"04:00\"}]}",
     "2026-03-29T00:10:00Z", "2026-03-29T01:00:00Z"},
    {"Europe/Berlin", "{\"times\":[{\"from\":\"02:30\",\"to\":\"04:00\"}]}",
     "2026-03-29T01:00:00Z", "2026-03-29T04:00:00+02:00"},
    /* New York's repeated hour: at 06:00Z the clock goes back from 02:00
     * to 01:00, and the window is on again until 02:00 EST. */
    {"America/New_York", "{\"times\":[{\"from\":\"01:30\",\"to\":\"02:00\"}]}",
     "2026-11-01T05:45:00Z", "2026-11-01T06:00:00Z"},
    {"America/New_York", "{\"times\":[{\"from\":\"01:30\",\"to\":\"02:00\"}]}",
     "2026-11-01T06:00:00Z", "2026-11-01T01:30:00-05:00"},
    {"America/New_York", "{\"times\":[{\"from\":\"01:30\",\"to\":\"02:00\"}]}",
     "2026-11-01T01:30:00-05:00", "2026-11-01T02:00:00-05:00"},
};

/* Whether W stays as it is at T at every minute before NEXT. */
static bool constant_until(const struct schedule_when *w, time_t t, time_t next)
{
    bool state = schedule_when_active(w, t);
    for (time_t s = (t / 60 + 1) * 60; s < next; s += 60) {
        if (schedule_when_active(w, s) != state)
            return false;
    }
    return true;
}

static void test_next_change(void)
{
    for (size_t i = 0; i < sizeof(next_cases) / sizeof(next_cases[0]); i++) {
        const struct next_case *c = &next_cases[i];
        struct schedule_when w;
        if (!use_zone(c->tz) || !parse_when(c->when, &w))
            continue;
        time_t got = schedule_when_next_change(&w, at(c->t));
        CHECK(got == at(c->want), "case %zu: %s %s after %s: %+ld s from the want %s", i,
              c->tz, c->when, c->t, (long)(got - at(c->want)), c->want);
    }

    /* Sleeping until the next change never sleeps through one: scanned
     * over each DST weekend, from instants at odd seconds. */
    static const char *const zones[] = {"Europe/Berlin", "America/New_York", "Asia/Shanghai"};
    static const char *const starts[] = {"2026-03-07T00:00:00Z", "2026-03-28T00:00:00Z",
                                         "2026-10-24T00:00:00Z", "2026-10-31T00:00:00Z"};
    static const char *const rules[] = {
        "{\"times\":[{\"from\":\"02:30\",\"to\":\"03:15\"},"
        "{\"from\":\"23:00\",\"to\":\"01:30\"}]}",
        "{\"days\":[\"sun\"],\"times\":[{\"from\":\"01:00\",\"to\":\"02:00\"}]}",
        "{\"dates\":{\"from\":\"2026-03-08\",\"to\":\"2026-10-25\"}}",
    };
    int failures = 0;
    for (size_t z = 0; z < 3; z++) {
        for (size_t r = 0; r < 3; r++) {
            struct schedule_when w;
            if (!use_zone(zones[z]) || !parse_when(rules[r], &w))
                continue;
            for (size_t s = 0; s < 4; s++) {
                time_t start = at(starts[s]);
                for (time_t t = start; t < start + 3 * DAY && failures < 5; t += 1999) {
                    time_t next = schedule_when_next_change(&w, t);
                    bool ok = next > t && next - t <= DAY && constant_until(&w, t, next);
                    failures += !ok;
                    CHECK(ok, "%s %s at %ld: next change %ld is wrong", zones[z], rules[r],
                          (long)t, (long)next);
                }
            }
        }
    }
}

/* ---- Where ---- */

static struct config_tag device_tags[] = {
    {"community", "qingyuan"},
    {"building", "3"},
    {"unit", "3-101"},
};

static const struct config device = {
    .device_id = "lb-0301",
    .tags = device_tags,
    .n_tags = 3,
};

static const struct config bare_device = {.device_id = "lb-0999"};

struct where_case {
    const char *where;
    bool want;          /* for DEVICE */
    bool want_bare;     /* for BARE_DEVICE, which has no tags */
};

static const struct where_case where_cases[] = {
    {"{}", true, true},
    {"{\"include\":{}}", true, true},
    {"{\"include\":{\"building\":[\"3\",\"5\"]}}", true, false},
    {"{\"include\":{\"building\":[\"5\"]}}", false, false},
    {"{\"include\":{\"floor\":[\"1\"]}}", false, false},
    {"{\"include\":{\"building\":[\"3\"],\"community\":[\"qingyuan\"]}}", true, false},
    {"{\"include\":{\"building\":[\"3\"],\"community\":[\"hexie\"]}}", false, false},
    {"{\"include\":{\"building\":[]}}", false, false},
    {"{\"exclude\":{\"unit\":[\"3-101\"]}}", false, true},
    {"{\"exclude\":{\"unit\":[\"3-102\"]}}", true, true},
    {"{\"exclude\":{\"floor\":[\"1\"]}}", true, true},
    {"{\"exclude\":{\"unit\":[]}}", true, true},
    {"{\"exclude\":{\"unit\":[\"9-9\"],\"building\":[\"3\"]}}", false, true},
    {"{\"include\":{\"community\":[\"qingyuan\"]},\"exclude\":{\"unit\":[\"3-101\"]}}",
     false, false},
    {"{\"include\":{\"device\":[\"lb-0301\",\"lb-0302\"]}}", true, false},
    {"{\"include\":{\"device\":[\"lb-0999\"]}}", false, true},
    {"{\"exclude\":{\"device\":[\"lb-0301\"]}}", false, true},
    /* Values compare exactly. */
    {"{\"include\":{\"community\":[\"Qingyuan\"]}}", false, false},
    {"{\"include\":{\"building\":[\"03\"]}}", false, false},
    /* A key this player does not know: the rule never holds. */
    {"{\"incldue\":{\"building\":[\"3\"]}}", false, false},
};

static void test_where(void)
{
    for (size_t i = 0; i < sizeof(where_cases) / sizeof(where_cases[0]); i++) {
        const struct where_case *c = &where_cases[i];
        json_t *v = json_loads(c->where, 0, NULL);
        struct schedule_parse sp = {.url = "test", .err = stderr};
        struct schedule_where w, copy;
        bool ok = v && schedule_where_parse(&sp, v, "where", &w);
        json_decref(v);
        CHECK(ok, "case %zu: does not parse: %s", i, c->where);
        if (!ok)
            continue;
        CHECK(schedule_where_matches(&w, &device) == c->want, "case %zu: %s for the device",
              i, c->where);
        CHECK(schedule_where_matches(&w, &bare_device) == c->want_bare,
              "case %zu: %s for the device without tags", i, c->where);
        CHECK(schedule_where_copy(&copy, &w), "case %zu: copy", i);
        schedule_where_finish(&w);
        CHECK(schedule_where_matches(&copy, &device) == c->want, "case %zu: the copy", i);
        schedule_where_finish(&copy);
    }
}

/* ---- Picking a zone's playlist ---- */

struct test_item {
    const char *name;
    bool ready;
    struct schedule_rules rules;
};

static bool item_ready(const void *item, void *ctx)
{
    (*(int *)ctx)++;
    return ((const struct test_item *)item)->ready;
}

static bool rules_from(const char *text, struct schedule_rules *out)
{
    json_t *v = json_loads(text, 0, NULL);
    struct schedule_parse sp = {.url = "test", .err = stderr};
    bool ok = v && schedule_rules_parse(&sp, v, "x", out);
    CHECK(ok, "rules do not parse: %s", text);
    json_decref(v);
    return ok;
}

static struct schedule_list list_of(int priority, const struct schedule_rules *rules,
                                    struct test_item *items, size_t n)
{
    return (struct schedule_list){
        .priority = priority,
        .rules = rules,
        .items = items,
        .n_items = n,
        .item_size = sizeof(items[0]),
        .rules_offset = offsetof(struct test_item, rules),
    };
}

static void test_pick(void)
{
    use_zone("Asia/Shanghai");
    struct schedule_rules december, evenings, not_building_3, weekend;
    rules_from("{\"when\":{\"dates\":{\"from\":\"2026-12-01\",\"to\":\"2026-12-31\"}}}",
               &december);
    rules_from("{\"when\":{\"times\":[{\"from\":\"18:00\",\"to\":\"20:00\"}]}}", &evenings);
    rules_from("{\"where\":{\"exclude\":{\"building\":[\"3\"]}}}", &not_building_3);
    rules_from("{\"when\":{\"days\":[\"sat\",\"sun\"]}}", &weekend);

    struct test_item campaign[] = {{.name = "c1", .ready = true}, {.name = "c2", .ready = true}};
    struct test_item normal[] = {{.name = "n1", .ready = true}, {.name = "n2", .ready = true}};
    normal[0].rules = weekend;
    struct schedule_list lists[] = {
        list_of(10, &december, campaign, 2),
        list_of(0, NULL, normal, 2),
    };
    int asked = 0;

    time_t nov30 = at("2026-11-30T23:59:59+08:00");
    time_t dec04 = at("2026-12-04T12:00:00+08:00");
    time_t jan01 = at("2027-01-01T00:00:00+08:00");
    CHECK(schedule_pick(lists, 2, &device, nov30, NULL, NULL) == 1, "before the campaign");
    CHECK(schedule_pick(lists, 2, &device, dec04, NULL, NULL) == 0, "during the campaign");
    CHECK(schedule_pick(lists, 2, &device, jan01, NULL, NULL) == 1, "the normal one returns");

    /* Items inside a list: n1 only at weekends (4 December is a Friday). */
    CHECK(!schedule_list_item_valid(&lists[1], 0, &device, dec04), "n1 on a Friday");
    CHECK(schedule_list_item_valid(&lists[1], 1, &device, dec04), "n2 on a Friday");
    CHECK(!schedule_list_item_valid(&lists[0], 0, &device, jan01), "c1 after the campaign");

    /* A campaign whose media is not ready yet does not blank the zone. */
    campaign[0].ready = campaign[1].ready = false;
    CHECK(schedule_pick(lists, 2, &device, dec04, item_ready, &asked) == 1,
          "campaign not ready: normal");
    CHECK(asked >= 2, "the callback was asked about the campaign's items");
    campaign[1].ready = true;
    CHECK(schedule_pick(lists, 2, &device, dec04, item_ready, &asked) == 0,
          "one campaign item ready");

    /* A campaign with no valid item leaves the normal one playing. */
    campaign[0].rules = evenings;
    campaign[1].rules = evenings;
    CHECK(schedule_pick(lists, 2, &device, dec04, NULL, NULL) == 1, "campaign items at noon");
    CHECK(schedule_pick(lists, 2, &device, at("2026-12-04T18:30:00+08:00"), NULL, NULL) == 0,
          "campaign items in the evening");
    CHECK(schedule_lists_next_change(lists, 2, dec04) == at("2026-12-04T18:00:00+08:00"),
          "wake when the campaign items start");

    /* A campaign not meant for this building. */
    lists[0].rules = &not_building_3;
    campaign[0].rules = campaign[1].rules = (struct schedule_rules){0};
    CHECK(schedule_pick(lists, 2, &device, dec04, NULL, NULL) == 1, "other buildings only");
    CHECK(schedule_pick(lists, 2, &bare_device, dec04, NULL, NULL) == 0,
          "a device without a building tag is not excluded");

    /* Nothing valid: the fallback. */
    struct test_item weekend_only[] = {{.name = "w", .ready = true}};
    weekend_only[0].rules = weekend;
    struct schedule_list alone = list_of(0, NULL, weekend_only, 1);
    CHECK(schedule_pick(&alone, 1, &device, dec04, NULL, NULL) == -1, "fallback");
    CHECK(schedule_pick(lists, 0, &device, dec04, NULL, NULL) == -1, "no playlists");
    struct schedule_list empty = list_of(0, NULL, NULL, 0);
    CHECK(schedule_pick(&empty, 1, &device, dec04, NULL, NULL) == -1, "no items");

    /* Equal priorities: the first listed wins; a higher one later wins. */
    struct schedule_list ties[] = {
        list_of(5, NULL, normal, 2),
        list_of(5, NULL, campaign, 2),
        list_of(7, &weekend, campaign, 2),
    };
    CHECK(schedule_pick(ties, 3, &device, dec04, NULL, NULL) == 0, "tie: first listed");
    CHECK(schedule_pick(ties, 3, &device, at("2026-12-05T12:00:00+08:00"), NULL, NULL) == 2,
          "higher priority listed last");

    schedule_rules_finish(&december);
    schedule_rules_finish(&evenings);
    schedule_rules_finish(&not_building_3);
    schedule_rules_finish(&weekend);
}

/* ---- Placeholders ---- */

static struct config_tag chinese_tags[] = {
    {"community", "清源 小区"},
    {"building", "3"},
    {"empty", ""},
};

static const struct config chinese_device = {
    .device_id = "lb 0301",
    .tags = chinese_tags,
    .n_tags = 3,
};

struct expand_case {
    const char *in;
    bool url_encode;
    const char *want;
    unsigned missing, unknown;
    const char *first_missing, *first_unknown;
};

static const struct expand_case expand_cases[] = {
    {"https://desk.example/r?b={tag.building}&d={device.id}", false,
     "https://desk.example/r?b=3&d=lb 0301", 0, 0, "", ""},
    {"https://desk.example/r?c={tag.community}&d={device.id}", true,
     "https://desk.example/r?c=%E6%B8%85%E6%BA%90%20%E5%B0%8F%E5%8C%BA&d=lb%200301",
     0, 0, "", ""},
    {"小区: {tag.community}", false, "小区: 清源 小区", 0, 0, "", ""},
    {"a b?x={tag.building}", true, "a b?x=3", 0, 0, "", ""},
    {"floor {tag.floor}, room {tag.room}.", false, "floor , room .", 2, 0, "floor", ""},
    {"{tag.empty}|", false, "|", 0, 0, "", ""},
    {"{{device.id}} }} {{", false, "{device.id} } {", 0, 0, "", ""},
    {"{{{device.id}}}", false, "{lb 0301}", 0, 0, "", ""},
    {"{devise.id} and {tag}", false, "{devise.id} and {tag}", 0, 2, "", "{devise.id}"},
    {"{tag.}", false, "{tag.}", 0, 1, "", "{tag.}"},
    {"{tag.device}", false, "", 1, 0, "device", ""},
    {"{\"a\": 1} {} { } {tag.building", false, "{\"a\": 1} {} { } {tag.building", 0, 0, "",
     ""},
    {"}{", false, "}{", 0, 0, "", ""},
    {"", true, "", 0, 0, "", ""},
    {"100%", true, "100%", 0, 0, "", ""},
};

static void test_expand(void)
{
    for (size_t i = 0; i < sizeof(expand_cases) / sizeof(expand_cases[0]); i++) {
        const struct expand_case *c = &expand_cases[i];
        struct schedule_expand_notes notes;
        char *out = NULL;
        CHECK(schedule_expand(c->in, &chinese_device, c->url_encode, &out, &notes),
              "case %zu", i);
        CHECK_STR(out, c->want);
        CHECK(notes.missing == c->missing && notes.unknown == c->unknown,
              "case %zu: %u missing, %u unknown", i, notes.missing, notes.unknown);
        CHECK_STR(notes.first_missing, c->first_missing);
        CHECK_STR(notes.first_unknown, c->first_unknown);
        free(out);
    }
    char *out = NULL;
    CHECK(schedule_expand("{tag.building}/{device.id}", NULL, false, &out, NULL), "no config");
    CHECK_STR(out, "/");
    free(out);
}

/* ---- The clock ---- */

static void test_clock(void)
{
    use_zone("Asia/Shanghai");
    time_t published = at("2026-05-01T09:00:00+08:00");
    time_t right = at("2026-05-03T10:00:00+08:00");
    struct schedule_clock c;
    schedule_clock_init(&c);

    CHECK(schedule_clock_check(&c, right, published, 0) == SCHEDULE_TRUSTED, "right clock");
    CHECK(c.last_trusted == right, "remembered");
    CHECK(schedule_clock_effective(&c, right + 5) == right + 5, "trusted: now");

    /* A board that booted in 1970. */
    CHECK(schedule_clock_check(&c, 12, published, 0) == SCHEDULE_UNTRUSTED, "1970");
    CHECK(schedule_clock_effective(&c, 12) == right, "1970: plays as at the last trusted");
    CHECK(c.last_trusted == right, "1970 is not remembered");

    /* A month behind: still untrusted, the time does not move. */
    time_t month_behind = right - 30 * DAY;
    CHECK(schedule_clock_check(&c, month_behind, published, 0) == SCHEDULE_UNTRUSTED,
          "a month behind");
    CHECK(schedule_clock_effective(&c, month_behind + 60) == right, "frozen");

    /* The clock is set: back to real time at once. */
    CHECK(schedule_clock_check(&c, right + HOUR, published, 0) == SCHEDULE_TRUSTED,
          "recovered");
    CHECK(schedule_clock_effective(&c, right + HOUR) == right + HOUR, "follows the clock");
    CHECK(c.last_trusted == right + HOUR, "recovery is remembered");

    /* NTP stepping back a little is no reason for alarm. */
    CHECK(schedule_clock_check(&c, right + HOUR - 120, published, 0) == SCHEDULE_TRUSTED,
          "within the slack");
    CHECK(c.last_trusted == right + HOUR, "the later time is kept");

    /* Nothing saved yet, but the manifest was published after the clock. */
    schedule_clock_init(&c);
    CHECK(schedule_clock_check(&c, published - DAY, published, 0) == SCHEDULE_UNTRUSTED,
          "behind the publication time");
    CHECK(schedule_clock_effective(&c, published - DAY) == published, "plays as published");
    CHECK(c.last_trusted == 0, "a publication time is no reading of the clock");

    /* A server's Date is a reading of real time: it moves the effective
     * time on even while the clock is wrong, and is remembered. */
    schedule_clock_init(&c);
    CHECK(schedule_clock_check(&c, 40, 0, right) == SCHEDULE_UNTRUSTED, "server says 2026");
    CHECK(schedule_clock_effective(&c, 40) == right, "plays as at the server's time");
    CHECK(schedule_clock_check(&c, 100, 0, right + 600) == SCHEDULE_UNTRUSTED, "next poll");
    CHECK(schedule_clock_effective(&c, 100) == right + 600, "moves with the server");
    CHECK(c.last_trusted == right + 600, "the server's time is remembered");

    /* A clock once set in the future poisoned the saved time; the server
     * confirms the real one and repairs it. A reply served from a cache
     * may carry an older Date. */
    schedule_clock_init(&c);
    c.last_trusted = c.known = right + 365 * DAY;
    CHECK(schedule_clock_check(&c, right, 0, 0) == SCHEDULE_UNTRUSTED, "behind the poison");
    CHECK(schedule_clock_check(&c, right, 0, right - 2 * HOUR) == SCHEDULE_TRUSTED,
          "confirmed by the server");
    CHECK(c.last_trusted == right, "repaired");
    CHECK(schedule_clock_check(&c, right + 60, 0, 0) == SCHEDULE_TRUSTED, "stays repaired");

    /* A clock far ahead of a server is not confirmed, but not refuted. */
    schedule_clock_init(&c);
    CHECK(schedule_clock_check(&c, right + 3 * DAY, 0, right) == SCHEDULE_TRUSTED,
          "ahead of an old reply");
}

static void test_clock_file(void)
{
    char dir[64];
    snprintf(dir, sizeof(dir), "/tmp/lianbo-schedule-%ld", (long)getpid());
    CHECK(mkdir(dir, 0700) == 0, "mkdir %s", dir);
    char path[256], tmp[300];
    snprintf(path, sizeof(path), "%s/clock", dir);
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);

    struct schedule_clock c;
    schedule_clock_init(&c);
    c.last_trusted = 1777777777;
    CHECK(schedule_clock_load(&c, path), "a missing file is no error");
    CHECK(c.last_trusted == 1777777777, "and changes nothing");

    CHECK(schedule_clock_save(&c, path), "save");
    CHECK(access(tmp, F_OK) != 0, "no temporary file left");
    FILE *f = fopen(path, "r");
    char text[64] = "";
    if (f) {
        CHECK(fgets(text, sizeof(text), f) != NULL, "read back");
        fclose(f);
    }
    CHECK_STR(text, "1777777777\n");

    struct schedule_clock loaded;
    schedule_clock_init(&loaded);
    CHECK(schedule_clock_load(&loaded, path), "load");
    CHECK(loaded.last_trusted == 1777777777, "loaded %lld", (long long)loaded.last_trusted);
    CHECK(loaded.known == 1777777777, "known too");

    static const char *const damaged[] = {"", "garbage\n", "-5\n", "17777x\n",
                                          "99999999999999999999\n", "1777777777\n\n"};
    for (size_t i = 0; i < sizeof(damaged) / sizeof(damaged[0]); i++) {
        f = fopen(path, "w");
        if (f) {
            fputs(damaged[i], f);
            fclose(f);
        }
        schedule_clock_init(&loaded);
        CHECK(!schedule_clock_load(&loaded, path), "damaged file %zu refused", i);
        CHECK(loaded.last_trusted == 0, "damaged file %zu changes nothing", i);
    }

    char missing_dir[300];
    snprintf(missing_dir, sizeof(missing_dir), "%s/no/such/dir/clock", dir);
    CHECK(!schedule_clock_save(&c, missing_dir), "save into a missing directory fails");
    unlink(path);
    rmdir(dir);
}

/* ---- Timestamps and time zones ---- */

struct stamp_case {
    const char *text;
    bool ok;
    long long want;
};

static const struct stamp_case stamp_cases[] = {
    {"1970-01-01T00:00:00Z", true, 0},
    {"2026-05-03T02:00:00Z", true, 1777773600},
    {"2026-05-03T10:00:00+08:00", true, 1777773600},
    {"2026-05-02T21:00:00-05:00", true, 1777773600},
    {"2026-05-03t02:00:00.123456z", true, 1777773600},
    {"2026-05-03 02:00Z", true, 1777773600},
    {"2028-02-29T00:00:00Z", true, 1835395200},
    {"2026-12-31T23:59:60Z", true, 1798761599},
    {"2026-05-03", false, 0},
    {"2026-05-03T02:00:00", false, 0},
    {"2026-02-30T00:00:00Z", false, 0},
    {"2026-05-03T24:00:00Z", false, 0},
    {"2026-05-03T10:00:00+8", false, 0},
    {"2026-05-03T10:00:00+08:00x", false, 0},
    {"2026-05-03T10:00:00.Z", false, 0},
    {"", false, 0},
};

static void test_timestamps(void)
{
    for (size_t i = 0; i < sizeof(stamp_cases) / sizeof(stamp_cases[0]); i++) {
        const struct stamp_case *c = &stamp_cases[i];
        time_t t = -1;
        bool ok = schedule_parse_timestamp(c->text, &t);
        CHECK(ok == c->ok, "case %zu: %s", i, c->text);
        CHECK(!ok || t == c->want, "case %zu: %s: got %lld want %lld", i, c->text,
              (long long)t, c->want);
    }
    /* The calendar arithmetic agrees with the C library's on every day
     * from 1970 to past 2100 (not a leap year). */
    int wrong = 0;
    for (time_t t = 0; t < 4200000000 && wrong < 3; t += DAY + 3607) {
        struct tm tm;
        char text[32];
        gmtime_r(&t, &tm);
        strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%SZ", &tm);
        time_t back = -1;
        bool ok = schedule_parse_timestamp(text, &back) && back == t;
        wrong += !ok;
        CHECK(ok, "%s read back as %lld, want %lld", text, (long long)back, (long long)t);
    }
}

static void test_timezone(void)
{
    char why[256] = "";
    CHECK(schedule_set_timezone("America/New_York", why, sizeof(why)), "%s", why);
    CHECK_STR(getenv("TZ"), "America/New_York");
    struct tm tm;
    time_t t = at("2026-07-01T12:00:00Z");
    localtime_r(&t, &tm);
    CHECK(tm.tm_hour == 8, "New York in July is UTC-4, got hour %d", tm.tm_hour);

    static const char *const bad[] = {"Mars/Olympus_Mons", "../../etc/passwd", "/etc/localtime",
                                      "Asia", "Asia/Shang hai", "Asia/../Asia/Shanghai"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        why[0] = '\0';
        CHECK(!schedule_set_timezone(bad[i], why, sizeof(why)), "%s refused", bad[i]);
        CHECK(why[0] != '\0', "%s: a reason is given", bad[i]);
        CHECK_STR(getenv("TZ"), "America/New_York");
    }
    CHECK(schedule_set_timezone("", why, sizeof(why)), "\"\" keeps the system's");
    CHECK_STR(getenv("TZ"), "America/New_York");
}

/* ---- Errors a manifest author sees ---- */

struct error_case {
    const char *json;     /* an item object */
    const char *want;     /* every line written, exactly */
};

#define ITEM "m.json: zones.upper.items[2]"

static const struct error_case error_cases[] = {
    {"{\"when\":{\"times\":[{\"from\":\"24:30\",\"to\":\"09:00\"}]}}",
     ITEM ".when.times[0].from: must be a time written HH:MM, 00:00 to 23:59, got \"24:30\"\n"},
    {"{\"when\":{\"times\":[{\"from\":\"07:00\",\"to\":\"09:00\"},{\"from\":\"7:5\","
     "\"to\":\"08:60\"}]}}",
     ITEM ".when.times[1].from: must be a time written HH:MM, 00:00 to 23:59, got \"7:5\"\n"
     ITEM ".when.times[1].to: must be a time written HH:MM, 00:00 to 23:59, got \"08:60\"\n"},
    {"{\"when\":{\"times\":[{\"from\":\"07:00\"}]}}",
     ITEM ".when.times[0].to: required: a time written HH:MM\n"},
    {"{\"when\":{\"times\":[{\"from\":700,\"to\":\"09:00\"}]}}",
     ITEM ".when.times[0].from: must be a time written HH:MM, 00:00 to 23:59, got 700\n"},
    {"{\"when\":{\"times\":[]}}",
     ITEM ".when.times: must list at least one window (leave \"times\" out for all day)\n"},
    {"{\"when\":{\"times\":{\"from\":\"07:00\",\"to\":\"09:00\"}}}",
     ITEM ".when.times: must be an array of windows such as [{\"from\": \"07:00\", "
     "\"to\": \"09:30\"}], got an object\n"},
    {"{\"when\":{\"times\":[\"07:00-09:00\"]}}",
     ITEM ".when.times[0]: must be an object such as {\"from\": \"07:00\", \"to\": "
     "\"09:30\"}, got \"07:00-09:00\"\n"},
    {"{\"when\":{\"dates\":{\"from\":\"2026-02-30\"}}}",
     ITEM ".when.dates.from: has no such day in that month, got \"2026-02-30\"\n"},
    {"{\"when\":{\"dates\":{\"to\":\"2027-02-29\"}}}",
     ITEM ".when.dates.to: has no such day in that month, got \"2027-02-29\"\n"},
    {"{\"when\":{\"dates\":{\"from\":\"2026-13-01\",\"to\":\"1 May\"}}}",
     ITEM ".when.dates.from: has no such month (01 to 12), got \"2026-13-01\"\n"
     ITEM ".when.dates.to: must be a date written YYYY-MM-DD, got \"1 May\"\n"},
    {"{\"when\":{\"dates\":{\"from\":\"1969-12-31\"}}}",
     ITEM ".when.dates.from: must be a date from 1970 to 9999, got \"1969-12-31\"\n"},
    {"{\"when\":{\"dates\":{\"from\":\"2026-12-31\",\"to\":\"2026-12-01\"}}}",
     ITEM ".when.dates: \"from\" (2026-12-31) is after \"to\" (2026-12-01)\n"},
    {"{\"when\":{\"dates\":[\"2026-12-01\"]}}",
     ITEM ".when.dates: must be an object such as {\"from\": \"2026-12-01\", \"to\": "
     "\"2026-12-31\"}, got an array\n"},
    {"{\"when\":{\"days\":[\"mon\",\"funday\",3]}}",
     ITEM ".when.days[1]: must be one of mon, tue, wed, thu, fri, sat, sun, got \"funday\"\n"
     ITEM ".when.days[2]: must be one of mon, tue, wed, thu, fri, sat, sun, got 3\n"},
    {"{\"when\":{\"days\":\"mon\"}}",
     ITEM ".when.days: must be an array of days such as [\"sat\", \"sun\"], got \"mon\"\n"},
    {"{\"when\":{\"days\":[]}}",
     ITEM ".when.days: must list at least one day (leave \"days\" out for every day)\n"},
    {"{\"when\":\"weekends\"}",
     ITEM ".when: must be an object such as {\"days\": [\"sat\", \"sun\"]}, got \"weekends\"\n"},
    {"{\"where\":{\"include\":{\"building\":[3]}}}",
     ITEM ".where.include.building[0]: must be a string (write \"3\", not 3), got 3\n"},
    {"{\"where\":{\"include\":{\"building\":\"3\"}}}",
     ITEM ".where.include.building: must be an array of strings such as [\"3\", \"5\"], "
     "got \"3\"\n"},
    {"{\"where\":{\"exclude\":[\"unit\"]}}",
     ITEM ".where.exclude: must be an object such as {\"building\": [\"3\", \"5\"]}, "
     "got an array\n"},
    {"{\"where\":{\"include\":{\"\":[\"x\"],\"my tag\":[null]}}}",
     ITEM ".where.include[\"\"]: a tag name must not be empty\n"
     ITEM ".where.include[\"my tag\"][0]: must be a string, got null\n"},
    {"{\"where\":true}",
     ITEM ".where: must be an object such as {\"include\": {\"building\": [\"3\"]}}, "
     "got true\n"},
    /* Problems in both parts are all listed. */
    {"{\"when\":{\"days\":[\"x\"]},\"where\":{\"include\":{\"unit\":[1.5]}}}",
     ITEM ".when.days[0]: must be one of mon, tue, wed, thu, fri, sat, sun, got \"x\"\n"
     ITEM ".where.include.unit[0]: must be a string (write \"3\", not 3), got 1.5\n"},
};

static void test_errors(void)
{
    for (size_t i = 0; i < sizeof(error_cases) / sizeof(error_cases[0]); i++) {
        const struct error_case *c = &error_cases[i];
        char *text = NULL;
        size_t len = 0;
        FILE *err = open_memstream(&text, &len);
        struct schedule_parse sp = {.url = "m.json", .err = err};
        struct schedule_rules r;
        json_t *v = json_loads(c->json, 0, NULL);
        CHECK(v != NULL, "case %zu: the test's JSON", i);
        bool ok = schedule_rules_parse(&sp, v, "zones.upper.items[2]", &r);
        fclose(err);
        CHECK(!ok, "case %zu: %s accepted", i, c->json);
        CHECK(sp.n_errors > 0, "case %zu: counted", i);
        CHECK(r.where.n_include == 0 && r.when.n_windows == 0 && !r.when.days,
              "case %zu: nothing kept on failure", i);
        CHECK_STR(text, c->want);
        json_decref(v);
        free(text);
    }

    /* A cap on the lines written, but every problem counted. */
    char *text = NULL;
    size_t len = 0;
    FILE *err = open_memstream(&text, &len);
    struct schedule_parse sp = {.url = "m.json", .err = err, .n_errors = 9, .max_reported = 10};
    struct schedule_when w;
    json_t *v = json_loads("{\"days\":[\"a\",\"b\",\"c\"]}", 0, NULL);
    CHECK(!schedule_when_parse(&sp, v, "when", &w), "bad days");
    fclose(err);
    CHECK(sp.n_errors == 12, "all counted: %d", sp.n_errors);
    CHECK_STR(text, "m.json: when.days[0]: must be one of mon, tue, wed, thu, fri, sat, sun, "
              "got \"a\"\n");
    json_decref(v);
    free(text);

    /* Too many windows. */
    json_t *many = json_pack("{s:[]}", "times");
    for (int i = 0; i <= SCHEDULE_MAX_WINDOWS; i++) {
        json_array_append_new(json_object_get(many, "times"),
                              json_pack("{s:s,s:s}", "from", "07:00", "to", "08:00"));
    }
    sp = (struct schedule_parse){.url = "m.json"};
    CHECK(!schedule_when_parse(&sp, many, "when", &w), "25 windows refused");
    json_array_remove(json_object_get(many, "times"), 0);
    CHECK(schedule_when_parse(&sp, many, "when", &w), "24 windows accepted");
    CHECK(w.n_windows == SCHEDULE_MAX_WINDOWS, "24 kept");
    json_decref(many);

    /* Unknown keys are no errors, but the rule then never holds. */
    static const char *const unknown[] = {
        "{\"when\":{\"day\":[\"sat\"]}}",
        "{\"when\":{\"dates\":{\"from\":\"2026-01-01\",\"until\":\"2026-02-01\"}}}",
        "{\"when\":{\"times\":[{\"from\":\"07:00\",\"to\":\"09:00\",\"tz\":\"UTC\"}]}}",
        "{\"where\":{\"include\":{\"building\":[\"3\"]},\"only\":{}}}",
    };
    use_zone("Asia/Shanghai");
    for (size_t i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++) {
        struct schedule_rules r;
        v = json_loads(unknown[i], 0, NULL);
        sp = (struct schedule_parse){.url = "m.json", .err = stderr};
        CHECK(schedule_rules_parse(&sp, v, "zones.upper.items[2]", &r), "%s", unknown[i]);
        CHECK(sp.n_errors == 0 && sp.n_warned == 1, "%s: a warning", unknown[i]);
        CHECK(!schedule_rules_hold(&r, &device, at("2026-01-03T08:00:00+08:00")),
              "%s never holds", unknown[i]);
        schedule_rules_finish(&r);
        json_decref(v);
    }

    /* Rules copy deeply and survive the original. */
    struct schedule_rules r, copy;
    v = json_loads("{\"when\":{\"days\":[\"sat\"]},\"where\":{\"include\":"
                   "{\"building\":[\"3\"]}}}", 0, NULL);
    sp = (struct schedule_parse){.url = "m.json", .err = stderr};
    CHECK(schedule_rules_parse(&sp, v, "x", &r), "parse for copy");
    json_decref(v);
    CHECK(schedule_rules_copy(&copy, &r), "copy");
    schedule_rules_finish(&r);
    CHECK(schedule_rules_hold(&copy, &device, at("2026-05-02T08:00:00+08:00")), "copy: sat");
    CHECK(!schedule_rules_hold(&copy, &device, at("2026-05-03T08:00:00+08:00")), "copy: sun");
    CHECK(!schedule_rules_hold(&copy, &bare_device, at("2026-05-02T08:00:00+08:00")),
          "copy: where");
    schedule_rules_finish(&copy);
}

/* Read from a whole document, problems in rules say line and column: the
 * bad value's, or the object's when a required member is missing. */
static void test_error_positions(void)
{
    static const char text[] =
        "{\"zones\": {\"upper\": {\"items\": [\n"
        "  {}, {}, {\"when\": {\"days\": [\"sun\"]}},\n"
        "  {\"when\": {\"days\": [\"sat\", 7],\n"
        "            \"dates\": {\"from\": \"2026-13-01\"},\n"
        "            \"times\": [{\"from\": \"07:00\"}], \"tims\": []},\n"
        "   \"where\": {\"include\": {\"\xe6\xa5\xbc\": [3], \"\": [\"x\"]},\n"
        "             \"exclude\": \"unit\"}}\n"
        "]}}}\n";
    static const struct {
        const char *needle; /* where the problem is: its first occurrence */
        const char *what;
    } cases[] = {
        {"7]", "zones.upper.items[3].when.days[1]: must be one of mon, tue, wed, thu, fri,"
               " sat, sun, got 7"},
        {"\"2026-13-01\"", "zones.upper.items[3].when.dates.from: has no such month"},
        {"{\"from\": \"07:00\"}", "zones.upper.items[3].when.times[0].to: required"},
        {"3]", "zones.upper.items[3].where.include.\xe6\xa5\xbc[0]: must be a string"
               " (write \"3\", not 3), got 3"},
        {"[\"x\"]", "zones.upper.items[3].where.include[\"\"]: a tag name must not be empty"},
        {"\"unit\"", "zones.upper.items[3].where.exclude: must be an object such as"},
    };
    char *out = NULL;
    size_t len = 0;
    FILE *err = open_memstream(&out, &len);
    json_t *root = json_loads(text, 0, NULL);
    CHECK(err && root, "the test's document");
    if (!err || !root)
        return;
    struct jcheck c;
    jcheck_init(&c, "m.json", text, strlen(text), err);
    jcheck_enter_key(&c, "zones");
    jcheck_enter_key(&c, "upper");
    jcheck_enter_key(&c, "items");
    jcheck_enter_index(&c, 3);
    json_t *item = json_array_get(json_object_get(json_object_get(
        json_object_get(root, "zones"), "upper"), "items"), 3);
    struct schedule_rules r;
    CHECK(!schedule_rules_check(&c, item, &r), "bad rules accepted");
    fclose(err);
    CHECK(c.n_errors == (int)(sizeof(cases) / sizeof(cases[0])), "%d errors:\n%s",
          c.n_errors, out);
    CHECK(c.n_warned == 1, "\"tims\": %d warnings", c.n_warned);
    CHECK(c.depth == 4, "the checker is back at items[3]: depth %d", c.depth);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int line, col;
        check_position_of(text, cases[i].needle, &line, &col);
        char want[256];
        snprintf(want, sizeof(want), "m.json:%d:%d: %s", line, col, cases[i].what);
        CHECK(strstr(out, want), "want \"%s\" in:\n%s", want, out);
    }
    free(out);

    /* Where the warning about "tims" points: at its value. */
    jcheck_enter_key(&c, "when");
    char where[256];
    int line, col;
    check_position_of(text, "[]}", &line, &col);
    char want[64];
    snprintf(want, sizeof(want), "m.json:%d:%d: zones.upper.items[3].when.tims", line, col);
    CHECK_STR(jcheck_where(&c, "tims", where, sizeof(where)), want);
    json_decref(root);
}

int main(void)
{
    test_active();
    test_lengths();
    test_next_change();
    test_where();
    test_pick();
    test_expand();
    test_clock();
    test_clock_file();
    test_timestamps();
    test_timezone();
    test_errors();
    test_error_positions();
    return check_finish();
}
