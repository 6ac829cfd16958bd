#define LOG_MODULE "content"
#include "render/content.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "player/log.h"
#include "render/image.h"
#include "render/layout.h"
#include "render/qr.h"
#include "render/wrap.h"

/* The fallback's background: visibly "on" but neutral, never black. */
static const struct color fallback_bg = {0x20, 0x20, 0x20, 0xff};
static const struct color fallback_fg = {0xd0, 0xd0, 0xd0, 0xff};

/* Share of a notice given to its text; the rest holds the QR code. */
#define NOTICE_TEXT_SHARE 0.6

/* An alert card with media: the title band takes this share of the card's
 * height, the media box this share of what is left when words share it,
 * and the QR code at most this share of the words' area. A card is wide
 * (words beside the box) when its free area is this much wider than tall. */
#define CARD_TITLE_SHARE (1.0 / 7)
#define CARD_MEDIA_SHARE 0.6
#define CARD_QR_SHARE 0.45
#define CARD_WIDE 1.2

static SDL_Surface *new_page(int w, int h, struct color bg)
{
    SDL_Surface *s = SDL_CreateRGBSurfaceWithFormat(0, w, h, 32, SDL_PIXELFORMAT_ARGB8888);
    if (s)
        SDL_FillRect(s, NULL, SDL_MapRGB(s->format, bg.r, bg.g, bg.b));
    return s;
}

static bool add_page(struct content *out, SDL_Surface *page)
{
    SDL_Surface **grown = realloc(out->pages, sizeof(*grown) * (size_t)(out->n_pages + 1));
    if (!grown) {
        SDL_FreeSurface(page);
        return false;
    }
    out->pages = grown;
    out->pages[out->n_pages++] = page;
    return true;
}

/* Scales IMG into the zone-sized PAGE as FIT asks, on the page's colour. */
static bool place_image(SDL_Surface *img, SDL_Surface *page, bool cover)
{
    struct layout_rect src, dst;
    if (!layout_place(img->w, img->h, page->w, page->h, cover, &src, &dst))
        return false;

    Uint8 *origin = (Uint8 *)img->pixels + (size_t)src.y * img->pitch + (size_t)src.x * 4;
    SDL_Surface *crop = SDL_CreateRGBSurfaceWithFormatFrom(origin, src.w, src.h, 32, img->pitch,
                                                           SDL_PIXELFORMAT_ARGB8888);
    if (!crop)
        return false;
    SDL_Surface *scaled = image_scale(crop, dst.w, dst.h);
    SDL_FreeSurface(crop);
    if (!scaled)
        return false;

    /* Transparent parts of a PNG show the item's background. */
    SDL_SetSurfaceBlendMode(scaled, SDL_BLENDMODE_BLEND);
    SDL_Rect at = {dst.x, dst.y, dst.w, dst.h};
    SDL_BlitSurface(scaled, NULL, page, &at);
    SDL_FreeSurface(scaled);
    return true;
}

static bool render_image(struct content_ctx *ctx, const struct manifest_item *item, int w, int h,
                         struct content *out, char *why, size_t why_len)
{
    if (!item->media->path) {
        snprintf(why, why_len, "%s is not a local file", item->media->url);
        return false;
    }
    SDL_Surface *img = image_load(item->media->path, ctx->max_texture, ctx->max_texture,
                                  why, why_len);
    if (!img)
        return false;

    SDL_Surface *page = new_page(w, h, item->bg);
    bool ok = page && place_image(img, page, item->fit == FIT_COVER);
    SDL_FreeSurface(img);
    if (!ok) {
        SDL_FreeSurface(page);
        snprintf(why, why_len, "cannot scale %s to %dx%d", item->media->path, w, h);
        return false;
    }
    return add_page(out, page);
}

/* Draws the caption band under a QR code and returns the area left. */
static SDL_Rect caption_split(struct content_ctx *ctx, const struct manifest_item *item,
                              SDL_Surface *page, SDL_Rect area)
{
    if (!item->caption || !item->caption[0] || !ctx->fonts)
        return area;
    int band = area.h / 7;
    if (band < ctx->min_px * 3 / 2)
        band = ctx->min_px * 3 / 2;
    if (band > area.h / 3)
        band = area.h / 3;
    SDL_Rect cap = {area.x, area.y + area.h - band, area.w, band};
    text_draw_line(ctx->fonts, item->caption, false, page, &cap, item->fg, ctx->min_px);
    area.h -= band;
    return area;
}

static bool render_qr(struct content_ctx *ctx, const struct manifest_item *item, int w, int h,
                      struct content *out, char *why, size_t why_len)
{
    SDL_Surface *page = new_page(w, h, item->bg);
    if (!page) {
        snprintf(why, why_len, "out of memory");
        return false;
    }
    SDL_Rect area = caption_split(ctx, item, page, (SDL_Rect){0, 0, w, h});
    if (!qr_draw(page, &area, item->qr, why, why_len)) {
        SDL_FreeSurface(page);
        return false;
    }
    return add_page(out, page);
}

/*
 * Text and notices: the text is laid out in TEXT_AREA, and for a notice
 * the QR code (with its caption) is drawn on every page in QR_AREA.
 */
static bool render_text(struct content_ctx *ctx, const struct manifest_item *item, int w, int h,
                        const SDL_Rect *qr_area, struct content *out, char *why, size_t why_len)
{
    if (!ctx->fonts) {
        snprintf(why, why_len, "no font to draw text with");
        return false;
    }
    SDL_Rect text_area = {0, 0, w, h};
    if (qr_area) {
        bool side_by_side = w >= h;
        text_area.w = side_by_side ? (int)(w * NOTICE_TEXT_SHARE) : w;
        text_area.h = side_by_side ? h : (int)(h * NOTICE_TEXT_SHARE);
    }

    struct text_layout *layout = text_layout_create(ctx->fonts, item->title, item->body,
                                                    text_area.w, text_area.h, ctx->min_px,
                                                    ctx->text_scale > 0 ? ctx->text_scale : 1);
    if (!layout) {
        snprintf(why, why_len, "cannot lay out the text");
        return false;
    }
    int pages = text_layout_pages(layout);
    if (pages > CONTENT_MAX_PAGES) {
        log_warn("item %s needs %d pages; only the first %d are shown", item->id, pages,
                 CONTENT_MAX_PAGES);
        pages = CONTENT_MAX_PAGES;
    }

    bool ok = true;
    for (int p = 0; ok && p < pages; p++) {
        SDL_Surface *page = new_page(w, h, item->bg);
        ok = page && text_layout_draw(layout, p, page, &text_area, item->fg);
        if (ok && qr_area) {
            SDL_Rect area = caption_split(ctx, item, page, *qr_area);
            ok = qr_draw(page, &area, item->qr, why, why_len);
        } else if (!ok) {
            snprintf(why, why_len, "cannot draw the text");
        }
        if (!ok) {
            SDL_FreeSurface(page);
            break;
        }
        ok = add_page(out, page);
    }
    text_layout_destroy(layout);
    return ok;
}

static bool render_notice(struct content_ctx *ctx, const struct manifest_item *item, int w,
                          int h, struct content *out, char *why, size_t why_len)
{
    SDL_Rect qr_area;
    if (w >= h) {
        int tw = (int)(w * NOTICE_TEXT_SHARE);
        qr_area = (SDL_Rect){tw, 0, w - tw, h};
    } else {
        int th = (int)(h * NOTICE_TEXT_SHARE);
        qr_area = (SDL_Rect){0, th, w, h - th};
    }
    /* A margin so the code's white quiet zone does not touch the edge. */
    int margin = (qr_area.w < qr_area.h ? qr_area.w : qr_area.h) / 16;
    qr_area.x += margin;
    qr_area.y += margin;
    qr_area.w -= 2 * margin;
    qr_area.h -= 2 * margin;
    return render_text(ctx, item, w, h, &qr_area, out, why, why_len);
}

bool content_render(struct content_ctx *ctx, const struct manifest_item *item, int w, int h,
                    struct content *out, char *why, size_t why_len)
{
    *out = (struct content){0};
    bool ok = false;
    switch (item->type) {
    case ITEM_IMAGE:
        ok = render_image(ctx, item, w, h, out, why, why_len);
        break;
    case ITEM_TEXT:
        ok = render_text(ctx, item, w, h, NULL, out, why, why_len);
        break;
    case ITEM_QR:
        ok = render_qr(ctx, item, w, h, out, why, why_len);
        break;
    case ITEM_NOTICE:
        ok = render_notice(ctx, item, w, h, out, why, why_len);
        break;
    case ITEM_VIDEO:
        snprintf(why, why_len, "a video has no still picture");
        break;
    }
    if (!ok || out->n_pages == 0) {
        if (out->n_pages == 0 && ok)
            snprintf(why, why_len, "nothing to show");
        content_finish(out);
        return false;
    }
    return true;
}

/* Splits AREA: the first SHARE of its width (WIDE) or height goes to
 * *FIRST, the rest after a GAP to *REST. */
static void split(SDL_Rect area, bool wide, double share, int gap, SDL_Rect *first,
                  SDL_Rect *rest)
{
    *first = area;
    *rest = area;
    if (wide) {
        first->w = (int)(area.w * share);
        rest->x = area.x + first->w + gap;
        rest->w = area.w - first->w - gap;
    } else {
        first->h = (int)(area.h * share);
        rest->y = area.y + first->h + gap;
        rest->h = area.h - first->h - gap;
    }
}

/* The picture fitted whole into BOX of PAGE, on the card's colour. */
static bool card_picture(struct content_ctx *ctx, const struct manifest_item *card,
                         const char *path, SDL_Surface *page, SDL_Rect box, char *why,
                         size_t why_len)
{
    SDL_Surface *img = image_load(path, ctx->max_texture, ctx->max_texture, why, why_len);
    if (!img)
        return false;
    SDL_Surface *area = new_page(box.w, box.h, card->bg);
    bool ok = area && place_image(img, area, false);
    if (ok)
        ok = SDL_BlitSurface(area, NULL, page, &box) == 0;
    if (!ok)
        snprintf(why, why_len, "cannot fit %s into %dx%d", path, box.w, box.h);
    SDL_FreeSurface(area);
    SDL_FreeSurface(img);
    return ok;
}

/* The body and QR code of a card in AREA; a problem with either costs
 * only that part. */
static void card_words(struct content_ctx *ctx, const struct manifest_item *card,
                       SDL_Surface *page, SDL_Rect area, int gap)
{
    SDL_Rect text = area, code = area;
    bool wide = area.w > area.h;
    if (card->qr && card->body) {
        double share = 1 - fmin(CARD_QR_SHARE, (double)(wide ? area.h : area.w) /
                                                   (wide ? area.w : area.h));
        split(area, wide, share, gap, &text, &code);
    }
    if (card->body) {
        struct text_layout *layout = text_layout_create(
            ctx->fonts, NULL, card->body, text.w, text.h, ctx->min_px,
            ctx->text_scale > 0 ? ctx->text_scale : 1);
        if (layout && text_layout_pages(layout) > 1)
            log_warn("alert %s: the text does not all fit beside the media; only its "
                     "beginning is shown", card->id);
        if (!layout || !text_layout_draw(layout, 0, page, &text, card->fg))
            log_warn("alert %s: cannot draw the text of its card", card->id);
        text_layout_destroy(layout);
    }
    if (card->qr) {
        char why[256];
        if (!qr_draw(page, &code, card->qr, why, sizeof(why)))
            log_warn("alert %s: no QR code on its card: %s", card->id, why);
    }
}

bool content_render_card(struct content_ctx *ctx, const struct manifest_item *card,
                         const char *image_path, int w, int h, struct content *out,
                         SDL_Rect *box, char *why, size_t why_len)
{
    *out = (struct content){0};
    if (!ctx->fonts) {
        snprintf(why, why_len, "no font to draw text with");
        return false;
    }
    SDL_Surface *page = new_page(w, h, card->bg);
    if (!page) {
        snprintf(why, why_len, "out of memory");
        return false;
    }
    int margin = (w < h ? w : h) / 40 + 2;
    int band = (int)(h * CARD_TITLE_SHARE);
    if (band < ctx->min_px * 2)
        band = ctx->min_px * 2;
    SDL_Rect title = {margin, 0, w - 2 * margin, band};
    if (card->title)
        text_draw_line(ctx->fonts, card->title, true, page, &title, card->fg, ctx->min_px);

    SDL_Rect free_area = {margin, band, w - 2 * margin, h - band - margin};
    bool wide = free_area.w >= free_area.h * CARD_WIDE;
    SDL_Rect words = {0};
    *box = free_area;
    if (card->body || card->qr)
        split(free_area, wide, CARD_MEDIA_SHARE, margin, box, &words);
    if (box->w <= 0 || box->h <= 0) {
        snprintf(why, why_len, "a %dx%d card has no room for media", w, h);
        goto fail;
    }
    if (image_path && !card_picture(ctx, card, image_path, page, *box, why, why_len))
        goto fail;
    if (words.w > 0 && words.h > 0)
        card_words(ctx, card, page, words, margin);
    return add_page(out, page);

fail:
    SDL_FreeSurface(page);
    return false;
}

bool content_render_fallback(struct content_ctx *ctx, const char *image_path, const char *name,
                             int w, int h, struct content *out)
{
    *out = (struct content){0};
    SDL_Surface *page = new_page(w, h, fallback_bg);
    if (!page)
        return false;

    bool drawn = false;
    if (image_path && image_path[0]) {
        char why[256];
        SDL_Surface *img = image_load(image_path, ctx->max_texture, ctx->max_texture,
                                      why, sizeof(why));
        if (img) {
            drawn = place_image(img, page, false);
            SDL_FreeSurface(img);
        } else {
            log_warn("fallback image %s unusable: %s; showing the device name", image_path,
                     why);
        }
    }
    if (!drawn && ctx->fonts) {
        SDL_Rect band = {0, h / 3, w, h / 3};
        text_draw_line(ctx->fonts, name, true, page, &band, fallback_fg, ctx->min_px);
    }
    return add_page(out, page);
}

/* Renders bytes [FROM, TO) of TEXT as one strip; false on failure. */
static bool add_strip(struct content *out, TTF_Font *font, const char *text, size_t from,
                      size_t to)
{
    char *piece = strndup(text + from, to - from);
    if (!piece)
        return false;
    for (char *c = piece; *c; c++) {
        if (*c == '\n' || *c == '\r' || *c == '\t')
            *c = ' ';
    }
    SDL_Color white = {255, 255, 255, 255};
    SDL_Surface *s = TTF_RenderUTF8_Blended(font, piece, white);
    free(piece);
    return s && add_page(out, s);
}

bool content_render_strip(struct content_ctx *ctx, const char *text, int band_h,
                          struct content *out)
{
    *out = (struct content){0};
    TTF_Font *font = ctx->fonts ? text_font(ctx->fonts, true, band_h * 6 / 10) : NULL;
    if (!font || !text[0])
        return false;

    size_t n = strlen(text), start = 0, i = 0;
    int width = 0;
    while (i < n) {
        size_t clen;
        wrap_utf8_decode(text + i, n - i, &clen);
        char one[8] = {0};
        memcpy(one, text + i, clen < 7 ? clen : 7);
        int w = 0;
        TTF_SizeUTF8(font, one, &w, NULL);
        if (width + w > CONTENT_STRIP_MAX && i > start) {
            if (!add_strip(out, font, text, start, i))
                goto fail;
            start = i;
            width = 0;
        }
        width += w;
        i += clen;
    }
    if (!add_strip(out, font, text, start, n))
        goto fail;
    return true;

fail:
    content_finish(out);
    return false;
}

void content_finish(struct content *out)
{
    for (int i = 0; i < out->n_pages; i++)
        SDL_FreeSurface(out->pages[i]);
    free(out->pages);
    *out = (struct content){0};
}
