#define LOG_MODULE "log"
#include "player/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static enum log_level current_level = LOG_INFO;

static const char *const level_names[] = {
    [LOG_ERROR] = "error",
    [LOG_WARN] = "warn",
    [LOG_INFO] = "info",
    [LOG_DEBUG] = "debug",
};

void log_set_level(enum log_level level)
{
    current_level = level;
}

enum log_level log_get_level(void)
{
    return current_level;
}

bool log_level_from_name(const char *name, enum log_level *out)
{
    for (int i = 0; i <= LOG_DEBUG; i++) {
        if (strcmp(name, level_names[i]) == 0) {
            *out = (enum log_level)i;
            return true;
        }
    }
    return false;
}

/* syslog priorities of our levels, for the journal */
static const int journal_priorities[] = {
    [LOG_ERROR] = 3,
    [LOG_WARN] = 4,
    [LOG_INFO] = 6,
    [LOG_DEBUG] = 7,
};

void log_write(enum log_level level, const char *module, const char *fmt, ...)
{
    if (level > current_level)
        return;

    /* Under systemd, stderr goes to the journal, which stamps the time
     * itself and reads a "<N>" prefix as the line's priority. */
    static int journal = -1;
    if (journal < 0)
        journal = getenv("JOURNAL_STREAM") != NULL;

    /* Build the whole line first so that lines from different threads
     * never interleave: one fputs of a complete line is atomic enough for
     * stderr, which is unbuffered. */
    char line[2048];
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    localtime_r(&ts.tv_sec, &tm);
    int n = journal ? snprintf(line, sizeof(line), "<%d>%s: ", journal_priorities[level],
                               module)
                    : snprintf(line, sizeof(line), "%02d:%02d:%02d.%03ld %-5s %s: ",
                               tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000,
                               level_names[level], module);
    if (n < 0 || (size_t)n >= sizeof(line))
        n = 0;

    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
    va_end(ap);

    size_t len = strlen(line);
    /* A line cut at the buffer's end must not end in half a character. */
    if (len == sizeof(line) - 2) {
        size_t cut = len;
        while (cut > 0 && ((unsigned char)line[cut - 1] & 0xc0) == 0x80)
            cut--;
        if (cut > 0 && ((unsigned char)line[cut - 1] & 0xc0) == 0xc0)
            len = cut - 1;
    }
    line[len] = '\n';
    fwrite(line, 1, len + 1, stderr);
}
