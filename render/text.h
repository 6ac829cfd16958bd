/*
 * Text blocks: a title and a body laid out to fit an area, shrinking the
 * type down to a minimum size and then splitting the body over pages, so
 * that nothing an operator wrote is ever silently clipped.
 *
 * Everything here runs on the loader thread; SDL_ttf is only ever used from
 * that one thread.
 */
#ifndef LIANBO_TEXT_H
#define LIANBO_TEXT_H

#include <stdbool.h>

#include <SDL.h>
#include <SDL_ttf.h>

#include "player/manifest.h"

struct text_fonts;
struct text_layout;

/*
 * Opens the fonts: REGULAR and BOLD are file paths, or "" to ask
 * fontconfig for a font that covers Chinese (Noto CJK, WenQuanYi, …).
 * Returns NULL with the reason logged when no usable font exists.
 */
struct text_fonts *text_fonts_create(const char *regular, const char *bold);
void text_fonts_destroy(struct text_fonts *fonts);

/* The file the regular face came from, for the log and diagnostics. */
const char *text_fonts_path(const struct text_fonts *fonts);

/* A face at PX pixels; owned by FONTS and cached. NULL on failure. */
TTF_Font *text_font(struct text_fonts *fonts, bool bold, int px);

/*
 * Lays out TITLE and BODY (either may be NULL) to fit W x H pixels. The
 * type starts large for the area (SCALE times the usual start; alerts ask
 * for more) and shrinks in steps down to MIN_PX; if
 * the body still does not fit, it is split over pages, each repeating the
 * title and showing "page/pages" in a corner. Returns NULL on failure.
 */
struct text_layout *text_layout_create(struct text_fonts *fonts, const char *title,
                                       const char *body, int w, int h, int min_px,
                                       double scale);
void text_layout_destroy(struct text_layout *layout);
int text_layout_pages(const struct text_layout *layout);

/* Draws page PAGE (0-based) into AREA of DST in colour FG. */
bool text_layout_draw(const struct text_layout *layout, int page, SDL_Surface *dst,
                      const SDL_Rect *area, struct color fg);

/* Draws one line centred in AREA, shrunk until it fits the width. */
bool text_draw_line(struct text_fonts *fonts, const char *line, bool bold, SDL_Surface *dst,
                    const SDL_Rect *area, struct color fg, int min_px);

#endif
