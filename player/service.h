/*
 * Living as a service: telling systemd the player is up and not frozen,
 * writing a status file a technician reads with `lianbo --status`, and
 * the display's power hours.
 */
#ifndef LIANBO_SERVICE_H
#define LIANBO_SERVICE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "config/config.h"

struct service;

/* CACHE_DIR is where the status file goes unless systemd gives a runtime
 * directory. */
struct service *service_create(const char *cache_dir);
void service_destroy(struct service *s); /* accepts NULL */

/* Tells systemd the player is up (the first frame is on screen). */
void service_ready(struct service *s);

/* Tells systemd the render loop is alive, when due; returns when the next
 * notification is due (monotonic seconds), or INFINITY without a
 * watchdog. Called from the render loop, so a frozen loop goes quiet. */
double service_watchdog(struct service *s, double now);

/* Says STATUS in `systemctl status`. */
void service_status_line(struct service *s, const char *status);

/* Replaces the status file with TEXT (lines of "name: value"). */
void service_write_status(struct service *s, const char *text);

/*
 * Whether the screen should be dark at LOCAL (a wall-clock time) for the
 * power hours OFF and ON ("HH:MM" each; either empty means always on).
 * OFF later than ON in the day means dark overnight.
 */
bool service_power_off(const char *off, const char *on, const struct tm *local);

/* `lianbo --status`: prints the running player's status file for CFG and
 * its age. Returns the exit status: 0, or 1 when no player seems to run. */
int service_print_status(const struct config *cfg);

/* The IPv4 and IPv6 addresses of the network interfaces that are up,
 * loopback left out, as "eth0 192.0.2.7, wlan0 ..." in BUF. */
void service_addresses(char *buf, size_t len);

#endif
