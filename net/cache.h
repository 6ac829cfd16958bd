/*
 * The media cache on the terminal's own storage, stored by content:
 *
 *     DIR/media/<sha256>          a file checked against its size and hash
 *     DIR/partial/<sha256>.part   a download in progress, resumable
 *     DIR/pins/<owner>            hashes kept for something besides the
 *                                 schedule (the alerts' own media)
 *
 * A file is in media/ only once it matched the size and SHA-256 the
 * manifest gives; it gets there by fsync, rename and an fsync of the
 * directory, so a power cut at any moment leaves either no file or a good
 * one. The same content used twice, or under another name, is stored once.
 *
 * Not thread-safe: one thread uses a cache object. The schedule's sync and
 * the alerts feed each open their own on the same directory; files are
 * named by content and moved in by rename, and pins keep each one's files
 * safe from the other's collection.
 */
#ifndef LIANBO_CACHE_H
#define LIANBO_CACHE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "net/fetch.h"

struct cache;

/*
 * Opens the cache in DIR, creating media/ and partial/ as needed.
 * MAX_BYTES caps what is kept (0: no cap but the disk). Hashing a large
 * file stops early once CANCEL (may be NULL) turns true. NULL with the
 * reason logged when the directories cannot be made.
 */
struct cache *cache_create(const char *dir, int64_t max_bytes, const atomic_bool *cancel);
void cache_destroy(struct cache *c); /* accepts NULL */

/* Whether SHA256 is 64 lower-case hex digits, the only names used here. */
bool cache_valid_hash(const char *sha256);

/* The SHA-256 of LEN bytes at DATA as lower-case hex into OUT. */
void cache_sha256_hex(const void *data, size_t len, char out[65]);

/*
 * The stored file with SHA256 and SIZE: its path (caller frees), or NULL
 * when there is none. The size is checked every time; with HASH the
 * content is hashed too, once per cache object (once per run of the
 * player). A file that fails either check is deleted so that it is
 * downloaded again. A file found is marked as used now, which is what the
 * size cap's least-recently-used order goes by.
 */
char *cache_find(struct cache *c, const char *sha256, int64_t size, bool hash);

enum cache_result {
    CACHE_STORED,     /* downloaded, checked, in media/ */
    CACHE_FAILED,     /* try again later; what was good is kept to resume */
    CACHE_NO_SPACE,   /* disk full or over the cap; the partial file is gone */
    CACHE_CANCELLED,  /* stopped by CANCEL; the partial file is kept */
};

/*
 * Downloads media SHA256 of SIZE bytes from REQUEST->url (the other
 * request fields apply as given; max_bytes and resuming are set here),
 * continuing a partial file left by an earlier try, even one from before a
 * restart. To make room under the cap, unused files are evicted: any not
 * named in KEEP (N_KEEP hashes), least recently used first. *GREW says
 * whether a transfer cut short (a timeout, a dropped link) still made the
 * partial file longer: progress kept for the next try. WHY says what went
 * wrong, for a log line.
 */
enum cache_result cache_download(struct cache *c, const struct fetch_request *request,
                                 const char *sha256, int64_t size,
                                 const char *const *keep, size_t n_keep,
                                 bool *grew, char *why, size_t why_len);

/*
 * The steps of a download, apart for tests. cache_partial_open() opens
 * (creating it if needed) the partial file for SHA256 and sets *HAVE to
 * the bytes it holds, emptying it first if it is longer than SIZE; -1 with
 * errno on failure. cache_partial_commit() checks what FD holds against
 * SIZE and SHA256 and moves it into the store (CACHE_STORED) or deletes it
 * (CACHE_FAILED, reason in WHY). FD stays the caller's to close.
 */
int cache_partial_open(struct cache *c, const char *sha256, int64_t size, int64_t *have);
enum cache_result cache_partial_commit(struct cache *c, int fd, const char *sha256,
                                       int64_t size, char *why, size_t why_len);

/*
 * Replaces OWNER's pins (a file name: letters, digits, '-' and '_') with
 * the N hashes in HASHES. A pinned file is never collected or evicted, by
 * this cache object or any other on the same directory, also after a
 * restart, until its owner pins other hashes. False with the reason
 * logged when the list cannot be written.
 */
bool cache_pin(struct cache *c, const char *owner, const char *const *hashes, size_t n);

/*
 * Deletes every stored and partial file whose hash is neither among the
 * N_KEEP in KEEP nor pinned: run once a new schedule is playing.
 */
void cache_collect(struct cache *c, const char *const *keep, size_t n_keep);

/*
 * Evicts files neither in KEEP nor pinned, least recently used first, until NEED more
 * bytes fit under the cap. False when they cannot: the files in KEEP alone
 * are too many. Always true without a cap.
 */
bool cache_make_room(struct cache *c, const char *const *keep, size_t n_keep, int64_t need);

/* Bytes held in media/ and partial/ together. */
int64_t cache_bytes(struct cache *c);

#endif
