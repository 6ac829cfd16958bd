#define LOG_MODULE "store"
#include "player/log.h"

#include "net/store.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "net/cache.h"
#include "net/source.h"

#define MANIFEST_NAME "manifest.json"
#define META_NAME "manifest.meta"

/* The sidecar holds four short strings; anything larger is not ours. */
#define META_MAX (64 * 1024)

static bool write_all(int fd, const char *data, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, data, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return false;
        data += n;
        len -= (size_t)n;
    }
    return true;
}

bool store_write_atomic(const char *dir, const char *name, const void *data, size_t len)
{
    char tmp[4096], path[4096];
    int fd = -1, dfd = -1;
    bool ok = false;

    if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >= sizeof(path) ||
        (size_t)snprintf(tmp, sizeof(tmp), "%s/.%s.tmp", dir, name) >= sizeof(tmp)) {
        errno = ENAMETOOLONG;
        return false;
    }
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        goto out;
    if (!write_all(fd, data, len) || fsync(fd) != 0)
        goto out_unlink;
    if (close(fd) != 0) {
        fd = -1;
        goto out_unlink;
    }
    fd = -1;
    if (rename(tmp, path) != 0)
        goto out_unlink;
    dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    ok = dfd >= 0 && fsync(dfd) == 0;
    goto out;
out_unlink:
    {
        int saved = errno;
        unlink(tmp);
        errno = saved;
    }
out:
    {
        int saved = errno;
        if (fd >= 0)
            close(fd);
        if (dfd >= 0)
            close(dfd);
        errno = saved;
    }
    return ok;
}

void store_meta_finish(struct store_meta *meta)
{
    free(meta->url);
    free(meta->base);
    free(meta->etag);
    free(meta->last_modified);
    memset(meta, 0, sizeof(*meta));
}

static int set_string(json_t *obj, const char *key, const char *value)
{
    return value ? json_object_set_new(obj, key, json_string(value)) : 0;
}

bool store_save_meta(const char *dir, const struct store_meta *meta)
{
    json_t *obj = json_object();
    char *text = NULL;
    bool ok = false;

    if (!obj || set_string(obj, "url", meta->url) || set_string(obj, "base", meta->base) ||
        set_string(obj, "etag", meta->etag) ||
        set_string(obj, "last_modified", meta->last_modified) ||
        set_string(obj, "sha256", meta->sha256)) {
        log_error("cannot record where the schedule came from: out of memory");
        goto out;
    }
    text = json_dumps(obj, JSON_INDENT(2) | JSON_SORT_KEYS);
    if (!text) {
        log_error("cannot record where the schedule came from: out of memory");
        goto out;
    }
    ok = store_write_atomic(dir, META_NAME, text, strlen(text));
    if (!ok)
        log_error("cannot write %s/%s: %s", dir, META_NAME, strerror(errno));
out:
    free(text);
    json_decref(obj);
    return ok;
}

bool store_save(const char *dir, const char *text, size_t len, const struct store_meta *meta)
{
    if (!store_write_atomic(dir, MANIFEST_NAME, text, len)) {
        log_error("cannot keep the new schedule in %s/%s: %s; it plays now but not "
                  "after a restart without the server", dir, MANIFEST_NAME, strerror(errno));
        return false;
    }
    return store_save_meta(dir, meta);
}

/* Reads DIR/NAME whole, up to MAX bytes, NUL-terminated. */
static bool read_file(const char *dir, const char *name, size_t max, char **text,
                      size_t *len, char *why, size_t why_len)
{
    char url[4096];
    snprintf(url, sizeof(url), "%s/%s", dir, name);
    return source_read(url, max, text, len, why, why_len);
}

/* Copies string KEY of OBJ, if it is one: printable, no line breaks. */
static char *meta_string(json_t *obj, const char *key)
{
    const char *s = json_string_value(json_object_get(obj, key));
    if (!s)
        return NULL;
    for (const char *p = s; *p; p++) {
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            return NULL;
    }
    return strdup(s);
}

static void load_meta(const char *dir, const char *text_hash, struct store_meta *meta)
{
    char *text = NULL;
    size_t len = 0;
    char why[512];
    json_error_t error;
    json_t *obj = NULL;

    if (!read_file(dir, META_NAME, META_MAX, &text, &len, why, sizeof(why))) {
        log_info("the stored schedule has no record of its origin (%s); "
                 "it is asked for again in full", why);
        goto out;
    }
    obj = json_loadb(text, len, 0, &error);
    if (!json_is_object(obj)) {
        log_warn("%s/%s:%d:%d: unreadable (%s); ignored", dir, META_NAME, error.line,
                 error.column, obj ? "not a JSON object" : error.text);
        goto out;
    }
    meta->url = meta_string(obj, "url");
    meta->base = meta_string(obj, "base");
    const char *hash = json_string_value(json_object_get(obj, "sha256"));
    if (hash && strcmp(hash, text_hash) == 0) {
        meta->etag = meta_string(obj, "etag");
        meta->last_modified = meta_string(obj, "last_modified");
    } else {
        log_info("%s/%s belongs to another version of the stored schedule; its ETag "
                 "is not used", dir, META_NAME);
    }
out:
    memcpy(meta->sha256, text_hash, sizeof(meta->sha256));
    json_decref(obj);
    free(text);
}

bool store_load(const char *dir, char **text, size_t *len, struct store_meta *meta)
{
    char why[512];
    char path[4096];

    memset(meta, 0, sizeof(*meta));
    snprintf(path, sizeof(path), "%s/%s", dir, MANIFEST_NAME);
    if (access(path, F_OK) != 0) {
        log_info("no schedule stored in %s yet", dir);
        return false;
    }
    if (!read_file(dir, MANIFEST_NAME, STORE_MANIFEST_MAX, text, len, why, sizeof(why))) {
        log_warn("cannot use the stored schedule: %s", why);
        return false;
    }
    char hash[65];
    cache_sha256_hex(*text, *len, hash);
    load_meta(dir, hash, meta);
    return true;
}
