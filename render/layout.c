#include "render/layout.h"

#include <math.h>

static bool is_transposed(int rotation)
{
    return rotation == 90 || rotation == 270;
}

void layout_canvas_size(int win_w, int win_h, int rotation, int *canvas_w, int *canvas_h)
{
    *canvas_w = is_transposed(rotation) ? win_h : win_w;
    *canvas_h = is_transposed(rotation) ? win_w : win_h;
}

void layout_split(int canvas_w, int canvas_h, double split,
                  struct layout_rect *upper, struct layout_rect *lower)
{
    int upper_h = (int)lround(canvas_h * split);
    if (upper_h < 0)
        upper_h = 0;
    if (upper_h > canvas_h)
        upper_h = canvas_h;
    *upper = (struct layout_rect){0, 0, canvas_w, upper_h};
    *lower = (struct layout_rect){0, upper_h, canvas_w, canvas_h - upper_h};
}

bool layout_place(int src_w, int src_h, int zone_w, int zone_h, bool cover,
                  struct layout_rect *src, struct layout_rect *dst)
{
    if (src_w <= 0 || src_h <= 0 || zone_w <= 0 || zone_h <= 0)
        return false;

    /* Compare aspect ratios with integer cross-multiplication so that an
     * exact fit never loses a pixel to rounding. */
    long long lhs = (long long)src_w * zone_h;
    long long rhs = (long long)zone_w * src_h;
    bool wider = lhs > rhs; /* content is wider than the zone */

    if (!cover) {
        *src = (struct layout_rect){0, 0, src_w, src_h};
        int w = wider ? zone_w : (int)((long long)src_w * zone_h / src_h);
        int h = wider ? (int)((long long)src_h * zone_w / src_w) : zone_h;
        if (w < 1)
            w = 1;
        if (h < 1)
            h = 1;
        *dst = (struct layout_rect){(zone_w - w) / 2, (zone_h - h) / 2, w, h};
        return true;
    }

    *dst = (struct layout_rect){0, 0, zone_w, zone_h};
    int w = wider ? (int)((long long)zone_w * src_h / zone_h) : src_w;
    int h = wider ? src_h : (int)((long long)zone_h * src_w / zone_w);
    if (w < 1)
        w = 1;
    if (h < 1)
        h = 1;
    *src = (struct layout_rect){(src_w - w) / 2, (src_h - h) / 2, w, h};
    return true;
}

void layout_canvas_to_window(int canvas_w, int canvas_h, int rotation, int cx, int cy,
                             int *wx, int *wy)
{
    switch (rotation) {
    case 90:
        *wx = canvas_h - 1 - cy;
        *wy = cx;
        break;
    case 180:
        *wx = canvas_w - 1 - cx;
        *wy = canvas_h - 1 - cy;
        break;
    case 270:
        *wx = cy;
        *wy = canvas_w - 1 - cx;
        break;
    default:
        *wx = cx;
        *wy = cy;
        break;
    }
}
