#include "render/dpms.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <SDL_syswm.h>
#include <X11/Xlib.h>
#include <X11/extensions/dpms.h>
#include <xf86drm.h>
#include <xf86drmMode.h>

static uint32_t dpms_property(int fd, const drmModeConnector *c)
{
    uint32_t id = 0;
    for (int i = 0; i < c->count_props && !id; i++) {
        drmModePropertyRes *prop = drmModeGetProperty(fd, c->props[i]);
        if (prop && strcmp(prop->name, "DPMS") == 0)
            id = prop->prop_id;
        drmModeFreeProperty(prop);
    }
    return id;
}

enum dpms_result dpms_set_drm(int fd, bool on, char *why, size_t why_len)
{
    drmModeRes *res = drmModeGetResources(fd);
    if (!res) {
        snprintf(why, why_len, "cannot list the DRM device's outputs: %s", strerror(errno));
        return DPMS_FAILED;
    }

    int switched = 0, failed = 0;
    for (int i = 0; i < res->count_connectors; i++) {
        /* The current state only: a full probe can make some monitors
         * flicker and takes a noticeable time. */
        drmModeConnector *c = drmModeGetConnectorCurrent(fd, res->connectors[i]);
        if (!c)
            continue;
        /* A connector without an encoder drives nothing; switching it
         * would do nothing useful, and on some drivers it fails. */
        uint32_t prop = 0;
        if (c->connection == DRM_MODE_CONNECTED && c->encoder_id)
            prop = dpms_property(fd, c);
        if (prop) {
            uint64_t value = on ? DRM_MODE_DPMS_ON : DRM_MODE_DPMS_OFF;
            if (drmModeConnectorSetProperty(fd, c->connector_id, prop, value) == 0) {
                switched++;
            } else {
                failed++;
                snprintf(why, why_len, "cannot switch connector %u %s: %s", c->connector_id,
                         on ? "on" : "off", strerror(errno));
            }
        }
        drmModeFreeConnector(c);
    }
    drmModeFreeResources(res);

    if (failed)
        return DPMS_FAILED;
    if (!switched) {
        snprintf(why, why_len, "no connected output of the DRM device has a DPMS property");
        return DPMS_UNSUPPORTED;
    }
    return DPMS_DONE;
}

/* The X server has one DPMS state for the whole display. A kiosk setup
 * often disables it so the screen never blanks by itself; when that was
 * so, it is disabled again once the monitor is back on. */
static bool x_enabled_here;

static enum dpms_result dpms_set_x11(Display *dpy, bool on, char *why, size_t why_len)
{
    int event_base, error_base;
    if (!DPMSQueryExtension(dpy, &event_base, &error_base) || !DPMSCapable(dpy)) {
        snprintf(why, why_len, "the X server offers no DPMS");
        return DPMS_UNSUPPORTED;
    }
    CARD16 level;
    BOOL enabled;
    DPMSInfo(dpy, &level, &enabled);
    if (!on && !enabled) {
        DPMSEnable(dpy);
        x_enabled_here = true;
    }
    DPMSForceLevel(dpy, on ? DPMSModeOn : DPMSModeOff);
    if (on && x_enabled_here) {
        DPMSDisable(dpy);
        x_enabled_here = false;
    }
    XFlush(dpy);
    return DPMS_DONE;
}

enum dpms_result dpms_set(SDL_Window *const *windows, int n, bool on, char *why,
                          size_t why_len)
{
    enum dpms_result result = DPMS_UNSUPPORTED;
    int done_fd = -1;
    Display *done_dpy = NULL;
    snprintf(why, why_len, "the video driver offers no way to switch the monitor");

    for (int i = 0; i < n && result != DPMS_FAILED; i++) {
        SDL_SysWMinfo info;
        SDL_VERSION(&info.version);
        /* The offscreen and dummy drivers answer no: nothing to switch. */
        if (!SDL_GetWindowWMInfo(windows[i], &info))
            info.subsystem = SDL_SYSWM_UNKNOWN;
        enum dpms_result r = DPMS_UNSUPPORTED;
        switch (info.subsystem) {
        case SDL_SYSWM_KMSDRM:
            /* Both outputs of a dual layout usually share one device. */
            if (info.info.kmsdrm.drm_fd < 0 || info.info.kmsdrm.drm_fd == done_fd)
                continue;
            done_fd = info.info.kmsdrm.drm_fd;
            r = dpms_set_drm(done_fd, on, why, why_len);
            break;
        case SDL_SYSWM_X11:
            if (info.info.x11.display == done_dpy)
                continue;
            done_dpy = info.info.x11.display;
            r = dpms_set_x11(done_dpy, on, why, why_len);
            break;
        default:
            snprintf(why, why_len, "the %s video driver offers no way to switch the monitor",
                     SDL_GetCurrentVideoDriver());
            break;
        }
        if (r == DPMS_FAILED || (r == DPMS_DONE && result == DPMS_UNSUPPORTED))
            result = r;
    }
    return result;
}
