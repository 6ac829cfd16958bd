/*
 * A few lines of test harness shared by the unit test programs. Each check
 * that fails prints where and why; check_finish() prints the count and
 * gives the exit status meson expects.
 */
#ifndef LIANBO_TESTS_CHECK_H
#define LIANBO_TESTS_CHECK_H

#include <stdio.h>
#include <string.h>

static int check_passed;
static int check_failed;

#define CHECK(cond, ...)                                                   \
    do {                                                                   \
        if (cond) {                                                        \
            check_passed++;                                                \
        } else {                                                           \
            check_failed++;                                                \
            fprintf(stderr, "%s:%d: check failed: %s: ", __FILE__,         \
                    __LINE__, #cond);                                      \
            fprintf(stderr, __VA_ARGS__);                                  \
            fputc('\n', stderr);                                           \
        }                                                                  \
    } while (0)

static inline int check_str_eq(const char *got, const char *want)
{
    return got && want && strcmp(got, want) == 0;
}

static inline const char *check_str_show(const char *s)
{
    return s ? s : "(null)";
}

#define CHECK_STR(got, want)                                               \
    CHECK(check_str_eq((got), (want)), "got \"%s\", want \"%s\"",         \
          check_str_show(got), check_str_show(want))

static inline int check_finish(void)
{
    printf("%d passed, %d failed\n", check_passed, check_failed);
    return check_failed ? 1 : 0;
}

/* The line and column (counted in characters, from 1) where NEEDLE first
 * occurs in TEXT: where an error message about that value should point. */
static inline void check_position_of(const char *text, const char *needle, int *line,
                                     int *col)
{
    const char *end = strstr(text, needle);
    *line = 1;
    *col = 1;
    for (const char *at = text; end && at < end; at++) {
        if (*at == '\n') {
            (*line)++;
            *col = 1;
        } else if (((unsigned char)*at & 0xc0) != 0x80) {
            (*col)++;
        }
    }
}

#endif
