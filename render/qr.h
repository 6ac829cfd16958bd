/*
 * QR codes that a phone scans from arm's length: black modules on white,
 * the four-module quiet zone the standard asks for, and a whole number of
 * pixels per module so that no module is blurred by scaling.
 */
#ifndef LIANBO_QR_H
#define LIANBO_QR_H

#include <stdbool.h>
#include <stddef.h>

#include <SDL.h>

/* Below this many pixels per module a code on a lobby screen is hard to
 * scan from arm's length, so a zone that small is an error. */
#define QR_MIN_MODULE_PX 2

/* Modules of white border on every side, as ISO/IEC 18004 requires. */
#define QR_QUIET_MODULES 4

/*
 * Draws a QR code of DATA as large as fits, centred in AREA of DST (quiet
 * zone included). Returns false with the reason in WHY when the data cannot
 * be encoded or the code does not fit at QR_MIN_MODULE_PX.
 */
bool qr_draw(SDL_Surface *dst, const SDL_Rect *area, const char *data, char *why,
             size_t why_len);

#endif
