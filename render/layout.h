/*
 * Layout arithmetic: where zones sit on a canvas, how a canvas maps onto a
 * rotated window, and where an item lands inside its zone. Pure functions,
 * no SDL state, so they are unit tested on their own.
 */
#ifndef LIANBO_LAYOUT_H
#define LIANBO_LAYOUT_H

#include <stdbool.h>

struct layout_rect {
    int x, y, w, h;
};

/*
 * The logical canvas for a window of WIN_W x WIN_H pixels turned by
 * ROTATION degrees clockwise: the same size for 0 and 180, transposed for
 * 90 and 270.
 */
void layout_canvas_size(int win_w, int win_h, int rotation, int *canvas_w, int *canvas_h);

/* Splits a canvas into the upper zone (SPLIT of its height, rounded) and
 * the lower zone (the rest). */
void layout_split(int canvas_w, int canvas_h, double split,
                  struct layout_rect *upper, struct layout_rect *lower);

/*
 * Places content of SRC_W x SRC_H in a zone of ZONE_W x ZONE_H.
 * cover=false (fit): the largest size that fits, aspect kept, centred; DST
 * is within the zone and SRC is the whole content.
 * cover=true (fill): the zone is covered, aspect kept; DST is the whole zone
 * and SRC is the centred part of the content that shows.
 * Returns false for empty sizes.
 */
bool layout_place(int src_w, int src_h, int zone_w, int zone_h, bool cover,
                  struct layout_rect *src, struct layout_rect *dst);

/*
 * Maps a point of the canvas to the window it is shown in, for a rotation
 * of 0, 90, 180 or 270 degrees clockwise. Used by tests and by the
 * screenshot code to reason about where things appear.
 */
void layout_canvas_to_window(int canvas_w, int canvas_h, int rotation, int cx, int cy,
                             int *wx, int *wy);

#endif
