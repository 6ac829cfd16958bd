/*
 * Monitor standby on the console. No machine that runs the tests has a
 * display controller, so the libdrm calls dpms.c makes are answered here
 * by a pretend device: this program's definitions take the place of the
 * shared library's. The tests check which connectors are switched, to
 * what, and what is said when nothing can be.
 */
#include "render/dpms.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <xf86drm.h>
#include <xf86drmMode.h>

#include "tests/check.h"

#define PROP_DPMS 7
#define PROP_EDID 8
#define MAX_CONNECTORS 4

struct fake_connector {
    uint32_t id;
    drmModeConnection connection;
    uint32_t encoder_id;
    bool has_dpms;
    int fail_errno;   /* setting the property fails with this */
    uint64_t dpms;    /* the value last set */
    int sets;
};

static struct fake_device {
    struct fake_connector conn[MAX_CONNECTORS];
    int n;
    bool no_resources;
    int allocated; /* objects handed out and not yet freed */
} dev;

static struct fake_connector *find(uint32_t id)
{
    for (int i = 0; i < dev.n; i++) {
        if (dev.conn[i].id == id)
            return &dev.conn[i];
    }
    return NULL;
}

drmModeResPtr drmModeGetResources(int fd)
{
    if (dev.no_resources) {
        errno = EACCES;
        return NULL;
    }
    drmModeRes *res = calloc(1, sizeof(*res));
    res->count_connectors = dev.n;
    res->connectors = calloc(dev.n, sizeof(uint32_t));
    for (int i = 0; i < dev.n; i++)
        res->connectors[i] = dev.conn[i].id;
    dev.allocated++;
    return res;
}

void drmModeFreeResources(drmModeResPtr ptr)
{
    if (!ptr)
        return;
    free(ptr->connectors);
    free(ptr);
    dev.allocated--;
}

drmModeConnectorPtr drmModeGetConnectorCurrent(int fd, uint32_t connector_id)
{
    struct fake_connector *f = find(connector_id);
    if (!f)
        return NULL;
    drmModeConnector *c = calloc(1, sizeof(*c));
    c->connector_id = f->id;
    c->connection = f->connection;
    c->encoder_id = f->encoder_id;
    c->props = calloc(2, sizeof(uint32_t));
    c->props[c->count_props++] = PROP_EDID;
    if (f->has_dpms)
        c->props[c->count_props++] = PROP_DPMS;
    dev.allocated++;
    return c;
}

void drmModeFreeConnector(drmModeConnectorPtr ptr)
{
    if (!ptr)
        return;
    free(ptr->props);
    free(ptr);
    dev.allocated--;
}

drmModePropertyPtr drmModeGetProperty(int fd, uint32_t property_id)
{
    drmModePropertyRes *p = calloc(1, sizeof(*p));
    p->prop_id = property_id;
    strcpy(p->name, property_id == PROP_DPMS ? "DPMS" : "EDID");
    dev.allocated++;
    return p;
}

void drmModeFreeProperty(drmModePropertyPtr ptr)
{
    if (!ptr)
        return;
    free(ptr);
    dev.allocated--;
}

int drmModeConnectorSetProperty(int fd, uint32_t connector_id, uint32_t property_id,
                                uint64_t value)
{
    struct fake_connector *f = find(connector_id);
    if (!f || property_id != PROP_DPMS)
        return -EINVAL;
    if (f->fail_errno) {
        errno = f->fail_errno;
        return -f->fail_errno;
    }
    f->dpms = value;
    f->sets++;
    return 0;
}

static void add(uint32_t id, drmModeConnection connection, uint32_t encoder, bool dpms)
{
    dev.conn[dev.n++] = (struct fake_connector){
        .id = id, .connection = connection, .encoder_id = encoder, .has_dpms = dpms,
        .dpms = DRM_MODE_DPMS_ON,
    };
}

static void test_switches_only_driven_outputs(void)
{
    memset(&dev, 0, sizeof(dev));
    add(31, DRM_MODE_CONNECTED, 40, true);     /* the HDMI port in use */
    add(32, DRM_MODE_DISCONNECTED, 0, true);   /* the second port, empty */
    add(33, DRM_MODE_CONNECTED, 0, true);      /* plugged in, shows nothing */
    char why[256] = "";

    CHECK(dpms_set_drm(3, false, why, sizeof(why)) == DPMS_DONE, "off: %s", why);
    CHECK(dev.conn[0].dpms == DRM_MODE_DPMS_OFF, "the output in use is %llu",
          (unsigned long long)dev.conn[0].dpms);
    CHECK(dev.conn[1].sets == 0, "the empty port was switched");
    CHECK(dev.conn[2].sets == 0, "an output driving nothing was switched");

    CHECK(dpms_set_drm(3, true, why, sizeof(why)) == DPMS_DONE, "on: %s", why);
    CHECK(dev.conn[0].dpms == DRM_MODE_DPMS_ON, "not back on: %llu",
          (unsigned long long)dev.conn[0].dpms);
    CHECK(dev.conn[0].sets == 2, "%d switches, want 2", dev.conn[0].sets);
    CHECK(dev.allocated == 0, "%d libdrm objects not freed", dev.allocated);
}

static void test_two_outputs(void)
{
    memset(&dev, 0, sizeof(dev));
    add(41, DRM_MODE_CONNECTED, 50, true);
    add(42, DRM_MODE_CONNECTED, 51, true);
    char why[256] = "";
    CHECK(dpms_set_drm(3, false, why, sizeof(why)) == DPMS_DONE, "off: %s", why);
    CHECK(dev.conn[0].dpms == DRM_MODE_DPMS_OFF && dev.conn[1].dpms == DRM_MODE_DPMS_OFF,
          "both outputs of a dual layout must sleep: %llu %llu",
          (unsigned long long)dev.conn[0].dpms, (unsigned long long)dev.conn[1].dpms);
}

static void test_nothing_to_switch(void)
{
    memset(&dev, 0, sizeof(dev));
    add(31, DRM_MODE_CONNECTED, 40, false);
    char why[256] = "";
    CHECK(dpms_set_drm(3, false, why, sizeof(why)) == DPMS_UNSUPPORTED, "no DPMS: %s", why);
    CHECK(strstr(why, "DPMS property") != NULL, "why: %s", why);

    memset(&dev, 0, sizeof(dev));
    why[0] = '\0';
    CHECK(dpms_set_drm(3, false, why, sizeof(why)) == DPMS_UNSUPPORTED, "no outputs: %s", why);
    CHECK(dev.allocated == 0, "%d libdrm objects not freed", dev.allocated);
}

static void test_failures_are_explained(void)
{
    memset(&dev, 0, sizeof(dev));
    add(31, DRM_MODE_CONNECTED, 40, true);
    dev.conn[0].fail_errno = EACCES; /* not the DRM master */
    char why[256] = "";
    CHECK(dpms_set_drm(3, false, why, sizeof(why)) == DPMS_FAILED, "refused: %s", why);
    CHECK(strstr(why, "connector 31") && strstr(why, strerror(EACCES)), "why: %s", why);
    CHECK(dev.allocated == 0, "%d libdrm objects not freed", dev.allocated);

    memset(&dev, 0, sizeof(dev));
    dev.no_resources = true;
    CHECK(dpms_set_drm(3, false, why, sizeof(why)) == DPMS_FAILED, "no resources: %s", why);
    CHECK(strstr(why, "cannot list") != NULL, "why: %s", why);
}

/* A window of the offscreen driver, as in the headless tests: nothing to
 * switch, and the reason names the driver. */
static void test_offscreen_window(void)
{
    setenv("SDL_VIDEODRIVER", "offscreen", 1);
    if (SDL_Init(SDL_INIT_VIDEO) != 0) {
        CHECK(false, "SDL_Init: %s", SDL_GetError());
        return;
    }
    SDL_Window *w = SDL_CreateWindow("t", 0, 0, 64, 64, 0);
    CHECK(w != NULL, "window: %s", SDL_GetError());
    if (w) {
        char why[256] = "";
        CHECK(dpms_set(&w, 1, false, why, sizeof(why)) == DPMS_UNSUPPORTED, "%s", why);
        CHECK(strstr(why, "offscreen") != NULL, "why: %s", why);
        SDL_DestroyWindow(w);
    }
    SDL_Quit();
}

int main(void)
{
    test_switches_only_driven_outputs();
    test_two_outputs();
    test_nothing_to_switch();
    test_failures_are_explained();
    test_offscreen_window();
    return check_finish();
}
