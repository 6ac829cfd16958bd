/*
 * Switching the monitor itself off outside the power hours, not only
 * showing black: a panel in standby draws a fraction of the power and its
 * backlight lasts longer. On the console (KMSDRM) this sets the DPMS
 * property of the connectors SDL drives; under X it asks the server's DPMS
 * extension. Other drivers, and monitors without DPMS, keep the black
 * screen and the configured power commands.
 */
#ifndef LIANBO_DPMS_H
#define LIANBO_DPMS_H

#include <stdbool.h>
#include <stddef.h>

#include <SDL.h>

enum dpms_result {
    DPMS_DONE,        /* the monitor was switched */
    DPMS_UNSUPPORTED, /* nothing to switch here: stay black */
    DPMS_FAILED,      /* it should have worked and did not */
};

/*
 * Switches the monitors showing WINDOWS (N of them) on or off. Unless the
 * result is DPMS_DONE, WHY says what was found, for the log.
 */
enum dpms_result dpms_set(SDL_Window *const *windows, int n, bool on, char *why,
                          size_t why_len);

/* The console half of dpms_set, for the DRM device open as FD: switches
 * every connected connector that drives a CRTC. */
enum dpms_result dpms_set_drm(int fd, bool on, char *why, size_t why_len);

#endif
