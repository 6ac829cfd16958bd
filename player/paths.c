#define LOG_MODULE "paths"
#include "player/paths.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "build-config.h"
#include "player/log.h"

static char *demo_in(const char *datadir)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/demo/manifest.json", datadir);
    if (access(path, R_OK) != 0)
        return NULL;
    char *url = malloc(strlen(path) + sizeof("file://"));
    if (url)
        sprintf(url, "file://%s", path);
    return url;
}

char *paths_demo_manifest(void)
{
    const char *env = getenv("LIANBO_DATADIR");
    char *url = NULL;
    if (env && env[0])
        url = demo_in(env);
    if (!url)
        url = demo_in(LIANBO_DATADIR);
    if (!url)
        url = demo_in(LIANBO_SOURCE_DATADIR);
    return url;
}

bool paths_mkdirs(const char *path)
{
    char buf[4096];
    if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf)) {
        errno = ENAMETOOLONG;
        return false;
    }
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, 0755) != 0 && errno != EEXIST)
            return false;
        *p = '/';
    }
    return mkdir(buf, 0755) == 0 || errno == EEXIST;
}

char *paths_cache_dir(const struct config *cfg)
{
    char path[4096];
    const char *env;
    if (cfg->cache_dir && cfg->cache_dir[0]) {
        snprintf(path, sizeof(path), "%s", cfg->cache_dir);
    } else if ((env = getenv("CACHE_DIRECTORY")) && env[0]) {
        /* systemd may list several directories separated by colons. */
        snprintf(path, sizeof(path), "%.*s", (int)strcspn(env, ":"), env);
    } else if ((env = getenv("XDG_CACHE_HOME")) && env[0]) {
        snprintf(path, sizeof(path), "%s/lianbo", env);
    } else if ((env = getenv("HOME")) && env[0]) {
        snprintf(path, sizeof(path), "%s/.cache/lianbo", env);
    } else {
        snprintf(path, sizeof(path), "/tmp/lianbo-cache");
    }
    if (!paths_mkdirs(path)) {
        log_error("cannot create the cache directory %s: %s", path, strerror(errno));
        return NULL;
    }
    return strdup(path);
}
