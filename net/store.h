/*
 * The last good schedule, kept on the terminal's storage so that it plays
 * at the next start even with the server unreachable:
 *
 *     DIR/manifest.json   the manifest text exactly as the server sent it
 *     DIR/manifest.meta   where it came from and its ETag / Last-Modified,
 *                         as a small JSON object
 *
 * Each is written to a temporary file, flushed, renamed over the old one
 * and the directory flushed, so a power cut leaves the old file or the new
 * one, never half of one. The manifest is written first: a crash between
 * the two leaves a sidecar whose "sha256" does not match, and its ETag is
 * then not used (a conditional request with a newer ETag than the text
 * held could be answered 304 forever).
 */
#ifndef LIANBO_STORE_H
#define LIANBO_STORE_H

#include <stdbool.h>
#include <stddef.h>

/* Largest manifest kept or read back, bytes; the player uses the same. */
#define STORE_MANIFEST_MAX (4 * 1024 * 1024)

struct store_meta {
    char *url;            /* the schedule.url it was fetched from */
    char *base;           /* its address after redirects; media resolve against it */
    char *etag;           /* of the reply that brought it; NULL if none */
    char *last_modified;
    char sha256[65];      /* of the manifest text it describes */
};

/*
 * Reads the stored manifest into *TEXT (NUL-terminated, caller frees) and
 * its sidecar into META. False when there is no stored manifest or it
 * cannot be read (the reason is logged). A missing, unreadable or
 * mismatched sidecar leaves META's strings NULL apart from what still
 * holds: the caller then falls back to the configured URL.
 */
bool store_load(const char *dir, char **text, size_t *len, struct store_meta *meta);

/* Stores TEXT as the last good manifest, then META (META.sha256 must be
 * that of TEXT). False with the reason logged. */
bool store_save(const char *dir, const char *text, size_t len, const struct store_meta *meta);

/* Stores META alone, as when a 200 reply repeats the manifest held. */
bool store_save_meta(const char *dir, const struct store_meta *meta);

/* Writes LEN bytes of DATA to DIR/NAME atomically and durably (see above).
 * False with errno set. */
bool store_write_atomic(const char *dir, const char *name, const void *data, size_t len);

/* Frees META's strings and clears it; accepts a cleared one. */
void store_meta_finish(struct store_meta *meta);

#endif
