#define LOG_MODULE "source"
#include "player/log.h"

#include "net/source.h"

#include <ctype.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

__attribute__((format(printf, 3, 4)))
static void say(char *why, size_t why_len, const char *fmt, ...)
{
    if (!why || why_len == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, why_len, fmt, ap);
    va_end(ap);
}

/* Length of the RFC 3986 scheme at the start of URL including its ':', or
 * 0 when URL has none. */
static size_t scheme_length(const char *url)
{
    if (!isalpha((unsigned char)url[0]))
        return 0;
    size_t i = 1;
    while (isalnum((unsigned char)url[i]) || url[i] == '+' || url[i] == '-' ||
           url[i] == '.')
        i++;
    return url[i] == ':' ? i + 1 : 0;
}

bool source_has_scheme(const char *url)
{
    return scheme_length(url) > 0;
}

bool source_is_http(const char *url)
{
    return strncasecmp(url, "http://", 7) == 0 || strncasecmp(url, "https://", 8) == 0;
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

char *source_percent_decode(const char *s, size_t len, char *why, size_t why_len)
{
    char *out = malloc(len + 1);
    if (!out) {
        say(why, why_len, "out of memory");
        return NULL;
    }
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        int hi = s[i] == '%' && i + 2 < len ? hex_value(s[i + 1]) : -1;
        int lo = hi >= 0 ? hex_value(s[i + 2]) : -1;
        if (lo < 0) {
            out[n++] = s[i];
            continue;
        }
        if (hi == 0 && lo == 0) {
            say(why, why_len, "%%00 (a NUL byte) cannot be part of a file name");
            free(out);
            return NULL;
        }
        out[n++] = (char)(hi * 16 + lo);
        i += 2;
    }
    out[n] = '\0';
    return out;
}

char *source_file_path(const char *url, char *why, size_t why_len)
{
    if (url[0] == '/')
        return strdup(url);

    size_t scheme = scheme_length(url);
    if (scheme == 0) {
        say(why, why_len, "neither a file:// URL nor an absolute path");
        return NULL;
    }
    if (scheme != 5 || strncasecmp(url, "file:", 5) != 0) {
        say(why, why_len, "\"%.*s\" URLs do not name a local file", (int)scheme - 1, url);
        return NULL;
    }

    const char *path = url + 5;
    if (path[0] == '/' && path[1] == '/') {
        const char *host = path + 2;
        path = strchr(host, '/');
        if (!path) {
            say(why, why_len, "file URL has no path after the host");
            return NULL;
        }
        size_t host_len = (size_t)(path - host);
        if (host_len != 0 &&
            !(host_len == 9 && strncasecmp(host, "localhost", 9) == 0)) {
            say(why, why_len, "file URL names another computer; only this one's "
                "files can be read (write file:///path or file://localhost/path)");
            return NULL;
        }
    }
    if (path[0] != '/') {
        say(why, why_len, "file URL must give an absolute path (file:///path)");
        return NULL;
    }
    return source_percent_decode(path, strlen(path), why, why_len);
}

/* Reads FD to its end into a buffer that grows from HINT bytes. Stops once
 * more than MAX_BYTES arrived so a file that grows while read cannot
 * exhaust memory; the caller then sees *LEN > MAX_BYTES. */
static bool read_all(int fd, size_t hint, size_t max_bytes, char **out, size_t *len,
                     char *why, size_t why_len)
{
    size_t limit = max_bytes < SIZE_MAX - 1 ? max_bytes + 1 : SIZE_MAX - 1;
    size_t cap = hint < limit ? hint + 1 : limit;
    if (cap < 64)
        cap = 64;
    char *buf = malloc(cap + 1);
    size_t n = 0;
    bool ok = false;
    if (!buf) {
        say(why, why_len, "out of memory");
        goto out;
    }
    while (n < limit) {
        if (n == cap) {
            size_t grown = cap > limit / 2 ? limit : cap * 2;
            char *bigger = realloc(buf, grown + 1);
            if (!bigger) {
                say(why, why_len, "out of memory");
                goto out;
            }
            buf = bigger;
            cap = grown;
        }
        ssize_t got = read(fd, buf + n, cap - n);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            say(why, why_len, "cannot read: %s", strerror(errno));
            goto out;
        }
        if (got == 0)
            break;
        n += (size_t)got;
    }
    buf[n] = '\0';
    *out = buf;
    *len = n;
    buf = NULL;
    ok = true;
out:
    free(buf);
    return ok;
}

bool source_read(const char *url, size_t max_bytes, char **out, size_t *out_len,
                 char *why, size_t why_len)
{
    char *path = NULL;
    char *buf = NULL;
    size_t len = 0;
    int fd = -1;
    bool ok = false;

    if (source_is_http(url)) {
        say(why, why_len, "http(s) schedules arrive with network sync; use a file:// URL");
        goto out;
    }
    path = source_file_path(url, why, why_len);
    if (!path)
        goto out;

    /* O_NONBLOCK keeps open() from waiting forever on a FIFO that nobody
     * writes; such files are refused just below. */
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        say(why, why_len, "cannot open %s: %s", path, strerror(errno));
        goto out;
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        say(why, why_len, "cannot stat %s: %s", path, strerror(errno));
        goto out;
    }
    if (S_ISDIR(st.st_mode)) {
        say(why, why_len, "%s is a directory, not a schedule file", path);
        goto out;
    }
    if (!S_ISREG(st.st_mode)) {
        say(why, why_len, "%s is not a regular file", path);
        goto out;
    }
    if ((uintmax_t)st.st_size > max_bytes) {
        say(why, why_len, "too large: %jd bytes, the limit is %zu",
            (intmax_t)st.st_size, max_bytes);
        goto out;
    }
    if (!read_all(fd, (size_t)st.st_size, max_bytes, &buf, &len, why, why_len))
        goto out;
    if (len > max_bytes) {
        say(why, why_len, "too large: more than %zu bytes", max_bytes);
        goto out;
    }
    if (len == 0) {
        say(why, why_len, "empty document");
        goto out;
    }
    log_debug("read %zu bytes from %s", len, path);
    *out = buf;
    if (out_len)
        *out_len = len;
    buf = NULL;
    ok = true;
out:
    if (fd >= 0)
        close(fd);
    free(buf);
    free(path);
    return ok;
}

/* Whether byte C may stand as it is in a URL sent to a server. The rest,
 * spaces and UTF-8 bytes above all, are written as %XX. */
static bool url_byte_ok(unsigned char c)
{
    return c > 0x20 && c < 0x7f && !strchr("\"<>\\^`{|}", c);
}

/* Percent-encodes what URL cannot hold as it is. Caller frees. */
static char *url_encode(const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t len = strlen(s);
    char *out = malloc(3 * len + 1);
    size_t n = 0;
    if (!out)
        return NULL;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        bool escape = c == '%' ? hex_value(s[i + 1]) < 0 || hex_value(s[i + 2]) < 0
                               : !url_byte_ok(c);
        if (escape) {
            out[n++] = '%';
            out[n++] = hex[c >> 4];
            out[n++] = hex[c & 15];
        } else {
            out[n++] = (char)c;
        }
    }
    out[n] = '\0';
    return out;
}

char *source_http_url(const char *base, const char *ref, char *why, size_t why_len)
{
    char *base_enc = url_encode(base);
    char *ref_enc = url_encode(ref);
    char *scheme = NULL, *joined = NULL, *result = NULL;
    CURLU *u = curl_url();
    CURLUcode rc;

    if (!base_enc || !ref_enc || !u) {
        say(why, why_len, "out of memory");
        goto out;
    }
    if (!ref[0]) {
        say(why, why_len, "empty address");
        goto out;
    }
    if (source_has_scheme(ref) && !source_is_http(ref)) {
        say(why, why_len, "a manifest from a web server may only name http:// or "
            "https:// media, or names relative to the manifest (a name with a "
            "colon, such as a:b.png, reads as an address of another kind; write "
            "./a:b.png)");
        goto out;
    }
    rc = curl_url_set(u, CURLUPART_URL, base_enc, 0);
    if (rc != CURLUE_OK) {
        say(why, why_len, "the manifest's address is not a URL: %s", curl_url_strerror(rc));
        goto out;
    }
    /* On a handle that holds a URL, a relative one is resolved against it. */
    rc = curl_url_set(u, CURLUPART_URL, ref_enc, 0);
    if (rc != CURLUE_OK) {
        say(why, why_len, "not a usable address: %s", curl_url_strerror(rc));
        goto out;
    }
    if (curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
        (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0)) {
        say(why, why_len, "does not lead to an http:// or https:// address");
        goto out;
    }
    if (curl_url_get(u, CURLUPART_URL, &joined, 0) != CURLUE_OK) {
        say(why, why_len, "cannot put the address together");
        goto out;
    }
    result = strdup(joined);
    if (!result)
        say(why, why_len, "out of memory");
out:
    curl_free(joined);
    curl_free(scheme);
    curl_url_cleanup(u);
    free(ref_enc);
    free(base_enc);
    return result;
}
