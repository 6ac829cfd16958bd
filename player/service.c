#define LOG_MODULE "service"
#include "player/service.h"

#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <math.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "net/store.h"
#include "player/log.h"
#include "player/paths.h"

/* A status file older than this (seconds) means the player is not
 * running: it is rewritten every few seconds while it is. */
#define STATUS_STALE_S 60

struct service {
    char *status_dir;
    bool ready;
    double watchdog_interval; /* seconds between notifications, 0: none */
    double watchdog_next;
};

static char *status_dir_for(const char *cache_dir)
{
    const char *rt = getenv("RUNTIME_DIRECTORY");
    if (rt && rt[0])
        return strndup(rt, strcspn(rt, ":"));
    return cache_dir ? strdup(cache_dir) : NULL;
}

struct service *service_create(const char *cache_dir)
{
    struct service *s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    s->status_dir = status_dir_for(cache_dir);
    uint64_t usec = 0;
    if (sd_watchdog_enabled(0, &usec) > 0 && usec > 0) {
        /* Twice per period, as systemd recommends, so one late frame never
         * gets a healthy player killed. */
        s->watchdog_interval = usec / 2e6;
        log_info("systemd watchdog: notifying every %.1f s", s->watchdog_interval);
    }
    return s;
}

void service_destroy(struct service *s)
{
    if (!s)
        return;
    sd_notify(0, "STOPPING=1");
    free(s->status_dir);
    free(s);
}

void service_ready(struct service *s)
{
    if (s->ready)
        return;
    s->ready = true;
    sd_notify(0, "READY=1");
}

double service_watchdog(struct service *s, double now)
{
    if (s->watchdog_interval <= 0)
        return INFINITY;
    if (now >= s->watchdog_next) {
        sd_notify(0, "WATCHDOG=1");
        s->watchdog_next = now + s->watchdog_interval;
    }
    return s->watchdog_next;
}

void service_status_line(struct service *s, const char *status)
{
    (void)s;
    sd_notifyf(0, "STATUS=%s", status);
}

void service_write_status(struct service *s, const char *text)
{
    if (s->status_dir && !store_write_atomic(s->status_dir, "status", text, strlen(text)))
        log_debug("cannot write the status file in %s", s->status_dir);
}

static int minutes_of(const char *hhmm)
{
    int h, m;
    if (!hhmm || sscanf(hhmm, "%d:%d", &h, &m) != 2)
        return -1;
    return h * 60 + m;
}

bool service_power_off(const char *off, const char *on, const struct tm *local)
{
    int off_m = minutes_of(off), on_m = minutes_of(on);
    if (off_m < 0 || on_m < 0 || off_m == on_m)
        return false;
    int now = local->tm_hour * 60 + local->tm_min;
    if (off_m < on_m)
        return now >= off_m && now < on_m;
    return now >= off_m || now < on_m; /* dark across midnight */
}

int service_print_status(const struct config *cfg)
{
    char path[4096];
    const char *rt = getenv("RUNTIME_DIRECTORY");
    struct stat st;
    const char *candidates[3];
    int n = 0;
    char *cache = NULL;
    if (rt && rt[0])
        candidates[n++] = rt;
    candidates[n++] = "/run/lianbo";
    cache = paths_cache_dir(cfg);
    if (cache)
        candidates[n++] = cache;

    int status = 1;
    for (int i = 0; i < n; i++) {
        snprintf(path, sizeof(path), "%s/status", candidates[i]);
        FILE *f = fopen(path, "r");
        if (!f || fstat(fileno(f), &st) != 0) {
            if (f)
                fclose(f);
            continue;
        }
        char buf[4096];
        size_t got;
        while ((got = fread(buf, 1, sizeof(buf), f)) > 0)
            fwrite(buf, 1, got, stdout);
        fclose(f);
        long age = (long)(time(NULL) - st.st_mtime);
        printf("status file: %s, written %ld s ago\n", path, age);
        if (age > STATUS_STALE_S) {
            printf("warning: the player has not updated it for over %d s; is it running? "
                   "(systemctl status lianbo)\n", STATUS_STALE_S);
        } else {
            status = 0;
        }
        break;
    }
    if (status && n) {
        bool found = false;
        for (int i = 0; i < n && !found; i++) {
            snprintf(path, sizeof(path), "%s/status", candidates[i]);
            found = access(path, F_OK) == 0;
        }
        if (!found)
            printf("no status file found: the player is not running (systemctl status "
                   "lianbo)\n");
    }
    free(cache);
    return status;
}

void service_addresses(char *buf, size_t len)
{
    struct ifaddrs *list = NULL;
    size_t n = 0;
    buf[0] = '\0';
    if (getifaddrs(&list) != 0) {
        snprintf(buf, len, "unknown (%s)", strerror(errno));
        return;
    }
    for (struct ifaddrs *a = list; a; a = a->ifa_next) {
        if (!a->ifa_addr || (a->ifa_flags & IFF_LOOPBACK) || !(a->ifa_flags & IFF_UP))
            continue;
        int family = a->ifa_addr->sa_family;
        if (family != AF_INET && family != AF_INET6)
            continue;
        char addr[INET6_ADDRSTRLEN];
        const void *raw = family == AF_INET
                              ? (const void *)&((struct sockaddr_in *)a->ifa_addr)->sin_addr
                              : (const void *)&((struct sockaddr_in6 *)a->ifa_addr)->sin6_addr;
        if (!inet_ntop(family, raw, addr, sizeof(addr)))
            continue;
        int w = snprintf(buf + n, len - n, "%s%s %s", n ? ", " : "", a->ifa_name, addr);
        if (w < 0 || (size_t)w >= len - n)
            break;
        n += (size_t)w;
    }
    freeifaddrs(list);
    if (!buf[0])
        snprintf(buf, len, "none (no network interface is up)");
}
