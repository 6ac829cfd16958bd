#define LOG_MODULE "text"
#include "render/text.h"

#include <stdlib.h>
#include <string.h>

#include <fontconfig/fontconfig.h>

#include "player/log.h"
#include "render/wrap.h"

/* Faces are opened per pixel size; a handful of sizes is in use at once
 * (titles, bodies, captions, page marks), so a small cache is enough. */
#define FONT_CACHE_SIZE 24

/* A layout's type starts at SCALE times this share of the area's height,
 * or of its width, whichever is smaller, then shrinks by SHRINK_STEP per
 * try. */
#define BODY_SHARE_OF_HEIGHT 0.12
#define BODY_SHARE_OF_WIDTH 0.1
#define TITLE_SCALE 1.35
#define SHRINK_STEP 0.9

/* A title that takes more than this share of the area at the smallest
 * size is not repeated on every page; it flows as the first lines. */
#define TITLE_REPEAT_MAX_SHARE 0.34

struct font_slot {
    TTF_Font *font;
    bool bold;
    int px;
    unsigned last_use;
};

struct text_fonts {
    char *regular_path;
    long regular_index;
    char *bold_path;
    long bold_index;
    struct font_slot slots[FONT_CACHE_SIZE];
    unsigned clock;
};

struct text_line {
    char *s;
    bool bold;
};

struct text_layout {
    struct text_fonts *fonts;
    int title_px, body_px;
    int pad, gap;
    struct text_line *lines;
    int n_lines;
    int n_title;       /* leading lines that are title */
    bool repeat_title; /* title shown on every page */
    int *page_start;   /* first body line of each page */
    int n_pages;
};

static char *find_cjk_font(long *index)
{
    char *path = NULL;
    FcPattern *pat = FcNameParse((const FcChar8 *)"sans-serif:lang=zh-cn");
    if (!pat)
        return NULL;
    FcConfigSubstitute(NULL, pat, FcMatchPattern);
    FcDefaultSubstitute(pat);

    FcResult res;
    FcPattern *match = FcFontMatch(NULL, pat, &res);
    FcChar8 *file = NULL;
    int idx = 0;
    if (match && FcPatternGetString(match, FC_FILE, 0, &file) == FcResultMatch) {
        FcPatternGetInteger(match, FC_INDEX, 0, &idx);
        FcCharSet *cs = NULL;
        if (FcPatternGetCharSet(match, FC_CHARSET, 0, &cs) == FcResultMatch &&
            !FcCharSetHasChar(cs, 0x4e2d)) {
            log_warn("the best font found, %s, has no Chinese glyphs; install "
                     "fonts-noto-cjk or fonts-wqy-microhei", (const char *)file);
        }
        path = strdup((const char *)file);
        *index = idx;
    }
    if (match)
        FcPatternDestroy(match);
    FcPatternDestroy(pat);
    return path;
}

struct text_fonts *text_fonts_create(const char *regular, const char *bold)
{
    struct text_fonts *fonts = calloc(1, sizeof(*fonts));
    if (!fonts)
        return NULL;

    if (regular && regular[0]) {
        fonts->regular_path = strdup(regular);
    } else {
        fonts->regular_path = find_cjk_font(&fonts->regular_index);
    }
    if (!fonts->regular_path) {
        log_error("no font found: set fonts.regular in the configuration or install "
                  "fonts-wqy-microhei");
        goto fail;
    }
    if (bold && bold[0])
        fonts->bold_path = strdup(bold);

    /* Open one face now so that a bad font file is reported at start-up,
     * not when the first notice is due. */
    if (!text_font(fonts, false, 24))
        goto fail;
    log_info("text font: %s", fonts->regular_path);
    return fonts;

fail:
    text_fonts_destroy(fonts);
    return NULL;
}

void text_fonts_destroy(struct text_fonts *fonts)
{
    if (!fonts)
        return;
    for (int i = 0; i < FONT_CACHE_SIZE; i++) {
        if (fonts->slots[i].font)
            TTF_CloseFont(fonts->slots[i].font);
    }
    free(fonts->regular_path);
    free(fonts->bold_path);
    free(fonts);
    /* Fontconfig keeps its configuration until told otherwise; one set of
     * fonts lives per process, so this is where it goes. */
    FcFini();
}

const char *text_fonts_path(const struct text_fonts *fonts)
{
    return fonts->regular_path;
}

TTF_Font *text_font(struct text_fonts *fonts, bool bold, int px)
{
    struct font_slot *victim = &fonts->slots[0];
    fonts->clock++;
    for (int i = 0; i < FONT_CACHE_SIZE; i++) {
        struct font_slot *s = &fonts->slots[i];
        if (s->font && s->bold == bold && s->px == px) {
            s->last_use = fonts->clock;
            return s->font;
        }
        if (!s->font || (victim->font && s->last_use < victim->last_use))
            victim = s;
    }

    bool own_bold = bold && fonts->bold_path;
    const char *path = own_bold ? fonts->bold_path : fonts->regular_path;
    long index = own_bold ? fonts->bold_index : fonts->regular_index;
    TTF_Font *font = TTF_OpenFontIndex(path, px, index);
    if (!font) {
        log_error("cannot open font %s at %d px: %s", path, px, TTF_GetError());
        return NULL;
    }
    if (bold && !own_bold)
        TTF_SetFontStyle(font, TTF_STYLE_BOLD);

    if (victim->font)
        TTF_CloseFont(victim->font);
    *victim = (struct font_slot){font, bold, px, fonts->clock};
    return font;
}

static int measure_utf8(void *ctx, const char *s, size_t len)
{
    TTF_Font *font = ctx;
    char small[512];
    char *buf = len < sizeof(small) ? small : malloc(len + 1);
    if (!buf)
        return 0;
    memcpy(buf, s, len);
    buf[len] = '\0';
    int w = 0;
    if (TTF_SizeUTF8(font, buf, &w, NULL) != 0)
        w = 0;
    if (buf != small)
        free(buf);
    return w;
}

static void free_lines(struct text_layout *layout)
{
    for (int i = 0; i < layout->n_lines; i++)
        free(layout->lines[i].s);
    free(layout->lines);
    layout->lines = NULL;
    layout->n_lines = 0;
    layout->n_title = 0;
}

static bool append_wrapped(struct text_layout *layout, const char *text, bool bold, int width)
{
    TTF_Font *font = text_font(layout->fonts, bold, bold ? layout->title_px : layout->body_px);
    if (!font)
        return false;
    struct wrap_line *wl;
    int n = wrap_text(text, width, measure_utf8, font, &wl);
    if (n < 0)
        return false;
    struct text_line *grown = realloc(layout->lines,
                                      sizeof(*grown) * (size_t)(layout->n_lines + n + 1));
    if (!grown) {
        free(wl);
        return false;
    }
    layout->lines = grown;
    for (int i = 0; i < n; i++) {
        char *s = strndup(text + wl[i].start, wl[i].len);
        if (!s) {
            free(wl);
            return false;
        }
        layout->lines[layout->n_lines++] = (struct text_line){s, bold};
    }
    free(wl);
    return true;
}

static int line_skip(struct text_layout *layout, bool bold)
{
    TTF_Font *font = text_font(layout->fonts, bold, bold ? layout->title_px : layout->body_px);
    return font ? TTF_FontLineSkip(font) : 0;
}

/* Total height of lines [FROM, TO). */
static int lines_height(struct text_layout *layout, int from, int to)
{
    int h = 0;
    for (int i = from; i < to; i++)
        h += line_skip(layout, layout->lines[i].bold);
    return h;
}

static bool layout_at(struct text_layout *layout, const char *title, const char *body,
                      int w, int px)
{
    free_lines(layout);
    layout->body_px = px;
    layout->title_px = (int)(px * TITLE_SCALE);
    layout->pad = px / 2 + 4;
    layout->gap = title && body ? px / 2 : 0;
    int width = w - 2 * layout->pad;
    if (width < 1)
        width = 1;
    if (title && !append_wrapped(layout, title, true, width))
        return false;
    layout->n_title = layout->n_lines;
    if (body && !append_wrapped(layout, body, false, width))
        return false;
    return true;
}

/* Splits the body over pages of height H; the first page is set up. */
static bool paginate(struct text_layout *layout, int h)
{
    int title_h = lines_height(layout, 0, layout->n_title) + layout->gap;
    int avail = h - 2 * layout->pad;
    layout->repeat_title = title_h <= avail * TITLE_REPEAT_MAX_SHARE;
    int first = layout->repeat_title ? layout->n_title : 0;
    int mark_h = line_skip(layout, false); /* the "2/3" page mark */
    int body_avail = avail - mark_h - (layout->repeat_title ? title_h : 0);

    free(layout->page_start);
    layout->page_start = malloc(sizeof(int) * (size_t)(layout->n_lines + 1));
    if (!layout->page_start)
        return false;
    layout->n_pages = 0;

    int i = first;
    while (i < layout->n_lines || layout->n_pages == 0) {
        layout->page_start[layout->n_pages++] = i;
        int used = 0;
        int start = i;
        while (i < layout->n_lines) {
            int lh = line_skip(layout, layout->lines[i].bold);
            if (i > start && used + lh > body_avail)
                break;
            used += lh;
            i++;
        }
        if (i == start)
            break;
    }
    return true;
}

struct text_layout *text_layout_create(struct text_fonts *fonts, const char *title,
                                       const char *body, int w, int h, int min_px,
                                       double scale)
{
    struct text_layout *layout = calloc(1, sizeof(*layout));
    if (!layout)
        return NULL;
    layout->fonts = fonts;
    if (title && !title[0])
        title = NULL;
    if (body && !body[0])
        body = NULL;

    int px = (int)(h * BODY_SHARE_OF_HEIGHT * scale);
    int px_w = (int)(w * BODY_SHARE_OF_WIDTH * scale);
    if (px_w < px)
        px = px_w;
    if (px < min_px)
        px = min_px;

    for (;;) {
        if (!layout_at(layout, title, body, w, px))
            goto fail;
        int total = lines_height(layout, 0, layout->n_lines) + layout->gap;
        if (total <= h - 2 * layout->pad) {
            layout->page_start = malloc(sizeof(int));
            if (!layout->page_start)
                goto fail;
            layout->page_start[0] = 0;
            layout->n_pages = 1;
            layout->repeat_title = false;
            return layout;
        }
        if (px == min_px)
            break;
        int next = (int)(px * SHRINK_STEP);
        px = next < min_px ? min_px : next;
    }
    if (!paginate(layout, h))
        goto fail;
    return layout;

fail:
    text_layout_destroy(layout);
    return NULL;
}

void text_layout_destroy(struct text_layout *layout)
{
    if (!layout)
        return;
    free_lines(layout);
    free(layout->page_start);
    free(layout);
}

int text_layout_pages(const struct text_layout *layout)
{
    return layout->n_pages;
}

static bool draw_string(TTF_Font *font, const char *s, SDL_Surface *dst, int x, int y,
                        struct color fg)
{
    if (!s[0])
        return true;
    SDL_Color c = {fg.r, fg.g, fg.b, fg.a};
    SDL_Surface *rendered = TTF_RenderUTF8_Blended(font, s, c);
    if (!rendered) {
        log_warn("cannot render text \"%.40s\": %s", s, TTF_GetError());
        return false;
    }
    SDL_SetSurfaceBlendMode(rendered, SDL_BLENDMODE_BLEND);
    SDL_Rect at = {x, y, rendered->w, rendered->h};
    SDL_BlitSurface(rendered, NULL, dst, &at);
    SDL_FreeSurface(rendered);
    return true;
}

static bool draw_lines(struct text_layout *layout, int from, int to, SDL_Surface *dst,
                       int x, int *y, struct color fg)
{
    for (int i = from; i < to; i++) {
        bool bold = layout->lines[i].bold;
        TTF_Font *font = text_font(layout->fonts, bold, bold ? layout->title_px : layout->body_px);
        if (!font || !draw_string(font, layout->lines[i].s, dst, x, *y, fg))
            return false;
        *y += TTF_FontLineSkip(font);
        if (i + 1 == layout->n_title)
            *y += layout->gap;
    }
    return true;
}

bool text_layout_draw(const struct text_layout *clayout, int page, SDL_Surface *dst,
                      const SDL_Rect *area, struct color fg)
{
    struct text_layout *layout = (struct text_layout *)clayout;
    if (page < 0 || page >= layout->n_pages)
        return false;

    SDL_Rect old_clip;
    SDL_GetClipRect(dst, &old_clip);
    SDL_SetClipRect(dst, area);

    int x = area->x + layout->pad;
    int y = area->y + layout->pad;
    bool ok = true;
    if (layout->repeat_title)
        ok = draw_lines(layout, 0, layout->n_title, dst, x, &y, fg);

    int from = layout->page_start[page];
    int to = page + 1 < layout->n_pages ? layout->page_start[page + 1] : layout->n_lines;
    if (ok)
        ok = draw_lines(layout, from, to, dst, x, &y, fg);

    if (ok && layout->n_pages > 1) {
        char mark[32];
        snprintf(mark, sizeof(mark), "%d/%d", page + 1, layout->n_pages);
        TTF_Font *font = text_font(layout->fonts, false, layout->body_px);
        int mw = 0, mh = 0;
        if (font && TTF_SizeUTF8(font, mark, &mw, &mh) == 0) {
            ok = draw_string(font, mark, dst, area->x + area->w - layout->pad - mw,
                             area->y + area->h - layout->pad - mh, fg);
        }
    }
    SDL_SetClipRect(dst, &old_clip);
    return ok;
}

bool text_draw_line(struct text_fonts *fonts, const char *line, bool bold, SDL_Surface *dst,
                    const SDL_Rect *area, struct color fg, int min_px)
{
    int px = (int)(area->h * 0.7);
    if (px < min_px)
        px = min_px;
    TTF_Font *font = NULL;
    int w = 0, h = 0;
    for (;;) {
        font = text_font(fonts, bold, px);
        if (!font || TTF_SizeUTF8(font, line, &w, &h) != 0)
            return false;
        if (w <= area->w || px <= min_px)
            break;
        int next = (int)(px * SHRINK_STEP);
        px = next < min_px ? min_px : next;
    }
    if (w > area->w)
        log_warn("line \"%.40s\" is wider than its %d px even at %d px type", line, area->w, px);

    SDL_Rect old_clip;
    SDL_GetClipRect(dst, &old_clip);
    SDL_SetClipRect(dst, area);
    bool ok = draw_string(font, line, dst, area->x + (area->w - w) / 2,
                          area->y + (area->h - h) / 2, fg);
    SDL_SetClipRect(dst, &old_clip);
    return ok;
}
