#include "render/wrap.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

uint32_t wrap_utf8_decode(const char *s, size_t len, size_t *clen)
{
    const unsigned char *u = (const unsigned char *)s;
    *clen = 1;
    if (u[0] < 0x80)
        return u[0];

    size_t need;
    uint32_t c;
    if ((u[0] & 0xe0) == 0xc0) {
        need = 2;
        c = u[0] & 0x1f;
    } else if ((u[0] & 0xf0) == 0xe0) {
        need = 3;
        c = u[0] & 0x0f;
    } else if ((u[0] & 0xf8) == 0xf0) {
        need = 4;
        c = u[0] & 0x07;
    } else {
        return 0xfffd;
    }
    if (need > len)
        return 0xfffd;
    for (size_t i = 1; i < need; i++) {
        if ((u[i] & 0xc0) != 0x80)
            return 0xfffd;
        c = (c << 6) | (u[i] & 0x3f);
    }
    *clen = need;
    return c;
}

static bool is_cjk(uint32_t c)
{
    return (c >= 0x1100 && c <= 0x11ff) ||   /* Hangul Jamo */
           (c >= 0x2e80 && c <= 0x9fff) ||   /* radicals, kana, CJK ideographs */
           (c >= 0xac00 && c <= 0xd7af) ||   /* Hangul syllables */
           (c >= 0xf900 && c <= 0xfaff) ||   /* compatibility ideographs */
           (c >= 0xfe30 && c <= 0xfe4f) ||   /* compatibility forms */
           (c >= 0xff00 && c <= 0xffef) ||   /* full-width forms */
           (c >= 0x20000 && c <= 0x3ffff);   /* supplementary ideographs */
}

/* Punctuation that must not begin a line (it closes or trails). */
static bool no_line_start(uint32_t c)
{
    static const uint32_t set[] = {
        0x3001, 0x3002, 0xff0c, 0xff0e, 0xff1a, 0xff1b, 0xff01, 0xff1f,
        0xff09, 0x300d, 0x300f, 0x3011, 0x3009, 0x300b, 0x201d, 0x2019,
        0x2026, 0x00b7, 0x30fc, ',', '.', ';', ':', '!', '?', ')', ']',
        '}', '%',
    };
    for (size_t i = 0; i < sizeof(set) / sizeof(set[0]); i++) {
        if (set[i] == c)
            return true;
    }
    return false;
}

/* Punctuation that must not end a line (it opens). */
static bool no_line_end(uint32_t c)
{
    static const uint32_t set[] = {
        0xff08, 0x300c, 0x300e, 0x3010, 0x3008, 0x300a, 0x201c, 0x2018,
        '(', '[', '{',
    };
    for (size_t i = 0; i < sizeof(set) / sizeof(set[0]); i++) {
        if (set[i] == c)
            return true;
    }
    return false;
}

static size_t trim_right(const char *text, size_t start, size_t end)
{
    while (end > start && (text[end - 1] == ' ' || text[end - 1] == '\t' ||
                           text[end - 1] == '\r'))
        end--;
    return end;
}

static bool push_line(struct wrap_line **lines, int *n, int *cap, size_t start, size_t len)
{
    if (*n == *cap) {
        int grown_cap = *cap ? *cap * 2 : 8;
        struct wrap_line *grown = realloc(*lines, sizeof(**lines) * (size_t)grown_cap);
        if (!grown)
            return false;
        *lines = grown;
        *cap = grown_cap;
    }
    (*lines)[(*n)++] = (struct wrap_line){start, len};
    return true;
}

/*
 * Finds where the line starting at START ends. Stores the end of its
 * visible text in *END and where the next line starts in *RESUME.
 */
static void wrap_one(const char *text, size_t n, size_t start, int max_w,
                     wrap_measure_fn measure, void *ctx, size_t *end, size_t *resume)
{
    size_t brk_end = 0, brk_resume = 0; /* last break opportunity, 0 = none */
    size_t i = start;

    while (i < n && text[i] != '\n') {
        size_t clen;
        uint32_t c = wrap_utf8_decode(text + i, n - i, &clen);
        size_t next = i + clen;

        size_t vis = trim_right(text, start, next);
        if (i > start && vis > start && measure(ctx, text + start, vis - start) > max_w) {
            if (brk_end > start) {
                *end = brk_end;
                *resume = brk_resume;
            } else {
                *end = i;
                *resume = i;
            }
            return;
        }

        if (next < n && text[next] != '\n') {
            size_t clen2;
            uint32_t c2 = wrap_utf8_decode(text + next, n - next, &clen2);
            bool space = c == ' ' || c == '\t';
            bool cjk_gap = (is_cjk(c) || is_cjk(c2)) && c2 != ' ' &&
                           !no_line_start(c2) && !no_line_end(c);
            if (space || cjk_gap || (c == '-' && c2 != ' ')) {
                brk_end = space ? trim_right(text, start, next) : next;
                brk_resume = next;
            }
        }
        i = next;
    }
    *end = i;
    *resume = i < n ? i + 1 : i; /* step over the newline */
}

int wrap_text(const char *text, int max_w, wrap_measure_fn measure, void *ctx,
              struct wrap_line **lines)
{
    size_t n = strlen(text);
    int count = 0, cap = 0;
    *lines = NULL;

    size_t pos = 0;
    bool after_newline = true;
    while (pos < n) {
        /* Spaces that a wrap left at the start of a line are dropped;
         * indentation after an explicit newline is kept. */
        if (!after_newline) {
            while (pos < n && (text[pos] == ' ' || text[pos] == '\t'))
                pos++;
            if (pos == n)
                break;
        }
        size_t end, resume;
        wrap_one(text, n, pos, max_w, measure, ctx, &end, &resume);
        end = trim_right(text, pos, end);
        if (!push_line(lines, &count, &cap, pos, end - pos)) {
            free(*lines);
            *lines = NULL;
            return -1;
        }
        after_newline = resume > 0 && text[resume - 1] == '\n';
        pos = resume;
    }
    return count;
}
