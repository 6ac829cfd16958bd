/* Layout arithmetic: zones, rotation and item placement. */
#include "render/layout.h"
#include "tests/check.h"

struct place_case {
    int src_w, src_h, zone_w, zone_h;
    bool cover;
    struct layout_rect src, dst;
};

static const struct place_case place_cases[] = {
    /* same aspect: fills exactly either way */
    {1920, 1080, 960, 540, false, {0, 0, 1920, 1080}, {0, 0, 960, 540}},
    {1920, 1080, 960, 540, true, {0, 0, 1920, 1080}, {0, 0, 960, 540}},
    /* wide content in a square zone: bars top and bottom, or sides cut */
    {400, 100, 200, 200, false, {0, 0, 400, 100}, {0, 75, 200, 50}},
    {400, 100, 200, 200, true, {150, 0, 100, 100}, {0, 0, 200, 200}},
    /* tall content in a wide zone: bars left and right, or top/bottom cut */
    {100, 400, 400, 200, false, {0, 0, 100, 400}, {175, 0, 50, 200}},
    {100, 400, 400, 200, true, {0, 175, 100, 50}, {0, 0, 400, 200}},
    /* upscaling a small image */
    {10, 10, 540, 480, false, {0, 0, 10, 10}, {30, 0, 480, 480}},
    /* a one-pixel-wide sliver never becomes zero wide */
    {1, 30000, 540, 480, false, {0, 0, 1, 30000}, {269, 0, 1, 480}},
};

static bool rect_eq(struct layout_rect a, struct layout_rect b)
{
    return a.x == b.x && a.y == b.y && a.w == b.w && a.h == b.h;
}

static void test_place(void)
{
    for (size_t i = 0; i < sizeof(place_cases) / sizeof(place_cases[0]); i++) {
        const struct place_case *c = &place_cases[i];
        struct layout_rect src, dst;
        bool ok = layout_place(c->src_w, c->src_h, c->zone_w, c->zone_h, c->cover, &src, &dst);
        CHECK(ok, "case %zu", i);
        CHECK(rect_eq(src, c->src), "case %zu: src %d,%d %dx%d", i, src.x, src.y, src.w, src.h);
        CHECK(rect_eq(dst, c->dst), "case %zu: dst %d,%d %dx%d", i, dst.x, dst.y, dst.w, dst.h);
    }
    struct layout_rect src, dst;
    CHECK(!layout_place(0, 10, 10, 10, false, &src, &dst), "empty source refused");
    CHECK(!layout_place(10, 10, 10, 0, true, &src, &dst), "empty zone refused");
}

static void test_split(void)
{
    static const struct {
        int w, h;
        double split;
        int upper_h;
    } cases[] = {
        {540, 960, 0.5, 480},
        {540, 960, 0.3, 288},
        {1080, 1921, 0.5, 961}, /* rounds half away from zero */
        {1080, 1920, 0.9, 1728},
        {1080, 1920, 1.0, 1920}, /* the lower zone is left out */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct layout_rect up, low;
        layout_split(cases[i].w, cases[i].h, cases[i].split, &up, &low);
        CHECK(up.x == 0 && up.y == 0 && up.w == cases[i].w && up.h == cases[i].upper_h,
              "case %zu: upper %dx%d", i, up.w, up.h);
        CHECK(low.y == up.h && low.h == cases[i].h - up.h && low.w == cases[i].w,
              "case %zu: lower at %d height %d", i, low.y, low.h);
    }
}

static void test_rotation(void)
{
    int cw, ch;
    layout_canvas_size(1920, 1080, 0, &cw, &ch);
    CHECK(cw == 1920 && ch == 1080, "0: %dx%d", cw, ch);
    layout_canvas_size(1920, 1080, 90, &cw, &ch);
    CHECK(cw == 1080 && ch == 1920, "90: %dx%d", cw, ch);
    layout_canvas_size(1920, 1080, 180, &cw, &ch);
    CHECK(cw == 1920 && ch == 1080, "180: %dx%d", cw, ch);
    layout_canvas_size(1920, 1080, 270, &cw, &ch);
    CHECK(cw == 1080 && ch == 1920, "270: %dx%d", cw, ch);

    /* The canvas's top-left corner on a 1080x1920 canvas shown on a
     * 1920x1080 window: 90 clockwise puts it top-right, 270 bottom-left. */
    static const struct {
        int rotation, cx, cy, wx, wy;
    } points[] = {
        {0, 0, 0, 0, 0},
        {90, 0, 0, 1919, 0},
        {90, 1079, 1919, 0, 1079},
        {180, 0, 0, 1079, 1919},
        {270, 0, 0, 0, 1079},
        {270, 1079, 0, 0, 0},
    };
    for (size_t i = 0; i < sizeof(points) / sizeof(points[0]); i++) {
        int wx, wy;
        layout_canvas_to_window(1080, 1920, points[i].rotation, points[i].cx, points[i].cy,
                                &wx, &wy);
        CHECK(wx == points[i].wx && wy == points[i].wy, "point %zu: got %d,%d", i, wx, wy);
    }
}

int main(void)
{
    test_place();
    test_split();
    test_rotation();
    return check_finish();
}
