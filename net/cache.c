#define LOG_MODULE "cache"
#include "player/log.h"

#include "net/cache.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libavutil/mem.h>
#include <libavutil/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "net/store.h"
#include "player/paths.h"

/* Read size while hashing, bytes: large enough for an SD card to stream. */
#define HASH_CHUNK (256 * 1024)

#define PART_SUFFIX ".part"

/* Most hashes read from one owner's pin list: far more than any alerts
 * document may name. */
#define MAX_PINS 256

struct cache {
    char *media_dir;
    char *partial_dir;
    char *pins_dir;
    int64_t max_bytes;
    const atomic_bool *cancel;

    /* Hashes whose stored file was hashed in this run and matched. */
    char (*verified)[65];
    size_t n_verified, cap_verified;
};

/* A file in media/ or partial/, for collection and eviction. */
struct entry {
    char hash[65];
    bool partial;
    int64_t bytes;
    struct timespec used;
};

static char *join(const char *dir, const char *name)
{
    size_t len = strlen(dir) + strlen(name) + 2;
    char *path = malloc(len);
    if (path)
        snprintf(path, len, "%s/%s", dir, name);
    return path;
}

static char *media_path(const struct cache *c, const char *sha256)
{
    return join(c->media_dir, sha256);
}

static char *partial_path(const struct cache *c, const char *sha256)
{
    char name[65 + sizeof(PART_SUFFIX)];
    snprintf(name, sizeof(name), "%s" PART_SUFFIX, sha256);
    return join(c->partial_dir, name);
}

bool cache_valid_hash(const char *sha256)
{
    return sha256 && strlen(sha256) == 64 && strspn(sha256, "0123456789abcdef") == 64;
}

static void hex(const uint8_t digest[32], char out[65])
{
    static const char digits[] = "0123456789abcdef";
    for (int i = 0; i < 32; i++) {
        out[2 * i] = digits[digest[i] >> 4];
        out[2 * i + 1] = digits[digest[i] & 15];
    }
    out[64] = '\0';
}

void cache_sha256_hex(const void *data, size_t len, char out[65])
{
    struct AVSHA *sha = av_sha_alloc();
    uint8_t digest[32];
    if (!sha || av_sha_init(sha, 256) != 0) {
        /* Matches no real hash, so nothing is taken for verified. */
        memset(out, 'x', 64);
        out[64] = '\0';
        av_free(sha);
        return;
    }
    av_sha_update(sha, data, len);
    av_sha_final(sha, digest);
    av_free(sha);
    hex(digest, out);
}

/* Hashes FD from its start into OUT. False on a read error (errno set) or
 * when cancelled. */
static bool hash_fd(const struct cache *c, int fd, char out[65])
{
    struct AVSHA *sha = av_sha_alloc();
    uint8_t *buf = malloc(HASH_CHUNK);
    uint8_t digest[32];
    off_t at = 0;
    bool ok = false;

    if (!sha || !buf || av_sha_init(sha, 256) != 0) {
        errno = ENOMEM;
        goto out;
    }
    for (;;) {
        if (c->cancel && atomic_load(c->cancel)) {
            errno = ECANCELED;
            goto out;
        }
        ssize_t n = pread(fd, buf, HASH_CHUNK, at);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            goto out;
        if (n == 0)
            break;
        av_sha_update(sha, buf, (size_t)n);
        at += n;
    }
    av_sha_final(sha, digest);
    hex(digest, out);
    ok = true;
out:
    free(buf);
    av_free(sha);
    return ok;
}

static bool sync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return false;
    bool ok = fsync(fd) == 0;
    close(fd);
    return ok;
}

static void mark_used(const char *path)
{
    /* Both times to now; the eviction order reads the modification time,
     * which unlike the access time no mount option turns off. */
    if (utimensat(AT_FDCWD, path, NULL, 0) != 0)
        log_debug("cannot mark %s as used: %s", path, strerror(errno));
}

static bool is_verified(const struct cache *c, const char *sha256)
{
    for (size_t i = 0; i < c->n_verified; i++) {
        if (strcmp(c->verified[i], sha256) == 0)
            return true;
    }
    return false;
}

static void set_verified(struct cache *c, const char *sha256)
{
    if (is_verified(c, sha256))
        return;
    if (c->n_verified == c->cap_verified) {
        size_t cap = c->cap_verified ? c->cap_verified * 2 : 32;
        void *grown = realloc(c->verified, cap * sizeof(*c->verified));
        /* Without room it is only hashed again next time. */
        if (!grown)
            return;
        c->verified = grown;
        c->cap_verified = cap;
    }
    memcpy(c->verified[c->n_verified++], sha256, 65);
}

static void forget_verified(struct cache *c, const char *sha256)
{
    for (size_t i = 0; i < c->n_verified; i++) {
        if (strcmp(c->verified[i], sha256) == 0) {
            memcpy(c->verified[i], c->verified[--c->n_verified], 65);
            return;
        }
    }
}

struct cache *cache_create(const char *dir, int64_t max_bytes, const atomic_bool *cancel)
{
    struct cache *c = calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    c->max_bytes = max_bytes > 0 ? max_bytes : 0;
    c->cancel = cancel;
    c->media_dir = join(dir, "media");
    c->partial_dir = join(dir, "partial");
    c->pins_dir = join(dir, "pins");
    if (!c->media_dir || !c->partial_dir || !c->pins_dir)
        goto fail;
    if (!paths_mkdirs(c->media_dir) || !paths_mkdirs(c->partial_dir) ||
        !paths_mkdirs(c->pins_dir)) {
        log_error("cannot create the media cache in %s: %s", dir, strerror(errno));
        goto fail;
    }
    return c;
fail:
    cache_destroy(c);
    return NULL;
}

void cache_destroy(struct cache *c)
{
    if (!c)
        return;
    free(c->media_dir);
    free(c->partial_dir);
    free(c->pins_dir);
    free(c->verified);
    free(c);
}

/* Deletes a stored file that failed a check, saying why for the log. */
static void discard_stored(struct cache *c, const char *path, const char *sha256,
                           const char *why)
{
    log_warn("cached media %s is damaged (%s); deleted, it will be downloaded again",
             sha256, why);
    if (unlink(path) != 0 && errno != ENOENT)
        log_error("cannot delete %s: %s", path, strerror(errno));
    forget_verified(c, sha256);
}

char *cache_find(struct cache *c, const char *sha256, int64_t size, bool hash)
{
    char *path = NULL;
    int fd = -1;
    struct stat st;
    char got[65];

    if (!cache_valid_hash(sha256))
        return NULL;
    path = media_path(c, sha256);
    if (!path || stat(path, &st) != 0)
        goto fail;
    if (!S_ISREG(st.st_mode) || st.st_size != size) {
        char why[96];
        snprintf(why, sizeof(why), "%jd bytes instead of %" PRId64,
                 (intmax_t)st.st_size, size);
        discard_stored(c, path, sha256, why);
        goto fail;
    }
    if (hash && !is_verified(c, sha256)) {
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0 || !hash_fd(c, fd, got)) {
            if (errno != ECANCELED)
                log_warn("cannot read cached media %s: %s", path, strerror(errno));
            goto fail;
        }
        if (strcmp(got, sha256) != 0) {
            discard_stored(c, path, sha256, "its content has another SHA-256");
            goto fail;
        }
        set_verified(c, sha256);
    }
    if (fd >= 0)
        close(fd);
    mark_used(path);
    return path;
fail:
    if (fd >= 0)
        close(fd);
    free(path);
    return NULL;
}

int cache_partial_open(struct cache *c, const char *sha256, int64_t size, int64_t *have)
{
    char *path = NULL;
    struct stat st;
    int fd = -1;

    if (!cache_valid_hash(sha256)) {
        errno = EINVAL;
        return -1;
    }
    path = partial_path(c, sha256);
    if (!path) {
        errno = ENOMEM;
        return -1;
    }
    fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0 || fstat(fd, &st) != 0)
        goto fail;
    *have = st.st_size;
    /* Longer than the file can be: not a piece of it, so start over. */
    if (*have > size) {
        if (ftruncate(fd, 0) != 0)
            goto fail;
        *have = 0;
    }
    free(path);
    return fd;
fail:
    {
        int saved = errno;
        if (fd >= 0)
            close(fd);
        free(path);
        errno = saved;
    }
    return -1;
}

static void discard_partial(struct cache *c, const char *sha256)
{
    char *path = partial_path(c, sha256);
    if (path && unlink(path) != 0 && errno != ENOENT)
        log_error("cannot delete %s: %s", path, strerror(errno));
    free(path);
}

/* Makes the partial file the stored one, durably: the content reaches the
 * card before the name does, and the name before we count on it. */
static bool commit_rename(struct cache *c, int fd, const char *sha256, char *why,
                          size_t why_len)
{
    char *from = partial_path(c, sha256);
    char *to = media_path(c, sha256);
    bool ok = false;

    if (!from || !to) {
        snprintf(why, why_len, "out of memory");
    } else if (fsync(fd) != 0) {
        snprintf(why, why_len, "cannot flush %s to the card: %s", from, strerror(errno));
    } else if (rename(from, to) != 0) {
        snprintf(why, why_len, "cannot move %s to %s: %s", from, to, strerror(errno));
    } else if (!sync_dir(c->media_dir) || !sync_dir(c->partial_dir)) {
        snprintf(why, why_len, "cannot flush the cache directory: %s", strerror(errno));
        /* The file is whole; only its name may not survive a power cut. */
        ok = true;
    } else {
        ok = true;
    }
    free(from);
    free(to);
    return ok;
}

enum cache_result cache_partial_commit(struct cache *c, int fd, const char *sha256,
                                       int64_t size, char *why, size_t why_len)
{
    struct stat st;
    char got[65];

    if (fstat(fd, &st) != 0) {
        snprintf(why, why_len, "cannot look at the download: %s", strerror(errno));
        goto bad;
    }
    if (st.st_size == 0) {
        snprintf(why, why_len, "the server sent an empty file");
        goto bad;
    }
    if (st.st_size != size) {
        snprintf(why, why_len, "the server sent %jd bytes, the manifest says %" PRId64,
                 (intmax_t)st.st_size, size);
        goto bad;
    }
    if (!hash_fd(c, fd, got)) {
        if (errno == ECANCELED)
            return CACHE_CANCELLED;
        snprintf(why, why_len, "cannot read the download back: %s", strerror(errno));
        goto bad;
    }
    if (strcmp(got, sha256) != 0) {
        snprintf(why, why_len, "the file that came has SHA-256 %s, the manifest says %s",
                 got, sha256);
        goto bad;
    }
    if (!commit_rename(c, fd, sha256, why, why_len))
        goto bad;
    set_verified(c, sha256);
    char *path = media_path(c, sha256);
    if (path)
        mark_used(path);
    free(path);
    return CACHE_STORED;
bad:
    discard_partial(c, sha256);
    return CACHE_FAILED;
}

/* ---- Listing, collecting, evicting ---- */

static bool in_keep(const char *hash, const char *const *keep, size_t n_keep)
{
    for (size_t i = 0; i < n_keep; i++) {
        if (keep[i] && strcmp(keep[i], hash) == 0)
            return true;
    }
    return false;
}

/* ---- Pins ---- */

struct pins {
    char (*hash)[65];
    size_t n, cap;
};

static bool valid_owner(const char *owner)
{
    size_t n = strlen(owner);
    return n > 0 && n < 64 &&
           strspn(owner, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_") == n;
}

static void pins_add(struct pins *p, const char *hash)
{
    if (p->n == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 16;
        char(*grown)[65] = realloc(p->hash, cap * sizeof(*grown));
        if (!grown)
            return;
        p->hash = grown;
        p->cap = cap;
    }
    memcpy(p->hash[p->n++], hash, 65);
}

/* Adds the hashes listed in the pin file NAME of directory D. */
static void pins_read_one(DIR *d, const char *name, struct pins *p)
{
    int fd = openat(dirfd(d), name, O_RDONLY | O_CLOEXEC);
    FILE *f = fd >= 0 ? fdopen(fd, "r") : NULL;
    char line[128];
    if (!f) {
        if (fd >= 0)
            close(fd);
        return;
    }
    for (int i = 0; i < MAX_PINS && fgets(line, sizeof(line), f); i++) {
        line[strcspn(line, "\r\n")] = '\0';
        if (cache_valid_hash(line))
            pins_add(p, line);
    }
    fclose(f);
}

/* Every owner's pins, read afresh each time: another cache object on the
 * same directory (another thread) may have changed them. */
static void pins_read(const struct cache *c, struct pins *p)
{
    *p = (struct pins){0};
    DIR *d = opendir(c->pins_dir);
    struct dirent *de;
    if (!d)
        return;
    while ((de = readdir(d))) {
        if (valid_owner(de->d_name))
            pins_read_one(d, de->d_name, p);
    }
    closedir(d);
}

static bool pinned(const struct pins *p, const char *hash)
{
    for (size_t i = 0; i < p->n; i++) {
        if (strcmp(p->hash[i], hash) == 0)
            return true;
    }
    return false;
}

bool cache_pin(struct cache *c, const char *owner, const char *const *hashes, size_t n)
{
    if (!valid_owner(owner)) {
        log_error("cannot pin media for \"%s\": not a usable file name", owner);
        return false;
    }
    char *text = calloc(n ? n : 1, 65);
    size_t len = 0;
    if (!text) {
        log_error("out of memory pinning media for %s", owner);
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        if (!cache_valid_hash(hashes[i]))
            continue;
        memcpy(text + len, hashes[i], 64);
        text[len + 64] = '\n';
        len += 65;
    }
    bool ok = store_write_atomic(c->pins_dir, owner, text, len);
    if (!ok)
        log_error("cannot write the media kept for %s in %s: %s", owner, c->pins_dir,
                  strerror(errno));
    free(text);
    return ok;
}

/* Appends the cache's own files in DIR to *LIST. Other names are left
 * alone: they are not ours to delete. */
static void list_dir(const char *dir, bool partial, struct entry **list, size_t *n,
                     size_t *cap)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    if (!d)
        return;
    while ((de = readdir(d))) {
        struct entry e = {.partial = partial};
        size_t len = strlen(de->d_name);
        size_t want = partial ? 64 + strlen(PART_SUFFIX) : 64;
        if (len != want || (partial && strcmp(de->d_name + 64, PART_SUFFIX) != 0))
            continue;
        memcpy(e.hash, de->d_name, 64);
        e.hash[64] = '\0';
        struct stat st;
        if (!cache_valid_hash(e.hash) || fstatat(dirfd(d), de->d_name, &st, 0) != 0 ||
            !S_ISREG(st.st_mode)) {
            continue;
        }
        e.bytes = st.st_size;
        e.used = st.st_mtim;
        if (*n == *cap) {
            size_t grown_cap = *cap ? *cap * 2 : 64;
            struct entry *grown = realloc(*list, grown_cap * sizeof(**list));
            if (!grown)
                break;
            *list = grown;
            *cap = grown_cap;
        }
        (*list)[(*n)++] = e;
    }
    closedir(d);
}

static struct entry *list_all(struct cache *c, size_t *n)
{
    struct entry *list = NULL;
    size_t cap = 0;
    *n = 0;
    list_dir(c->media_dir, false, &list, n, &cap);
    list_dir(c->partial_dir, true, &list, n, &cap);
    return list;
}

static void remove_entry(struct cache *c, const struct entry *e, const char *why)
{
    char *path = e->partial ? partial_path(c, e->hash) : media_path(c, e->hash);
    if (!path)
        return;
    if (unlink(path) == 0)
        log_info("removed %s%s (%" PRId64 " bytes): %s", e->hash,
                 e->partial ? " (partial download)" : "", e->bytes, why);
    else if (errno != ENOENT)
        log_error("cannot remove %s: %s", path, strerror(errno));
    if (!e->partial)
        forget_verified(c, e->hash);
    free(path);
}

void cache_collect(struct cache *c, const char *const *keep, size_t n_keep)
{
    size_t n;
    struct pins pins;
    struct entry *list = list_all(c, &n);
    pins_read(c, &pins);
    for (size_t i = 0; i < n; i++) {
        if (!in_keep(list[i].hash, keep, n_keep) && !pinned(&pins, list[i].hash))
            remove_entry(c, &list[i], "the schedule no longer uses it");
    }
    free(pins.hash);
    free(list);
}

int64_t cache_bytes(struct cache *c)
{
    size_t n;
    int64_t total = 0;
    struct entry *list = list_all(c, &n);
    for (size_t i = 0; i < n; i++)
        total += list[i].bytes;
    free(list);
    return total;
}

/* Least recently used first; partial files before whole ones, as they
 * are worth less; the name breaks ties so the order is always the same. */
static int entry_order(const void *a, const void *b)
{
    const struct entry *x = a, *y = b;
    if (x->partial != y->partial)
        return x->partial ? -1 : 1;
    if (x->used.tv_sec != y->used.tv_sec)
        return x->used.tv_sec < y->used.tv_sec ? -1 : 1;
    if (x->used.tv_nsec != y->used.tv_nsec)
        return x->used.tv_nsec < y->used.tv_nsec ? -1 : 1;
    return strcmp(x->hash, y->hash);
}

bool cache_make_room(struct cache *c, const char *const *keep, size_t n_keep, int64_t need)
{
    size_t n;
    int64_t total = 0;
    bool ok;

    if (c->max_bytes == 0)
        return true;
    struct pins pins;
    struct entry *list = list_all(c, &n);
    pins_read(c, &pins);
    for (size_t i = 0; i < n; i++)
        total += list[i].bytes;
    qsort(list, n, sizeof(*list), entry_order);
    for (size_t i = 0; i < n && total + need > c->max_bytes; i++) {
        if (in_keep(list[i].hash, keep, n_keep) || pinned(&pins, list[i].hash))
            continue;
        remove_entry(c, &list[i], "making room under cache.max_mb");
        total -= list[i].bytes;
    }
    ok = total + need <= c->max_bytes;
    free(pins.hash);
    free(list);
    return ok;
}

/* ---- Downloading ---- */

static enum cache_result judge_fetch(struct cache *c, const struct fetch_reply *r,
                                     int fd, const char *sha256, int64_t size,
                                     char *why, size_t why_len)
{
    switch (r->status) {
    case FETCH_CANCELLED:
        return CACHE_CANCELLED;
    case FETCH_WRITE_FAILED:
        discard_partial(c, sha256);
        snprintf(why, why_len, "%s", r->error);
        return r->write_errno == ENOSPC || r->write_errno == EDQUOT ? CACHE_NO_SPACE
                                                                   : CACHE_FAILED;
    case FETCH_BAD_RANGE:
        /* The piece held may not belong with what the server has now. */
        if (ftruncate(fd, 0) != 0)
            discard_partial(c, sha256);
        snprintf(why, why_len, "%s; starting again from the first byte", r->error);
        return CACHE_FAILED;
    case FETCH_FAILED:
        snprintf(why, why_len, "%s (%" PRId64 " of %" PRId64 " bytes kept to resume)",
                 r->error, r->file_bytes, size);
        return CACHE_FAILED;
    case FETCH_TOO_LARGE:
        /* Cut off at the size: the hash decides whether what came is good. */
        log_warn("%s", r->error);
        if (r->file_bytes != size) {
            snprintf(why, why_len, "%s", r->error);
            discard_partial(c, sha256);
            return CACHE_FAILED;
        }
        break;
    case FETCH_DONE:
        if (r->code == 416) {
            /* The piece held is not a beginning of the file the server has. */
            if (ftruncate(fd, 0) != 0)
                discard_partial(c, sha256);
            snprintf(why, why_len, "the server refused to resume (HTTP 416); "
                     "starting again from the first byte");
            return CACHE_FAILED;
        }
        if (r->code != 200 && r->code != 206) {
            snprintf(why, why_len, "the server answered HTTP %ld", r->code);
            return CACHE_FAILED;
        }
        break;
    }
    return cache_partial_commit(c, fd, sha256, size, why, why_len);
}

enum cache_result cache_download(struct cache *c, const struct fetch_request *request,
                                 const char *sha256, int64_t size,
                                 const char *const *keep, size_t n_keep,
                                 bool *grew, char *why, size_t why_len)
{
    struct fetch_request rq = *request;
    struct fetch_reply reply = {0};
    enum cache_result result;
    int64_t have = 0;

    why[0] = '\0';
    *grew = false;
    int fd = cache_partial_open(c, sha256, size, &have);
    if (fd < 0) {
        snprintf(why, why_len, "cannot open the partial file for %s: %s", sha256,
                 strerror(errno));
        return errno == ENOSPC || errno == EDQUOT ? CACHE_NO_SPACE : CACHE_FAILED;
    }
    /* The schedule and the alerts download on threads of their own and
     * may want the same file at once: one writes, the other comes back
     * later and finds it stored. The lock goes with the descriptor. */
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        snprintf(why, why_len, "another download of the same file is under way");
        close(fd);
        return CACHE_FAILED;
    }
    if (!cache_make_room(c, keep, n_keep, size - have)) {
        snprintf(why, why_len, "the cache cannot hold it: the files the schedule "
                 "uses need more than cache.max_mb (%" PRId64 " MB) allows",
                 c->max_bytes / (1024 * 1024));
        discard_partial(c, sha256);
        result = CACHE_NO_SPACE;
        goto out;
    }
    /* A complete partial file (the player stopped while checking it) only
     * needs checking. */
    if (have == size) {
        result = cache_partial_commit(c, fd, sha256, size, why, why_len);
        goto out;
    }
    if (have > 0)
        log_info("resuming %s at byte %" PRId64 " of %" PRId64, rq.url, have, size);
    rq.max_bytes = size;
    rq.compressed = false;
    fetch_to_file(&rq, fd, have, &reply);
    /* Only a transfer cut short keeps its bytes; any other failure has
     * discarded or emptied the partial file. */
    *grew = reply.status == FETCH_FAILED && reply.file_bytes > have;
    result = judge_fetch(c, &reply, fd, sha256, size, why, why_len);
out:
    fetch_reply_finish(&reply);
    close(fd);
    return result;
}
