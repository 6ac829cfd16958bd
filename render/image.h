/*
 * Still images: from a file on disk to an upright ARGB8888 surface no
 * larger than the zone that will show it.
 *
 * A file is read into memory once, its header probed (render/image_probe.h)
 * so that absurd pixel counts are refused before a decoder allocates them,
 * then decoded by SDL_image, scaled with libswscale and turned upright
 * according to its EXIF orientation.
 */
#ifndef LIANBO_RENDER_IMAGE_H
#define LIANBO_RENDER_IMAGE_H

#include <stddef.h>

#include <SDL.h>

/*
 * Most pixels a header may claim, in pixels (not bytes). A decoded pixel
 * costs 4 bytes, and more while the decoder and the scaler each hold a
 * copy, so 64 million pixels (256 MB decoded) is about as much as a
 * Pi-class board with 1-2 GB can afford next to video playback. Photos
 * from ordinary cameras and phones (up to about 50 megapixels) fit.
 */
#define IMAGE_MAX_PIXELS (64LL * 1000 * 1000)

/* Largest file read, in bytes: 64 MiB is far beyond any sensible still
 * image and keeps the in-memory copy affordable. */
#define IMAGE_MAX_FILE_BYTES (64LL * 1024 * 1024)

/*
 * Loads the still image at PATH (JPEG, PNG, WebP, GIF first frame, BMP) as
 * an SDL_PIXELFORMAT_ARGB8888 surface, upright according to its EXIF
 * orientation, and no larger than MAX_W x MAX_H (both > 0): larger images
 * are shrunk keeping their aspect, smaller ones are left alone. Never
 * refused for being large, except that a header claiming more than
 * IMAGE_MAX_PIXELS pixels, or a file over IMAGE_MAX_FILE_BYTES, is refused
 * before decoding.
 *
 * Returns NULL with the reason in WHY (missing file, zero bytes, not an
 * image, corrupt or truncated, too many pixels, …); WHY does not repeat
 * PATH. A JPEG cut short decodes to its upper part with the rest grey; that
 * is shown, with a warning logged.
 *
 * Safe to call from a worker thread, provided the main thread called
 * IMG_Init() for JPEG, PNG and WebP at start-up (SDL_image otherwise
 * initialises its decoders lazily, from whichever thread comes first).
 * Caller owns the surface.
 */
SDL_Surface *image_load(const char *path, int max_w, int max_h, char *why,
                        size_t why_len);

/*
 * Scales SRC to W x H with libswscale: area averaging when shrinking,
 * bicubic when growing. SRC is ARGB8888, or any other packed 24- or
 * 32-bit RGB layout (RGB24, ABGR8888, …), which is converted on the way;
 * a colour key in SRC is ignored. Pixels with alpha are averaged weighted
 * by their alpha, which costs a full-size copy of SRC. Returns a new
 * ARGB8888 surface owned by the caller, or NULL with SDL_GetError() set.
 */
SDL_Surface *image_scale(SDL_Surface *src, int w, int h);

/*
 * Applies EXIF orientation 1..8 to SRC, which is any non-palette format,
 * returning a new surface in the same format (a copy for 1, and for values
 * outside 1..8, which EXIF readers treat as "as stored"). Orientations 5-8
 * swap width and height; 6 is a quarter turn clockwise. Caller owns the
 * result; NULL with SDL_GetError() set on failure.
 */
SDL_Surface *image_orient(SDL_Surface *src, int orientation);

#endif
