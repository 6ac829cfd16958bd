/*
 * Where schedule documents come from. source_read() reads a local file,
 * named by a file:// URL or an absolute path; http(s) schedules are
 * fetched by network sync (net/sync.c), which uses source_http_url() for
 * the media they name.
 *
 * The URL helpers here are shared with the manifest parser, which resolves
 * media URLs the same way.
 */
#ifndef LIANBO_SOURCE_H
#define LIANBO_SOURCE_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Reads the document at URL into a NUL-terminated buffer the caller frees.
 * At most MAX_BYTES; a larger document is refused. On failure returns false
 * and writes a reason to WHY; the caller adds the URL. OUT_LEN may be
 * NULL.
 */
bool source_read(const char *url, size_t max_bytes, char **out, size_t *out_len,
                 char *why, size_t why_len);

/* Whether URL starts with http:// or https:// (the scheme in any case). */
bool source_is_http(const char *url);

/* Whether URL starts with a scheme such as "file:" or "http:" (RFC 3986),
 * as opposed to being a plain path. */
bool source_has_scheme(const char *url);

/*
 * Returns the local path that URL names: a file:// URL (host empty or
 * "localhost", percent escapes decoded) or a path starting with '/', taken
 * as written. Anything else gives NULL and a reason in WHY. Caller frees.
 */
char *source_file_path(const char *url, char *why, size_t why_len);

/*
 * Decodes the LEN bytes at S, turning %XX into the byte it names. A '%' not
 * followed by two hex digits is kept as written, so file names such as
 * "50% off.jpg" work unescaped. %00 is refused (NULL, reason in WHY) because
 * it would cut the name short. Caller frees.
 */
char *source_percent_decode(const char *s, size_t len, char *why, size_t why_len);

/*
 * The address to request for media REF of a manifest read from the http(s)
 * URL BASE, as a web browser works it out: a relative REF ("media/a.png",
 * "../b.png", "/c.png", "//host/d.png") resolves against BASE, an absolute
 * http(s) one stands alone. Spaces, non-ASCII characters (Chinese file
 * names) and other bytes a URL cannot hold are percent-encoded; escapes
 * already written stay as they are, and a '%' not followed by two hex
 * digits is sent as %25. Anything that does not end up as an http(s) URL
 * (file://, "a:b.png") gives NULL and a reason in WHY. Caller frees.
 */
char *source_http_url(const char *base, const char *ref, char *why, size_t why_len);

#endif
