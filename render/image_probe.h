/*
 * Image header probing: what format a file is and how many pixels it will
 * decode to, read from its first bytes without decoding anything.
 *
 * Decoders allocate the whole picture before they look at the pixel data,
 * so a small file claiming 30000x30000 pixels costs gigabytes. Probing
 * first lets the loader refuse such a file while it is still just a header.
 * Pure C, no SDL, so it can be unit-tested and fuzzed on its own.
 */
#ifndef LIANBO_RENDER_IMAGE_PROBE_H
#define LIANBO_RENDER_IMAGE_PROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum image_format {
    IMAGE_FORMAT_UNKNOWN,
    IMAGE_FORMAT_JPEG,
    IMAGE_FORMAT_PNG,
    IMAGE_FORMAT_GIF,
    IMAGE_FORMAT_BMP,
    IMAGE_FORMAT_WEBP,
};

struct image_info {
    enum image_format format;
    int width;  /* pixels, always > 0 when image_probe() succeeds */
    int height; /* pixels, always > 0; a bottom-up BMP's height made positive */
};

/*
 * How many bytes a caller that reads only the start of a file should read:
 * a JPEG may carry tens of kilobytes of EXIF and thumbnails before its
 * frame header. Passing more (a whole file) is fine too.
 */
#define IMAGE_PROBE_MAX_BYTES (256 * 1024)

/*
 * Parses the first LEN bytes of a file. Returns false with a reason in WHY
 * (always NUL-terminated when WHY_LEN > 0) when the header is not one of
 * the formats above, is truncated, or is inconsistent. On failure INFO is
 * zeroed, except that INFO->format names the format the signature matched
 * (if any), so callers can say "truncated PNG" rather than "not an image".
 *
 * For GIF the size reported covers both the logical screen and the first
 * frame, because a decoder allocates the frame at its own declared size;
 * if that frame lies beyond LEN, only the screen size is known.
 */
bool image_probe(const uint8_t *data, size_t len, struct image_info *info,
                 char *why, size_t why_len);

/* Returns "JPEG", "PNG", …, or "unknown". Never NULL. */
const char *image_format_name(enum image_format f);

#endif
