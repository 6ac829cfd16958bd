/*
 * Feeds arbitrary bytes to the scheduling parsers: as JSON, the value
 * itself and its "when" and "where" members go to the rule parsers, and
 * whatever parses is evaluated, copied and freed; as text, the bytes go to
 * placeholder expansion and the timestamp reader. Errors go to /dev/null;
 * the sanitizers catch what matters.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LOG_MODULE "fuzz"
#include "player/log.h"
#include "player/schedule.h"
#include "tests/fuzz/fuzz.h"

static struct config_tag tags[] = {
    {"community", "清源"},
    {"building", "3"},
    {"unit", "3-101"},
};

static const struct config device = {
    .device_id = "lb-0301",
    .tags = tags,
    .n_tags = 3,
};

/* Instants around a DST night, a leap day and the ends of the range. */
static const time_t instants[] = {
    0, 1774745940, 1774746000, 1792889400, 1835395200, 253402300799, -1,
};

static void exercise(struct schedule_parse *sp, json_t *obj)
{
    struct schedule_rules rules, copy;
    if (!schedule_rules_parse(sp, obj, "zones.upper.items[0]", &rules))
        return;
    for (size_t i = 0; i < sizeof(instants) / sizeof(instants[0]); i++) {
        schedule_rules_hold(&rules, &device, instants[i]);
        schedule_when_next_change(&rules.when, instants[i]);
    }
    if (schedule_rules_copy(&copy, &rules))
        schedule_rules_finish(&copy);
    schedule_rules_finish(&rules);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static FILE *devnull;
    if (!devnull) {
        /* Unknown-key warnings would bury the fuzzer's own output. */
        log_set_level(LOG_ERROR);
        devnull = fopen("/dev/null", "w");
        if (!devnull || setenv("TZ", "Europe/Berlin", 1) != 0)
            abort();
        tzset();
    }
    struct schedule_parse sp = {.url = "fuzz.json", .err = devnull, .max_reported = 100};

    json_t *root = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
    if (root) {
        struct schedule_when when;
        struct schedule_where where;
        if (schedule_when_parse(&sp, root, "when", &when))
            schedule_when_active(&when, instants[1]);
        if (schedule_where_parse(&sp, root, "where", &where)) {
            schedule_where_matches(&where, &device);
            schedule_where_finish(&where);
        }
        exercise(&sp, root);
        json_decref(root);
    }

    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    for (int encode = 0; encode < 2; encode++) {
        char *out = NULL;
        struct schedule_expand_notes notes;
        if (schedule_expand(text, &device, encode, &out, &notes))
            free(out);
    }
    time_t t;
    schedule_parse_timestamp(text, &t);
    free(text);
    return 0;
}
