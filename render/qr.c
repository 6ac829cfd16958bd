#include "render/qr.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <qrencode.h>

bool qr_draw(SDL_Surface *dst, const SDL_Rect *area, const char *data, char *why,
             size_t why_len)
{
    /* Level M survives a scuffed or partly reflective screen and still
     * keeps codes for typical sign-up URLs small. */
    QRcode *code = QRcode_encodeString(data, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
    if (!code) {
        snprintf(why, why_len, "cannot encode QR data (%zu bytes): %s", strlen(data),
                 errno == ERANGE ? "too long for a QR code" : strerror(errno));
        return false;
    }

    int modules = code->width + 2 * QR_QUIET_MODULES;
    int side = area->w < area->h ? area->w : area->h;
    int px = side / modules;
    if (px < QR_MIN_MODULE_PX) {
        snprintf(why, why_len, "a %dx%d module code needs %d px, the zone gives %d",
                 code->width, code->width, modules * QR_MIN_MODULE_PX, side);
        QRcode_free(code);
        return false;
    }

    int size = modules * px;
    int x0 = area->x + (area->w - size) / 2;
    int y0 = area->y + (area->h - size) / 2;
    Uint32 white = SDL_MapRGB(dst->format, 255, 255, 255);
    Uint32 black = SDL_MapRGB(dst->format, 0, 0, 0);

    SDL_Rect quiet = {x0, y0, size, size};
    SDL_FillRect(dst, &quiet, white);
    for (int y = 0; y < code->width; y++) {
        for (int x = 0; x < code->width; x++) {
            /* Bit 0 of each byte is the module's colour: 1 is dark. */
            if (!(code->data[y * code->width + x] & 1))
                continue;
            SDL_Rect m = {x0 + (x + QR_QUIET_MODULES) * px, y0 + (y + QR_QUIET_MODULES) * px,
                          px, px};
            SDL_FillRect(dst, &m, black);
        }
    }
    QRcode_free(code);
    return true;
}
