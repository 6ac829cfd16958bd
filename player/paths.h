/*
 * Where lianbo finds its bundled data and keeps its files.
 */
#ifndef LIANBO_PATHS_H
#define LIANBO_PATHS_H

#include "config/config.h"

/*
 * The bundled demo's manifest as a file:// URL: $LIANBO_DATADIR/demo, the
 * installed copy, or the source tree's when running from a build
 * directory. Caller frees; NULL when none exists.
 */
char *paths_demo_manifest(void);

/*
 * The cache directory, created if needed: the configured one, else
 * $CACHE_DIRECTORY (set by systemd), $XDG_CACHE_HOME/lianbo or
 * ~/.cache/lianbo. Caller frees; NULL with the reason logged on failure.
 */
char *paths_cache_dir(const struct config *cfg);

/* Creates PATH and its parents with mode 0755; false with errno set. */
bool paths_mkdirs(const char *path);

#endif
