/*
 * The player's configuration: one libconfig file, validated as a whole.
 *
 * Every key has a default, so an empty file is a valid configuration and
 * running with no file at all plays the bundled demo. Problems are reported
 * as "FILE:LINE: message", one per line, and any problem refuses the file.
 */
#ifndef LIANBO_CONFIG_H
#define LIANBO_CONFIG_H

#include <stdbool.h>
#include <stdio.h>

#define CONFIG_DEFAULT_PATH "/etc/lianbo/lianbo.cfg"

enum config_layout {
    CONFIG_LAYOUT_SPLIT, /* upper and lower share one display, by ratio */
    CONFIG_LAYOUT_DUAL,  /* upper and lower each on a display of its own */
};

struct config_tag {
    char *key;
    char *value;
};

struct config {
    char *path; /* file it came from, NULL for built-in defaults */

    char *device_id;
    struct config_tag *tags;
    int n_tags;
    char *timezone;      /* "" means the system's */

    char *schedule_url;  /* file://, http:// or https://; "" means the bundled demo */
    int poll_seconds;    /* between two looks at an http(s) schedule */
    int connect_timeout_s;
    int timeout_s;       /* a whole manifest request */
    char *cache_dir;     /* "" means pick one at run time */
    int cache_max_mb;    /* 0 means no cap */

    char *proxy;         /* "" means the usual environment variables */
    char *ca_file;       /* "" means the system's certificate bundle */

    bool fullscreen;
    int window_width;
    int window_height;
    int rotation;        /* 0, 90, 180 or 270 degrees, clockwise */
    enum config_layout layout;
    double split;        /* share of the height the upper zone gets, 0.1..1.0 */
    int upper_display;
    int lower_display;
    int crossfade_ms;    /* 0 disables the cross-fade */
    char *fallback_image;/* "" means show the device name instead */

    char *power_on;      /* "HH:MM" the screen comes on; "" means always on */
    char *power_off;     /* "HH:MM" it goes dark */
    bool power_dpms;     /* switch the monitor to standby while dark */
    char *power_on_command;  /* run when it comes on (HDMI-CEC); "" for none */
    char *power_off_command;

    char *video_hwdec;   /* "auto", "none", "v4l2m2m", "drm" or "vaapi" */

    char *alerts_url;    /* "" means alerts are off */
    int alerts_poll_seconds;
    int ticker_speed;    /* pixels per second */
    char *ticker_zone;   /* "upper" or "lower" */

    bool audio;
    int volume;          /* 0..100 */

    char *font_regular;  /* "" means look one up with fontconfig */
    char *font_bold;     /* "" means synthesise bold from the regular font */
    int font_min_size;   /* pixels; text shrinks to this, then pages */

    char *log_level;     /* "error", "warn", "info" or "debug" */
};

/* Returns a configuration holding every default. Caller owns it. */
struct config *config_create_default(void);

/*
 * Reads and validates PATH. On any problem, writes one "PATH:LINE: message"
 * line per problem to ERR and returns NULL. Caller owns the result.
 */
struct config *config_load(const char *path, FILE *err);

/* Same as config_load() but from a string; NAME stands in for the path. */
struct config *config_load_string(const char *text, const char *name, FILE *err);

/* Returns the value of tag KEY, or NULL. Owned by CFG. */
const char *config_tag(const struct config *cfg, const char *key);

/*
 * Frees CFG and every string it owns; accepts NULL. Not named
 * config_destroy(): libconfig already exports that symbol.
 */
void config_free(struct config *cfg);

#endif
