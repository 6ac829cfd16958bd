/*
 * lianbo: the digital-signage player of a residential building terminal.
 * This file reads the command line and the configuration, then hands over
 * to the player.
 */
#define LOG_MODULE "main"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "build-config.h"
#include "config/config.h"
#include "player/log.h"
#include "player/player.h"
#include "player/schedule.h"
#include "player/service.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: lianbo [options]\n"
            "\n"
            "  --config PATH         configuration file (default " CONFIG_DEFAULT_PATH ");\n"
            "                        with no file there, the bundled demo plays\n"
            "  --windowed            run in a window, whatever the configuration says\n"
            "  --screenshot FILE     write the composed frame as PNG and exit\n"
            "  --after SECONDS       when to take that screenshot (default 3)\n"
            "  --check-config PATH   validate a configuration file and exit 0 or 1\n"
            "  --status              print the running player's status and exit\n"
            "  --trace-frames FILE   for tests: log each presented frame's zone colours\n"
            "  --version             print the version and exit\n"
            "  --help                show this help\n"
            "\n"
            "Signals: SIGUSR1 writes a screenshot into the cache directory, SIGUSR2\n"
            "shows the diagnostics screen, SIGHUP reloads the configuration.\n");
}

static int check_config(const char *path)
{
    struct config *cfg = config_load(path, stderr);
    if (!cfg)
        return 1;
    printf("%s: configuration is valid\n", path);
    config_free(cfg);
    return 0;
}

/* Loads PATH, or the default file; no default file means demo defaults. */
static struct config *load_config(const char *path)
{
    if (path)
        return config_load(path, stderr);
    if (access(CONFIG_DEFAULT_PATH, F_OK) == 0)
        return config_load(CONFIG_DEFAULT_PATH, stderr);
    log_info("no configuration at %s; playing the bundled demo", CONFIG_DEFAULT_PATH);
    return config_create_default();
}

static bool parse_seconds(const char *s, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || v < 0 || v > 86400)
        return false;
    *out = v;
    return true;
}

int main(int argc, char **argv)
{
    enum { OPT_CONFIG = 256, OPT_WINDOWED, OPT_SCREENSHOT, OPT_AFTER, OPT_CHECK,
           OPT_TRACE, OPT_STATUS, OPT_VERSION, OPT_HELP };
    static const struct option options[] = {
        {"config", required_argument, NULL, OPT_CONFIG},
        {"windowed", no_argument, NULL, OPT_WINDOWED},
        {"screenshot", required_argument, NULL, OPT_SCREENSHOT},
        {"after", required_argument, NULL, OPT_AFTER},
        {"check-config", required_argument, NULL, OPT_CHECK},
        {"status", no_argument, NULL, OPT_STATUS},
        {"trace-frames", required_argument, NULL, OPT_TRACE},
        {"version", no_argument, NULL, OPT_VERSION},
        {"help", no_argument, NULL, OPT_HELP},
        {0},
    };
    const char *config_path = NULL;
    bool want_status = false;
    struct player_options opts = {.after = 3};

    int c;
    while ((c = getopt_long(argc, argv, "", options, NULL)) != -1) {
        switch (c) {
        case OPT_CONFIG:
            config_path = optarg;
            break;
        case OPT_WINDOWED:
            opts.windowed = true;
            break;
        case OPT_SCREENSHOT:
            opts.screenshot = optarg;
            break;
        case OPT_AFTER:
            if (!parse_seconds(optarg, &opts.after)) {
                fprintf(stderr, "lianbo: --after wants seconds from 0 to 86400, got '%s'\n",
                        optarg);
                return 2;
            }
            break;
        case OPT_CHECK:
            return check_config(optarg);
        case OPT_TRACE:
            opts.trace = optarg;
            break;
        case OPT_STATUS:
            want_status = true;
            break;
        case OPT_VERSION:
            printf("lianbo %s\n", LIANBO_VERSION);
            return 0;
        case OPT_HELP:
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "lianbo: unexpected argument '%s'\n", argv[optind]);
        usage(stderr);
        return 2;
    }

    struct config *cfg = load_config(config_path);
    if (cfg && want_status) {
        int rc = service_print_status(cfg);
        config_free(cfg);
        return rc;
    }
    if (!cfg) {
        fprintf(stderr, "lianbo: refusing to start with an invalid configuration\n");
        return 1;
    }
    enum log_level level;
    if (log_level_from_name(cfg->log_level, &level))
        log_set_level(level);
    log_info("lianbo %s starting as %s", LIANBO_VERSION, cfg->device_id);
    /* Before any thread starts: changing the time zone is not thread-safe. */
    char why[256];
    if (cfg->timezone[0] && !schedule_set_timezone(cfg->timezone, why, sizeof(why)))
        log_warn("time zone %s not used: %s", cfg->timezone, why);

    struct config *reloaded = NULL;
    opts.reloaded = &reloaded;
    int status;
    /* SIGHUP with a valid configuration starts the player over with it,
     * in the same process: no restart, no lost cache. */
    while ((status = player_run(cfg, &opts)) == PLAYER_RELOAD && reloaded) {
        config_free(cfg);
        cfg = reloaded;
        reloaded = NULL;
        if (log_level_from_name(cfg->log_level, &level))
            log_set_level(level);
    }
    config_free(cfg);
    return status;
}
