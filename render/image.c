/*
 * Still image loading. The order of the steps matters for memory: the
 * decoded picture is scaled straight from the decoder's own pixel layout
 * into the final size, and only the small result is converted and turned
 * upright, so a large photo is held in memory once, not three times.
 */
#define LOG_MODULE "image"
#include "render/image.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <SDL_image.h>
#include <libavutil/pixfmt.h>
#include <libexif/exif-data.h>
#include <libswscale/swscale.h>

#include "player/log.h"
#include "render/image_probe.h"

static void set_why(char *why, size_t why_len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_why(char *why, size_t why_len, const char *fmt, ...)
{
    if (!why || why_len == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, why_len, fmt, ap);
    va_end(ap);
}

/* ---- reading ------------------------------------------------------- */

/* Reads all of PATH into a malloc'd buffer the caller frees. */
static bool image_read_file(const char *path, uint8_t **out, size_t *out_len,
                            char *why, size_t why_len)
{
    char err[128];
    uint8_t *buf = NULL;
    bool ok = false;

    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        set_why(why, why_len, "cannot open: %s", strerror_r(errno, err, sizeof(err)));
        return false;
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        set_why(why, why_len, "cannot stat: %s", strerror_r(errno, err, sizeof(err)));
        goto close_fd;
    }
    if (!S_ISREG(st.st_mode)) {
        set_why(why, why_len, "not a regular file");
        goto close_fd;
    }
    if (st.st_size == 0) {
        set_why(why, why_len, "file is empty (0 bytes)");
        goto close_fd;
    }
    if (st.st_size > IMAGE_MAX_FILE_BYTES) {
        set_why(why, why_len, "file is %lld bytes, more than the %lld MiB allowed "
                "for a still image", (long long)st.st_size,
                IMAGE_MAX_FILE_BYTES / (1024 * 1024));
        goto close_fd;
    }

    size_t len = (size_t)st.st_size, got = 0;
    buf = malloc(len);
    if (!buf) {
        set_why(why, why_len, "out of memory reading %zu bytes", len);
        goto close_fd;
    }
    while (got < len) {
        ssize_t n = read(fd, buf + got, len - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            set_why(why, why_len, "read failed: %s", strerror_r(errno, err, sizeof(err)));
            goto free_buf;
        }
        if (n == 0) {
            set_why(why, why_len, "file shrank from %zu to %zu bytes while being read",
                    len, got);
            goto free_buf;
        }
        got += (size_t)n;
    }
    *out = buf;
    *out_len = len;
    buf = NULL;
    ok = true;

free_buf:
    free(buf);
close_fd:
    close(fd);
    return ok;
}

/* ---- EXIF ---------------------------------------------------------- */

/* The orientation tag of a JPEG's EXIF block, 1 ("as stored") if absent
 * or out of range. */
static int image_exif_orientation(const uint8_t *data, size_t len)
{
    ExifData *ed = exif_data_new();
    if (!ed)
        return 1;
    /* Read the tags as the camera wrote them; the specification fix-ups
     * would only add and rewrite entries this code never looks at. */
    exif_data_unset_option(ed, EXIF_DATA_OPTION_FOLLOW_SPECIFICATION);
    exif_data_load_data(ed, data, (unsigned int)len);

    int orientation = 1;
    ExifEntry *e = exif_content_get_entry(ed->ifd[EXIF_IFD_0], EXIF_TAG_ORIENTATION);
    if (e && e->format == EXIF_FORMAT_SHORT && e->components >= 1 && e->size >= 2)
        orientation = exif_get_short(e->data, exif_data_get_byte_order(ed));
    exif_data_unref(ed);

    if (orientation < 1 || orientation > 8) {
        log_debug("EXIF orientation %d is out of range, treating as 1", orientation);
        orientation = 1;
    }
    return orientation;
}

/*
 * libjpeg decodes a JPEG that stops early without complaint, filling the
 * missing rows with grey. A complete file has an end-of-image marker after
 * its last scan; 0xFF followed by a marker byte cannot occur inside scan
 * data, so the last such pair tells which came last.
 */
static bool image_jpeg_looks_truncated(const uint8_t *data, size_t len)
{
    for (size_t i = len; i >= 2; i--) {
        if (data[i - 2] != 0xff)
            continue;
        if (data[i - 1] == 0xd9)
            return false; /* end of image */
        if (data[i - 1] == 0xda)
            return true; /* start of scan, and nothing ended it */
    }
    return true;
}

/* ---- scaling ------------------------------------------------------- */

/* The libswscale name for an SDL pixel layout, AV_PIX_FMT_NONE for the
 * layouts (palettes, 16-bit) that SDL converts first. The *32 names are
 * native-endian words, like SDL's packed formats. */
static enum AVPixelFormat image_av_format(Uint32 format)
{
    switch (format) {
    case SDL_PIXELFORMAT_ARGB8888:
        return AV_PIX_FMT_RGB32;
    case SDL_PIXELFORMAT_ABGR8888:
        return AV_PIX_FMT_BGR32;
    case SDL_PIXELFORMAT_RGBA8888:
        return AV_PIX_FMT_RGB32_1;
    case SDL_PIXELFORMAT_BGRA8888:
        return AV_PIX_FMT_BGR32_1;
    case SDL_PIXELFORMAT_XRGB8888:
        return AV_PIX_FMT_0RGB32;
    case SDL_PIXELFORMAT_XBGR8888:
        return AV_PIX_FMT_0BGR32;
    case SDL_PIXELFORMAT_RGB24:
        return AV_PIX_FMT_RGB24;
    case SDL_PIXELFORMAT_BGR24:
        return AV_PIX_FMT_BGR24;
    default:
        return AV_PIX_FMT_NONE;
    }
}

/* One libswscale call from SRC, in layout IN, to a new ARGB8888 surface. */
static SDL_Surface *image_swscale(SDL_Surface *src, enum AVPixelFormat in, int w, int h)
{
    SDL_Surface *dst = SDL_CreateRGBSurfaceWithFormat(0, w, h, 32,
                                                      SDL_PIXELFORMAT_ARGB8888);
    if (!dst)
        return NULL;

    /* Full chroma resolution in and out: should libswscale route RGB
     * through YUV, colour must not be subsampled on the way, or thin
     * coloured lines and text would smear. */
    bool shrinking = (int64_t)w * h < (int64_t)src->w * src->h;
    int flags = (shrinking ? SWS_AREA : SWS_BICUBIC) | SWS_ACCURATE_RND |
                SWS_FULL_CHR_H_INT | SWS_FULL_CHR_H_INP;
    struct SwsContext *sws = sws_getContext(src->w, src->h, in, w, h, AV_PIX_FMT_RGB32,
                                            flags, NULL, NULL, NULL);
    if (!sws) {
        SDL_SetError("libswscale cannot scale %dx%d to %dx%d", src->w, src->h, w, h);
        SDL_FreeSurface(dst);
        return NULL;
    }
    if (SDL_LockSurface(src) != 0) {
        sws_freeContext(sws);
        SDL_FreeSurface(dst);
        return NULL;
    }
    const uint8_t *const src_planes[4] = { src->pixels };
    const int src_strides[4] = { src->pitch };
    uint8_t *const dst_planes[4] = { dst->pixels };
    const int dst_strides[4] = { dst->pitch };
    sws_scale(sws, src_planes, src_strides, 0, src->h, dst_planes, dst_strides);
    SDL_UnlockSurface(src);
    sws_freeContext(sws);
    return dst;
}

/* Multiplies (or, with UNDO, divides) each colour of an ARGB8888 surface
 * by its alpha, rounding to nearest. */
static void image_premultiply(SDL_Surface *s, bool undo)
{
    for (int y = 0; y < s->h; y++) {
        Uint32 *row = (Uint32 *)((Uint8 *)s->pixels + (size_t)y * s->pitch);
        for (int x = 0; x < s->w; x++) {
            Uint32 p = row[x], a = p >> 24, out = p & 0xff000000u;
            if (a == 255 || (undo && a == 0)) {
                continue;
            }
            for (int shift = 0; shift < 24; shift += 8) {
                Uint32 c = p >> shift & 0xff;
                c = undo ? (c * 255 + a / 2) / a : (c * a + 127) / 255;
                out |= (c > 255 ? 255 : c) << shift;
            }
            row[x] = out;
        }
    }
}

SDL_Surface *image_scale(SDL_Surface *src, int w, int h)
{
    if (!src || w <= 0 || h <= 0) {
        SDL_SetError("cannot scale to %dx%d", w, h);
        return NULL;
    }
    enum AVPixelFormat in = image_av_format(src->format->format);
    if (in == AV_PIX_FMT_NONE) {
        SDL_SetError("cannot scale pixel format %s",
                     SDL_GetPixelFormatName(src->format->format));
        return NULL;
    }
    if (!SDL_ISPIXELFORMAT_ALPHA(src->format->format))
        return image_swscale(src, in, w, h);

    /* Averaging straight (not premultiplied) colours lets the colour of
     * invisible pixels bleed into visible ones: a logo on a transparent
     * black background would get a dark rim. So the pixels are scaled
     * premultiplied, on a copy, and divided back afterwards. */
    SDL_Surface *pre = SDL_ConvertSurfaceFormat(src, SDL_PIXELFORMAT_ARGB8888, 0);
    if (!pre)
        return NULL;
    image_premultiply(pre, false);
    SDL_Surface *out = image_swscale(pre, AV_PIX_FMT_RGB32, w, h);
    SDL_FreeSurface(pre);
    if (out)
        image_premultiply(out, true);
    return out;
}

/* The largest size within MAX_W x MAX_H with the aspect of W x H, never
 * larger than W x H itself and never below 1x1. */
static void image_fit(int w, int h, int max_w, int max_h, int *out_w, int *out_h)
{
    *out_w = w;
    *out_h = h;
    if (w <= max_w && h <= max_h)
        return;
    if ((int64_t)w * max_h > (int64_t)h * max_w) {
        *out_w = max_w;
        *out_h = (int)(((int64_t)h * max_w + w / 2) / w);
    } else {
        *out_h = max_h;
        *out_w = (int)(((int64_t)w * max_h + h / 2) / h);
    }
    if (*out_w < 1)
        *out_w = 1;
    if (*out_h < 1)
        *out_h = 1;
}

/* ---- orientation --------------------------------------------------- */

/*
 * For each EXIF orientation, how a pixel of the upright image is found in
 * the stored one: with (u, v) = transpose ? (y, x) : (x, y), the source is
 * (mirror_x ? W-1-u : u, mirror_y ? H-1-v : v) in the W x H stored image.
 */
static const struct {
    bool transpose, mirror_x, mirror_y;
} image_orientations[9] = {
    [1] = { false, false, false },
    [2] = { false, true, false },  /* mirrored left-right */
    [3] = { false, true, true },   /* upside down */
    [4] = { false, false, true },  /* mirrored top-bottom */
    [5] = { true, false, false },  /* transposed */
    [6] = { true, false, true },   /* needs a quarter turn clockwise */
    [7] = { true, true, true },    /* transverse */
    [8] = { true, true, false },   /* needs a quarter turn anticlockwise */
};

SDL_Surface *image_orient(SDL_Surface *src, int orientation)
{
    if (!src) {
        SDL_SetError("no surface to orient");
        return NULL;
    }
    int bpp = src->format->BytesPerPixel;
    if (src->format->palette || bpp < 1 || bpp > 4) {
        SDL_SetError("cannot orient pixel format %s",
                     SDL_GetPixelFormatName(src->format->format));
        return NULL;
    }
    if (orientation < 1 || orientation > 8)
        orientation = 1;
    bool transpose = image_orientations[orientation].transpose;
    bool mirror_x = image_orientations[orientation].mirror_x;
    bool mirror_y = image_orientations[orientation].mirror_y;

    int w = transpose ? src->h : src->w, h = transpose ? src->w : src->h;
    SDL_Surface *dst = SDL_CreateRGBSurfaceWithFormat(0, w, h, 0, src->format->format);
    if (!dst)
        return NULL;
    if (SDL_LockSurface(src) != 0) {
        SDL_FreeSurface(dst);
        return NULL;
    }
    for (int y = 0; y < h; y++) {
        uint8_t *row = (uint8_t *)dst->pixels + (size_t)y * dst->pitch;
        for (int x = 0; x < w; x++) {
            int u = transpose ? y : x, v = transpose ? x : y;
            int sx = mirror_x ? src->w - 1 - u : u;
            int sy = mirror_y ? src->h - 1 - v : v;
            const uint8_t *from = (const uint8_t *)src->pixels +
                                  (size_t)sy * src->pitch + (size_t)sx * bpp;
            memcpy(row + (size_t)x * bpp, from, (size_t)bpp);
        }
    }
    SDL_UnlockSurface(src);

    SDL_BlendMode mode;
    if (SDL_GetSurfaceBlendMode(src, &mode) == 0)
        SDL_SetSurfaceBlendMode(dst, mode);
    return dst;
}

/* ---- loading ------------------------------------------------------- */

/*
 * Turns the decoder's output into the final ARGB8888 surface: scaled to
 * fit MAX_W x MAX_H once upright, then turned upright. Scaling comes first
 * so that the big picture is read once and only the small one is turned.
 */
static SDL_Surface *image_finish(SDL_Surface *decoded, int orientation,
                                 int max_w, int max_h)
{
    SDL_Surface *argb = NULL, *fitted = NULL, *result = NULL;
    bool swap = image_orientations[orientation].transpose;
    int up_w = swap ? decoded->h : decoded->w, up_h = swap ? decoded->w : decoded->h;
    int fit_w, fit_h;
    image_fit(up_w, up_h, max_w, max_h, &fit_w, &fit_h);
    int w = swap ? fit_h : fit_w, h = swap ? fit_w : fit_h;

    /* A colour key (GIF and some PNG transparency) only survives SDL's own
     * conversion, which turns it into alpha; so do palettes. */
    SDL_Surface *src = decoded;
    bool direct = image_av_format(decoded->format->format) != AV_PIX_FMT_NONE &&
                  !SDL_HasColorKey(decoded);
    if (!direct || (w == decoded->w && h == decoded->h)) {
        argb = SDL_ConvertSurfaceFormat(decoded, SDL_PIXELFORMAT_ARGB8888, 0);
        if (!argb)
            goto out;
        src = argb;
    }
    if (w != src->w || h != src->h) {
        fitted = image_scale(src, w, h);
        if (!fitted)
            goto out;
    } else {
        fitted = argb; /* same size: the conversion above is the result */
        argb = NULL;
    }

    if (orientation == 1) {
        result = fitted;
        fitted = NULL;
    } else {
        result = image_orient(fitted, orientation);
    }

out:
    SDL_FreeSurface(fitted);
    SDL_FreeSurface(argb);
    return result;
}

/* True for an extended WebP whose flags say it is animated, which
 * SDL_image 2.6 cannot decode. */
static bool image_webp_is_animated(const uint8_t *data, size_t len)
{
    return len > 20 && memcmp(data + 12, "VP8X", 4) == 0 && (data[20] & 0x02);
}

/*
 * The decoder's output, or NULL with WHY set. The decoder is the one for
 * the probed format, called directly: SDL_image's own format guessing
 * could pick another, and refuses a JPEG whose header segments run past
 * the end with a misleading "unsupported image format".
 */
static SDL_Surface *image_decode(const uint8_t *data, size_t len,
                                 const struct image_info *info, char *why, size_t why_len)
{
    /* len <= IMAGE_MAX_FILE_BYTES, so it fits an int. */
    SDL_RWops *rw = SDL_RWFromConstMem(data, (int)len);
    if (!rw) {
        set_why(why, why_len, "SDL_RWFromConstMem failed: %s", SDL_GetError());
        return NULL;
    }
    SDL_Surface *s = NULL;
    switch (info->format) {
    case IMAGE_FORMAT_JPEG:
        s = IMG_LoadJPG_RW(rw);
        break;
    case IMAGE_FORMAT_PNG:
        s = IMG_LoadPNG_RW(rw);
        break;
    case IMAGE_FORMAT_GIF:
        s = IMG_LoadGIF_RW(rw);
        break;
    case IMAGE_FORMAT_BMP:
        s = IMG_LoadBMP_RW(rw);
        break;
    case IMAGE_FORMAT_WEBP:
        s = IMG_LoadWEBP_RW(rw);
        break;
    default:
        SDL_SetError("no decoder");
        break;
    }
    SDL_RWclose(rw);
    if (!s && info->format == IMAGE_FORMAT_WEBP && image_webp_is_animated(data, len)) {
        set_why(why, why_len, "animated WebP is not supported, only still WebP");
        return NULL;
    }
    if (!s) {
        set_why(why, why_len, "%s is corrupt or cannot be decoded: %s",
                image_format_name(info->format), IMG_GetError());
        return NULL;
    }
    if (s->w > info->width || s->h > info->height) {
        /* The pixel limit was checked on the probed size; a decoder that
         * disagrees means the probe misread this format. */
        log_warn("%s decoded to %dx%d although its header says %dx%d",
                 image_format_name(info->format), s->w, s->h, info->width, info->height);
    }
    return s;
}

SDL_Surface *image_load(const char *path, int max_w, int max_h, char *why, size_t why_len)
{
    uint8_t *data = NULL;
    size_t len = 0;
    SDL_Surface *decoded = NULL, *result = NULL;
    set_why(why, why_len, "%s", "");

    if (max_w <= 0 || max_h <= 0) {
        set_why(why, why_len, "invalid maximum size %dx%d", max_w, max_h);
        goto out;
    }
    if (!image_read_file(path, &data, &len, why, why_len))
        goto out;

    /* All of the file, not just its start: a GIF's first frame may come
     * after any amount of comments, and its size counts too. */
    struct image_info info;
    if (!image_probe(data, len, &info, why, why_len))
        goto out;
    if ((long long)info.width * info.height > IMAGE_MAX_PIXELS) {
        set_why(why, why_len, "%s of %dx%d pixels is larger than the %lld million "
                "pixels allowed", image_format_name(info.format), info.width,
                info.height, IMAGE_MAX_PIXELS / 1000000);
        goto out;
    }

    decoded = image_decode(data, len, &info, why, why_len);
    if (!decoded)
        goto out;
    int orientation = 1;
    if (info.format == IMAGE_FORMAT_JPEG) {
        orientation = image_exif_orientation(data, len);
        if (image_jpeg_looks_truncated(data, len)) {
            log_warn("%s: JPEG seems cut short (no end marker after the last "
                     "scan); showing the part that decodes", path);
        }
    }

    result = image_finish(decoded, orientation, max_w, max_h);
    if (!result)
        set_why(why, why_len, "converting the decoded image failed: %s", SDL_GetError());

out:
    SDL_FreeSurface(decoded);
    free(data);
    return result;
}
