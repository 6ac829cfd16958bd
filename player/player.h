/*
 * The player: opens the screens, reads the schedule and runs the render
 * loop until asked to stop.
 */
#ifndef LIANBO_PLAYER_H
#define LIANBO_PLAYER_H

#include <stdbool.h>

#include "config/config.h"

/* player_run() returns this when SIGHUP brought a valid new configuration,
 * stored in *reloaded: run again with it. */
#define PLAYER_RELOAD 100

struct player_options {
    bool windowed;          /* --windowed: ignore display.fullscreen */
    const char *screenshot; /* --screenshot: write this PNG, then exit */
    double after;           /* --after: seconds before the screenshot */
    const char *trace;      /* --trace-frames: log every presented frame here */
    struct config **reloaded; /* where a reloaded configuration goes */
};

/* Runs until quit; returns the process exit status. */
int player_run(const struct config *cfg, const struct player_options *opts);

#endif
