/*
 * Line breaking for notices written in Chinese, English or both.
 *
 * Latin text breaks at spaces; CJK text may break between any two
 * ideographs, except that closing punctuation never starts a line and
 * opening punctuation never ends one. A word wider than the line is broken
 * between characters rather than clipped. A newline in the text always
 * starts a new line.
 */
#ifndef LIANBO_WRAP_H
#define LIANBO_WRAP_H

#include <stddef.h>
#include <stdint.h>

/* Returns the width in pixels of the LEN bytes of UTF-8 at S. */
typedef int (*wrap_measure_fn)(void *ctx, const char *s, size_t len);

struct wrap_line {
    size_t start; /* byte offset into the text */
    size_t len;   /* bytes, trailing spaces excluded */
};

/*
 * Breaks TEXT into lines no wider than MAX_W pixels (a line holds at least
 * one character even if that alone is wider). Stores a malloc'd array the
 * caller frees in *LINES and returns how many lines it holds, or -1 when
 * out of memory.
 */
int wrap_text(const char *text, int max_w, wrap_measure_fn measure, void *ctx,
              struct wrap_line **lines);

/* Decodes one UTF-8 character at S (at most LEN bytes); stores its length
 * in *CLEN (at least 1). Malformed input decodes as U+FFFD. */
uint32_t wrap_utf8_decode(const char *s, size_t len, size_t *clen);

#endif
