/*
 * Tests for config/config.c: defaults, parsed values, every kind of
 * problem with the line it is reported at, and the example lianbo.cfg.
 *
 * The example file is read as "config/lianbo.cfg", relative to the
 * working directory (the repository root); a path given as the first
 * argument is read instead.
 */
#define LOG_MODULE "test-config"
#include "config/config.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "player/log.h"
#include "tests/check.h"

struct load_case {
    const char *text;
    bool ok;
    const char *want;   /* substring of the messages; NULL if none */
};

static const struct load_case load_cases[] = {
    /* Valid files, some at the edges of each range. */
    {"", true, NULL},
    {"# only a comment\n", true, NULL},
    {"display = { width = 64; height = 16384; split = 0.1; };", true, NULL},
    {"display = { split = 0.9; crossfade_ms = 0; upper_display = 7; };", true, NULL},
    {"display = { split = 1; };", true, NULL},
    {"display = { crossfade_ms = 5000; rotation = 270; lower_display = 0; };", true, NULL},
    {"audio = { volume = 0; }; fonts = { min_size = 8; };", true, NULL},
    {"audio = { volume = 100; }; fonts = { min_size = 200; };", true, NULL},
    {"audio = { volume = 50L; };", true, NULL},
    {"schedule = { url = \"file:///srv/manifest.json\"; };", true, NULL},
    {"schedule = { url = \"https://example.com/m.json\"; };", true, NULL},
    {"schedule = { url = \"/srv/manifest.json\"; };", true, NULL},
    {"device = { id = \"\xe6\xa5\xbc" "7-2\"; tags = { a = \"\"; }; };", true, NULL},
    {"device = { tags = { }; };", true, NULL},
    {"display = { layout = \"dual\"; upper_display = 2; lower_display = 3; };", true, NULL},
    {"display = { layout = \"split\"; upper_display = 1; lower_display = 1; };", true, NULL},
    {"log : { level = \"debug\" }", true, NULL},
    {"\xef\xbb\xbf" "audio = {\r\n  volume = 5;\r\n};\r\n", true, NULL},
    {"schedule = { poll_seconds = 1; connect_timeout_s = 1; timeout_s = 1; };", true, NULL},
    {"schedule = { poll_seconds = 86400; connect_timeout_s = 300; timeout_s = 3600; };",
     true, NULL},
    {"cache = { max_mb = 0; };", true, NULL},
    {"cache = { max_mb = 1048576; };", true, NULL},
    {"network = { proxy = \"http://10.0.0.1:3128\"; };", true, NULL},
    {"network = { proxy = \"socks5h://proxy.lan:1080\"; ca_file = \"\"; };", true, NULL},

    {"device = { timezone = \"Asia/Shanghai\"; };", true, NULL},
    {"display = { power_off = \"23:30\"; power_on = \"07:00\"; };", true, NULL},
    {"video = { hwdec = \"none\"; };", true, NULL},
    {"alerts = { url = \"https://example.org/alerts.json\"; poll_seconds = 1; };", true, NULL},
    {"alerts = { ticker_zone = \"upper\"; ticker_speed = 2000; };", true, NULL},
    {"device = {\n  timezone = \"Mars/Olympus\";\n};", false,
     "t.cfg:2: device.timezone: unknown time zone 'Mars/Olympus'"},
    {"device = { timezone = \"../../etc/passwd\"; };", false,
     "t.cfg:1: device.timezone: must be a zone name"},
    {"display = { power_off = \"7:5\"; };", false,
     "t.cfg:1: display.power_off: must be a time of day such as 07:30, got '7:5'"},
    {"display = { power_on = \"24:00\"; };", false, "display.power_on: must be a time of day"},
    {"video = { hwdec = \"cuda\"; };", false, "video.hwdec"},
    {"alerts = { poll_seconds = 0; };", false, "alerts.poll_seconds"},
    {"alerts = { url = \"ftp://x\"; };", false, "alerts.url: must be empty or start with"},
    {"alerts = { ticker_zone = \"middle\"; };", false, "alerts.ticker_zone"},

    /* Syntax. */
    {"display = { width = ; };", false, "t.cfg:1: syntax error\n"},
    {"audio = {\n  volume = 1;\n  volume = 2;\n};", false,
     "t.cfg:3: syntax error: duplicate setting name\n"},
    {"a = 1;\n@include \"/etc/passwd\"\n", false, "t.cfg:2: @include is not supported"},

    /* Unknown keys, with and without a suggestion. */
    {"\nfoo = 1;", false, "t.cfg:2: unknown key 'foo'\n"},
    {"display = {\n  rotaton = 90;\n};", false,
     "t.cfg:2: unknown key 'display.rotaton', did you mean 'display.rotation'?\n"},
    {"dispaly = { };", false, "t.cfg:1: unknown key 'dispaly', did you mean 'display'?\n"},
    {"display = { brightness = 5; };", false, "t.cfg:1: unknown key 'display.brightness'\n"},
    {"device = { ids = \"x\"; };", false,
     "t.cfg:1: unknown key 'device.ids', did you mean 'device.id'?\n"},
    {"device = { xy = \"x\"; };", false, "t.cfg:1: unknown key 'device.xy'\n"},
    {"fonts = { regualr = \"\"; };", false,
     "t.cfg:1: unknown key 'fonts.regualr', did you mean 'fonts.regular'?\n"},
    {"audio = { enabled = true; volume = 1; extra = { x = 1; }; };", false,
     "t.cfg:1: unknown key 'audio.extra'\n"},

    /* Types. */
    {"display = {\n width = \"540\"; };", false,
     "t.cfg:2: display.width: expected an integer, got a string\n"},
    {"display = { width = 540.0; };", false,
     "t.cfg:1: display.width: expected an integer, got a float\n"},
    {"display = { height = true; };", false,
     "display.height: expected an integer, got a boolean\n"},
    {"display = { split = \"0.5\"; };", false,
     "t.cfg:1: display.split: expected a number, got a string\n"},
    {"display = { fullscreen = 1; };", false,
     "t.cfg:1: display.fullscreen: expected true or false, got an integer\n"},
    {"audio = { enabled = \"yes\"; };", false,
     "audio.enabled: expected true or false, got a string\n"},
    {"log = { level = 3; };", false, "t.cfg:1: log.level: expected a string, got an integer\n"},
    {"fonts = { regular = [\"a\"]; };", false,
     "fonts.regular: expected a string, got an array\n"},
    {"display = { layout = 1; };", false, "display.layout: expected a string, got an integer\n"},
    {"\n\naudio = 5;", false, "t.cfg:3: audio: expected a group, got an integer\n"},
    {"device = { tags = (\"a\"); };", false,
     "t.cfg:1: device.tags: expected a group, got a list\n"},

    /* Ranges and names. */
    {"display = { width = 63; };", false,
     "t.cfg:1: display.width: must be between 64 and 16384, got 63\n"},
    {"display = { height = 16385; };", false,
     "display.height: must be between 64 and 16384, got 16385\n"},
    {"display = { rotation = 45; };", false,
     "t.cfg:1: display.rotation: must be 0, 90, 180 or 270, got 45\n"},
    {"display = { rotation = -90; };", false, "display.rotation: must be 0, 90, 180 or 270"},
    {"display = { layout = \"triple\"; };", false,
     "t.cfg:1: display.layout: must be 'split' or 'dual', got 'triple'\n"},
    {"display = { split = 1.5; };", false,
     "t.cfg:1: display.split: must be between 0.1 and 1, got 1.5\n"},
    {"display = { split = 0.05; };", false, "display.split: must be between 0.1 and 1"},
    {"display = { split = 1e999; };", false, "display.split: must be between 0.1 and 1"},
    /* An integer is accepted where a float is expected, then range checked. */
    {"display = { split = 1.01; };", false,
     "display.split: must be between 0.1 and 1, got 1.01\n"},
    {"display = { upper_display = 8; };", false,
     "display.upper_display: must be between 0 and 7, got 8\n"},
    {"display = { lower_display = -1; };", false,
     "display.lower_display: must be between 0 and 7, got -1\n"},
    {"display = { crossfade_ms = 5001; };", false,
     "display.crossfade_ms: must be between 0 and 5000, got 5001\n"},
    {"audio = { volume = 101; };", false, "audio.volume: must be between 0 and 100, got 101\n"},
    {"audio = { volume = 9999999999L; };", false,
     "audio.volume: must be between 0 and 100, got 9999999999\n"},
    {"fonts = { min_size = 7; };", false, "fonts.min_size: must be between 8 and 200, got 7\n"},
    {"log = { level = \"verbose\"; };", false,
     "t.cfg:1: log.level: must be 'error', 'warn', 'info' or 'debug', got 'verbose'\n"},
    {"schedule = { url = \"ftp://host/m.json\"; };", false,
     "t.cfg:1: schedule.url: must be empty or start with file://, http://, https:// or /, "
     "got 'ftp://host/m.json'\n"},
    {"schedule = { url = \"manifest.json\"; };", false, "schedule.url: must be empty"},
    {"schedule = { poll_seconds = 0; };", false,
     "t.cfg:1: schedule.poll_seconds: must be between 1 and 86400, got 0\n"},
    {"schedule = { poll_seconds = 86401; };", false,
     "schedule.poll_seconds: must be between 1 and 86400, got 86401\n"},
    {"schedule = { poll_seconds = \"60\"; };", false,
     "schedule.poll_seconds: expected an integer, got a string\n"},
    {"schedule = { connect_timeout_s = 0; };", false,
     "schedule.connect_timeout_s: must be between 1 and 300, got 0\n"},
    {"schedule = { timeout_s = 3601; };", false,
     "schedule.timeout_s: must be between 1 and 3600, got 3601\n"},
    {"cache = { max_mb = -1; };", false, "cache.max_mb: must be between 0 and 1048576, got -1\n"},
    {"schedule = { pol_seconds = 5; };", false,
     "unknown key 'schedule.pol_seconds', did you mean 'schedule.poll_seconds'?\n"},
    {"network = { proxy = \"proxy.lan:3128\"; };", false,
     "t.cfg:1: network.proxy: must be empty or an address such as"},
    {"network = { proxy = \"http://\"; };", false, "network.proxy: must be empty or an address"},
    {"network = { proxy = \"http://a b:1\"; };", false,
     "network.proxy: must be an address without spaces or special characters, "
     "got 'http://a b:1'\n"},
    {"network = { ca_file = \"/nonexistent/ca.pem\"; };", false,
     "t.cfg:1: network.ca_file: cannot read /nonexistent/ca.pem: No such file or directory\n"},
    {"network = { ca_file = 1; };", false, "network.ca_file: expected a string, got an integer\n"},
    {"display = {\n  layout = \"dual\";\n  lower_display = 0;\n};", false,
     "t.cfg:3: display.lower_display: must differ from display.upper_display"},
    {"display = {\n  layout = \"dual\";\n  upper_display = 1;\n};", false,
     "t.cfg:3: display.lower_display: must differ from display.upper_display"},

    /* Tags and the device id. */
    {"device = { tags = {\n  unit = 5; }; };", false,
     "t.cfg:2: device.tags.unit: expected a string, got an integer\n"},
    {"device = { tags = { unit = \"a\\x01b\"; }; };", false,
     "device.tags.unit: must be printable text (UTF-8), got 'a\\x01b'\n"},
    {"device = { id = \"" "0123456789012345678901234567890123456789012345678901234567890123"
     "4\"; };", false, "t.cfg:1: device.id: must be at most 64 bytes long, got 65\n"},
    {"device = { id = \"" "0123456789012345678901234567890123456789012345678901234567890123"
     "\"; };", true, NULL},
    {"device = { id = \"bell\\x07\"; };", false,
     "device.id: must be printable text (UTF-8), got 'bell\\x07'\n"},
    {"device = { id = \"\xff" "a\"; };", false,
     "device.id: must be printable text (UTF-8), got '\\xffa'\n"},
    {"device = { id = \"\xc0\xaf\"; };", false, "device.id: must be printable text"},
    {"device = { id = \"\xed\xa0\x80\"; };", false, "device.id: must be printable text"},
    {"device = { id = \"\xc2\x85\"; };", false, "device.id: must be printable text"},

    /* Files that must be readable. */
    {"fonts = { regular = \"/nonexistent/x.ttf\"; };", false,
     "t.cfg:1: fonts.regular: cannot read /nonexistent/x.ttf: No such file or directory\n"},
    {"fonts = { bold = \"/\"; };", false, "fonts.bold: cannot read /: not a regular file\n"},
    {"display = { fallback_image = \"/nonexistent.png\"; };", false,
     "display.fallback_image: cannot read /nonexistent.png: No such file or directory\n"},
};

/* Loads TEXT as "t.cfg"; returns the configuration and sets *MESSAGES
 * (caller frees) to what was written to the error stream. */
static struct config *load(const char *text, char **messages)
{
    size_t len;
    FILE *err = open_memstream(messages, &len);
    if (!err) {
        perror("open_memstream");
        exit(2);
    }
    struct config *cfg = config_load_string(text, "t.cfg", err);
    fclose(err);
    return cfg;
}

static void test_load_cases(void)
{
    for (size_t i = 0; i < sizeof(load_cases) / sizeof(load_cases[0]); i++) {
        const struct load_case *c = &load_cases[i];
        char *messages;
        struct config *cfg = load(c->text, &messages);

        CHECK((cfg != NULL) == c->ok, "case %zu \"%s\": got %s, messages:\n%s", i, c->text,
              cfg ? "accepted" : "refused", messages);
        if (c->want) {
            CHECK(strstr(messages, c->want) != NULL,
                  "case %zu \"%s\": want \"%s\" in:\n%s", i, c->text, c->want, messages);
        } else {
            CHECK(messages[0] == '\0', "case %zu: unexpected messages:\n%s", i, messages);
        }
        if (cfg)
            CHECK_STR(cfg->path, "t.cfg");
        config_free(cfg);
        free(messages);
    }
}

static void check_defaults(const struct config *cfg, const char *what)
{
    char host[256] = "";

    gethostname(host, sizeof(host) - 1);
    CHECK(cfg != NULL, "%s: no configuration", what);
    if (!cfg)
        return;
    CHECK_STR(cfg->device_id, host[0] ? host : "lianbo");
    CHECK(cfg->n_tags == 0, "%s: %d tags", what, cfg->n_tags);
    CHECK_STR(cfg->schedule_url, "");
    CHECK_STR(cfg->cache_dir, "");
    CHECK(cfg->poll_seconds == 60, "%s: poll %d", what, cfg->poll_seconds);
    CHECK(cfg->connect_timeout_s == 10, "%s: connect timeout %d", what,
          cfg->connect_timeout_s);
    CHECK(cfg->timeout_s == 30, "%s: timeout %d", what, cfg->timeout_s);
    CHECK(cfg->cache_max_mb == 0, "%s: cache cap %d", what, cfg->cache_max_mb);
    CHECK_STR(cfg->proxy, "");
    CHECK_STR(cfg->ca_file, "");
    CHECK(cfg->fullscreen, "%s: fullscreen", what);
    CHECK(cfg->window_width == 540, "%s: width %d", what, cfg->window_width);
    CHECK(cfg->window_height == 960, "%s: height %d", what, cfg->window_height);
    CHECK(cfg->rotation == 0, "%s: rotation %d", what, cfg->rotation);
    CHECK(cfg->layout == CONFIG_LAYOUT_SPLIT, "%s: layout %d", what, (int)cfg->layout);
    CHECK(cfg->split == 0.5, "%s: split %g", what, cfg->split);
    CHECK(cfg->upper_display == 0, "%s: upper %d", what, cfg->upper_display);
    CHECK(cfg->lower_display == 1, "%s: lower %d", what, cfg->lower_display);
    CHECK(cfg->crossfade_ms == 400, "%s: crossfade %d", what, cfg->crossfade_ms);
    CHECK_STR(cfg->fallback_image, "");
    CHECK(cfg->audio, "%s: audio", what);
    CHECK(cfg->volume == 80, "%s: volume %d", what, cfg->volume);
    CHECK_STR(cfg->font_regular, "");
    CHECK_STR(cfg->font_bold, "");
    CHECK(cfg->font_min_size == 20, "%s: min size %d", what, cfg->font_min_size);
    CHECK_STR(cfg->log_level, "info");
}

static void test_defaults(void)
{
    char *messages;
    struct config *cfg = config_create_default();

    check_defaults(cfg, "config_create_default");
    CHECK(cfg && cfg->path == NULL, "built-in defaults have no path");
    config_free(cfg);

    cfg = load("", &messages);
    check_defaults(cfg, "empty file");
    config_free(cfg);
    free(messages);

    /* An empty id means the hostname, not an empty name. */
    cfg = load("device = { id = \"\"; };", &messages);
    check_defaults(cfg, "empty device.id");
    config_free(cfg);
    free(messages);
}

static void test_values(void)
{
    static const char text[] =
        "device = {\n"
        "  id = \"b7-u2-lobby\";\n"
        "  tags = { community = \"Riverside\"; building = \"7\"; unit = \"2\"; };\n"
        "};\n"
        "schedule = { url = \"https://signs.example.com/b7/m.json\"; poll_seconds = 300;\n"
        "  connect_timeout_s = 5; timeout_s = 20; };\n"
        "cache = { dir = \"/var/cache/lianbo\"; max_mb = 2048; };\n"
        "network = { proxy = \"http://proxy.lan:3128\"; };\n"
        "display = {\n"
        "  fullscreen = false; width = 1080; height = 1920; rotation = 90;\n"
        "  layout = \"dual\"; split = 0.25; upper_display = 1; lower_display = 0;\n"
        "  crossfade_ms = 0;\n"
        "};\n"
        "audio = { enabled = false; volume = 35; };\n"
        "fonts = { min_size = 32; };\n"
        "log = { level = \"debug\"; };\n";
    char *messages;
    struct config *cfg = load(text, &messages);

    CHECK(cfg != NULL, "full file refused:\n%s", messages);
    if (cfg) {
        CHECK_STR(cfg->device_id, "b7-u2-lobby");
        CHECK(cfg->n_tags == 3, "%d tags", cfg->n_tags);
        CHECK_STR(config_tag(cfg, "community"), "Riverside");
        CHECK_STR(config_tag(cfg, "building"), "7");
        CHECK_STR(config_tag(cfg, "unit"), "2");
        CHECK(config_tag(cfg, "floor") == NULL, "tag that is not set");
        CHECK_STR(cfg->schedule_url, "https://signs.example.com/b7/m.json");
        CHECK(cfg->poll_seconds == 300, "poll %d", cfg->poll_seconds);
        CHECK(cfg->connect_timeout_s == 5, "connect timeout %d", cfg->connect_timeout_s);
        CHECK(cfg->timeout_s == 20, "timeout %d", cfg->timeout_s);
        CHECK_STR(cfg->cache_dir, "/var/cache/lianbo");
        CHECK(cfg->cache_max_mb == 2048, "cache cap %d", cfg->cache_max_mb);
        CHECK_STR(cfg->proxy, "http://proxy.lan:3128");
        CHECK_STR(cfg->ca_file, "");
        CHECK(!cfg->fullscreen, "fullscreen");
        CHECK(cfg->window_width == 1080, "width %d", cfg->window_width);
        CHECK(cfg->window_height == 1920, "height %d", cfg->window_height);
        CHECK(cfg->rotation == 90, "rotation %d", cfg->rotation);
        CHECK(cfg->layout == CONFIG_LAYOUT_DUAL, "layout %d", (int)cfg->layout);
        CHECK(cfg->split == 0.25, "split %g", cfg->split);
        CHECK(cfg->upper_display == 1, "upper %d", cfg->upper_display);
        CHECK(cfg->lower_display == 0, "lower %d", cfg->lower_display);
        CHECK(cfg->crossfade_ms == 0, "crossfade %d", cfg->crossfade_ms);
        CHECK(!cfg->audio, "audio");
        CHECK(cfg->volume == 35, "volume %d", cfg->volume);
        CHECK(cfg->font_min_size == 32, "min size %d", cfg->font_min_size);
        CHECK_STR(cfg->log_level, "debug");
    }
    config_free(cfg);
    free(messages);

    CHECK(config_tag(NULL, "unit") == NULL, "config_tag on NULL");
    config_free(NULL);
}

/* Every level the file accepts is one the logger knows, and back. */
static void test_log_levels(void)
{
    static const char *const names[] = {"error", "warn", "info", "debug"};

    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        char text[64], *messages;
        enum log_level level;

        snprintf(text, sizeof(text), "log = { level = \"%s\"; };", names[i]);
        struct config *cfg = load(text, &messages);
        CHECK(cfg != NULL, "level %s refused:\n%s", names[i], messages);
        if (cfg) {
            CHECK_STR(cfg->log_level, names[i]);
            CHECK(log_level_from_name(cfg->log_level, &level),
                  "logger does not know level %s", names[i]);
        }
        config_free(cfg);
        free(messages);
    }
}

/* Writes LEN bytes of DATA to a new temporary file; returns its path. */
static char *write_temp(const void *data, size_t len)
{
    char *path = strdup("/tmp/lianbo-test-config-XXXXXX");
    int fd = path ? mkstemp(path) : -1;
    if (fd < 0 || write(fd, data, len) != (ssize_t)len) {
        perror("temporary file");
        exit(2);
    }
    close(fd);
    return path;
}

/* A readable font and image are accepted and their paths kept. */
static void test_readable_files(void)
{
    char *font = write_temp("not really a font", 17);
    char text[512], *messages;

    snprintf(text, sizeof(text),
             "fonts = { regular = \"%s\"; bold = \"%s\"; };\n"
             "display = { fallback_image = \"%s\"; };\n"
             "network = { ca_file = \"%s\"; };\n", font, font, font, font);
    struct config *cfg = load(text, &messages);
    CHECK(cfg != NULL, "readable files refused:\n%s", messages);
    if (cfg) {
        CHECK_STR(cfg->font_regular, font);
        CHECK_STR(cfg->font_bold, font);
        CHECK_STR(cfg->fallback_image, font);
        CHECK_STR(cfg->ca_file, font);
    }
    config_free(cfg);
    free(messages);
    unlink(font);
    free(font);
}

static int count_lines(const char *s)
{
    int n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

/* One pass reports every problem in the file, each at its own line. */
static void test_all_problems_reported(void)
{
    static const char text[] =
        "display = {\n"
        "  width = 10;\n"
        "  rotaton = 90;\n"
        "  split = \"half\";\n"
        "};\n"
        "audio = { volume = 200; };\n"
        "log = { level = \"loud\"; };\n"
        "colour = \"red\";\n";
    static const char *const want[] = {
        "t.cfg:2: display.width: must be between 64 and 16384, got 10\n",
        "t.cfg:3: unknown key 'display.rotaton', did you mean 'display.rotation'?\n",
        "t.cfg:4: display.split: expected a number, got a string\n",
        "t.cfg:6: audio.volume: must be between 0 and 100, got 200\n",
        "t.cfg:7: log.level: must be 'error', 'warn', 'info' or 'debug', got 'loud'\n",
        "t.cfg:8: unknown key 'colour'\n",
    };
    size_t n_want = sizeof(want) / sizeof(want[0]);
    char *messages;
    struct config *cfg = load(text, &messages);

    CHECK(cfg == NULL, "file with problems accepted");
    for (size_t i = 0; i < n_want; i++)
        CHECK(strstr(messages, want[i]) != NULL, "want \"%s\" in:\n%s", want[i], messages);
    CHECK(count_lines(messages) == (int)n_want, "%d messages, want %zu:\n%s",
          count_lines(messages), n_want, messages);
    config_free(cfg);
    free(messages);
}

static void test_load_file(void)
{
    char *messages;
    size_t len;
    FILE *err;
    struct config *cfg;

    /* A problem is reported against the path, at its line. */
    static const char bad[] = "audio = {\n  volume = -1;\n};\n";
    char *path = write_temp(bad, sizeof(bad) - 1);
    char want[256];
    snprintf(want, sizeof(want), "%s:2: audio.volume: must be between 0 and 100", path);
    err = open_memstream(&messages, &len);
    cfg = config_load(path, err);
    fclose(err);
    CHECK(cfg == NULL && strstr(messages, want), "want \"%s\" in:\n%s", want, messages);
    config_free(cfg);
    free(messages);
    unlink(path);
    free(path);

    /* A good file loads and remembers where it came from. */
    static const char good[] = "audio = { volume = 10; };\n";
    path = write_temp(good, sizeof(good) - 1);
    err = open_memstream(&messages, &len);
    cfg = config_load(path, err);
    fclose(err);
    CHECK(cfg && cfg->volume == 10, "good file: %s", messages);
    if (cfg)
        CHECK_STR(cfg->path, path);
    config_free(cfg);
    free(messages);
    unlink(path);
    free(path);

    /* A NUL would hide the rest of the file from libconfig. */
    static const char nul[] = "audio = {};\n\0foo = 1;\n";
    path = write_temp(nul, sizeof(nul) - 1);
    snprintf(want, sizeof(want), "%s:2: contains a NUL byte", path);
    err = open_memstream(&messages, &len);
    cfg = config_load(path, err);
    fclose(err);
    CHECK(cfg == NULL && strstr(messages, want), "want \"%s\" in:\n%s", want, messages);
    config_free(cfg);
    free(messages);
    unlink(path);
    free(path);

    /* Too large to be a configuration. */
    size_t big_len = 1024 * 1024 + 1;
    char *big = malloc(big_len);
    memset(big, '\n', big_len);
    path = write_temp(big, big_len);
    free(big);
    err = open_memstream(&messages, &len);
    cfg = config_load(path, err);
    fclose(err);
    CHECK(cfg == NULL && strstr(messages, ": too large"), "big file: %s", messages);
    config_free(cfg);
    free(messages);
    unlink(path);
    free(path);

    err = open_memstream(&messages, &len);
    cfg = config_load("/nonexistent/lianbo.cfg", err);
    fclose(err);
    CHECK(cfg == NULL, "missing file loaded");
    CHECK_STR(messages, "/nonexistent/lianbo.cfg: cannot read: No such file or directory\n");
    free(messages);

    err = open_memstream(&messages, &len);
    cfg = config_load("/", err);
    fclose(err);
    CHECK(cfg == NULL, "directory loaded");
    CHECK_STR(messages, "/: cannot read: Is a directory\n");
    free(messages);
}

/* The documented example holds exactly the defaults. */
static void test_example_file(const char *path)
{
    char *messages;
    size_t len;
    FILE *err = open_memstream(&messages, &len);
    struct config *cfg = config_load(path, err);

    fclose(err);
    CHECK(cfg != NULL, "%s refused:\n%s", path, messages);
    check_defaults(cfg, path);
    config_free(cfg);
    free(messages);
}

int main(int argc, char **argv)
{
    test_load_cases();
    test_defaults();
    test_values();
    test_log_levels();
    test_readable_files();
    test_all_problems_reported();
    test_load_file();
    test_example_file(argc > 1 ? argv[1] : "config/lianbo.cfg");
    return check_finish();
}
