/*
 * Logging: one call style for the whole player.
 *
 * Every source file defines LOG_MODULE before including this header, so
 * each line names the module it came from:
 *
 *     #define LOG_MODULE "manifest"
 *     #include "player/log.h"
 *     log_warn("%s: item %s skipped: %s", url, id, why);
 *
 * Lines go to stderr as "LEVEL module: message". Nothing per frame is
 * logged above LOG_DEBUG.
 */
#ifndef LIANBO_LOG_H
#define LIANBO_LOG_H

#include <stdarg.h>
#include <stdbool.h>

enum log_level {
    LOG_ERROR,
    LOG_WARN,
    LOG_INFO,
    LOG_DEBUG,
};

void log_set_level(enum log_level level);
enum log_level log_get_level(void);

/* Parses "error", "warn", "info" or "debug"; false if the name is unknown. */
bool log_level_from_name(const char *name, enum log_level *out);

void log_write(enum log_level level, const char *module, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#ifndef LOG_MODULE
#error "define LOG_MODULE before including player/log.h"
#endif

#define log_error(...) log_write(LOG_ERROR, LOG_MODULE, __VA_ARGS__)
#define log_warn(...) log_write(LOG_WARN, LOG_MODULE, __VA_ARGS__)
#define log_info(...) log_write(LOG_INFO, LOG_MODULE, __VA_ARGS__)
#define log_debug(...) log_write(LOG_DEBUG, LOG_MODULE, __VA_ARGS__)

#endif
