/*
 * Tests for render/image_probe.c and render/image.c.
 *
 * The probe is checked against headers built byte by byte here, every
 * prefix of each (a header cut short must be refused, never half-read),
 * and a list of broken ones. image_orient() is checked against the EXIF
 * definitions of the eight orientations, and image_load() against files
 * written to a temporary directory at run time.
 */
#include <SDL.h>
#include <SDL_image.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "render/image.h"
#include "render/image_probe.h"
#include "tests/check.h"

#define LEN(a) (sizeof(a) / sizeof((a)[0]))

#define LE16(v) (uint8_t)((v) & 0xff), (uint8_t)(((v) >> 8) & 0xff)
#define LE24(v) LE16(v), (uint8_t)(((v) >> 16) & 0xff)
#define LE32(v) LE24(v), (uint8_t)(((uint32_t)(v) >> 24) & 0xff)
#define BE16(v) (uint8_t)(((v) >> 8) & 0xff), (uint8_t)((v) & 0xff)
#define BE32(v) BE16((uint32_t)(v) >> 16), BE16(v)
#define PNG_SIG 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'

/* ---- headers that must be read ------------------------------------ */

static const uint8_t png_640x480[] = {
    PNG_SIG, BE32(13), 'I', 'H', 'D', 'R', BE32(640), BE32(480),
    8, 6, 0, 0, 0, /* RGBA, 8 bits, not interlaced */
    0xde, 0xad, 0xbe, 0xef, /* CRC, which the probe leaves to libpng */
};

static const uint8_t png_30000x30000[] = {
    PNG_SIG, BE32(13), 'I', 'H', 'D', 'R', BE32(30000), BE32(30000),
    1, 0, 0, 0, 1, /* 1-bit grey, interlaced */
};

/* APP1 (EXIF) and DQT before a baseline frame header. */
static const uint8_t jpeg_app1_sof0[] = {
    0xff, 0xd8,
    0xff, 0xe1, BE16(16), 'E', 'x', 'i', 'f', 0, 0, 'M', 'M', 0, 42, 0, 0, 0, 8,
    0xff, 0xdb, BE16(4), 0, 0,
    0xff, 0xc0, BE16(17), 8, BE16(480), BE16(640), 3,
    1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1,
};

/* A frame header hidden inside APP1 (must be skipped over, not read),
 * a DHT (0xC4 sits among the SOF codes but is not one), stray bytes and
 * fill bytes, then a progressive frame. */
static const uint8_t jpeg_tricky_sof2[] = {
    0xff, 0xd8,
    0xff, 0xe1, BE16(12), 0xff, 0xc0, 0, 17, 8, 0, 16, 0, 16, 3,
    0xff, 0xc4, BE16(3), 0,
    0x12, 0x34,
    0xff, 0xff, 0xff, 0xc2, BE16(11), 8, BE16(768), BE16(1024), 1, 1, 0x11, 0,
};

/* Global colour table and a graphic control extension before the frame. */
static const uint8_t gif_320x200[] = {
    'G', 'I', 'F', '8', '9', 'a', LE16(320), LE16(200), 0x81, 0, 0,
    0, 0, 0, 255, 255, 255, 255, 0, 0, 0, 0, 255,
    0x21, 0xf9, 4, 1, 0, 0, 0, 0,
    0x2c, LE16(0), LE16(0), LE16(320), LE16(200), 0,
    2, 2, 0x44, 0x01, 0, 0x3b,
};

static const uint8_t bmp_info_top_down[] = {
    'B', 'M', LE32(54 + 100 * 50 * 3), LE32(0), LE32(54),
    LE32(40), LE32(100), LE32(-50), LE16(1), LE16(24), LE32(0),
};

static const uint8_t bmp_core[] = {
    'B', 'M', LE32(26), LE32(0), LE32(26),
    LE32(12), LE16(300), LE16(200), LE16(1), LE16(24),
};

static const uint8_t bmp_v5[] = {
    'B', 'M', LE32(0), LE32(0), LE32(138),
    LE32(124), LE32(7), LE32(3), LE16(1), LE16(32),
};

/* Lossy: the two top bits of each dimension are an upscaling hint. */
static const uint8_t webp_vp8[] = {
    'R', 'I', 'F', 'F', LE32(112), 'W', 'E', 'B', 'P',
    'V', 'P', '8', ' ', LE32(100),
    LE24(0x10 | 10 << 5), 0x9d, 0x01, 0x2a, LE16(400 | 0x4000), LE16(300 | 0x8000),
};

static const uint8_t webp_vp8l[] = {
    'R', 'I', 'F', 'F', LE32(30), 'W', 'E', 'B', 'P',
    'V', 'P', '8', 'L', LE32(18),
    0x2f, LE32(999 | 1999u << 14 | 1u << 28),
};

static const uint8_t webp_vp8x[] = {
    'R', 'I', 'F', 'F', LE32(100), 'W', 'E', 'B', 'P',
    'V', 'P', '8', 'X', LE32(10),
    0x10, 0, 0, 0, LE24(19999), LE24(9999),
};

/* Real files, made with ImageMagick: a 4x2 picture, left half red and
 * right half blue, lossless; the same at 16x8, lossy; an 8x8 red square
 * at half opacity (VP8X + ALPH + VP8); a 4x2 GIF, left half red and right
 * half transparent. */
static const uint8_t real_webp_lossless[] = {
    0x52, 0x49, 0x46, 0x46, 0x22, 0x00, 0x00, 0x00, 0x57, 0x45, 0x42, 0x50,
    0x56, 0x50, 0x38, 0x4c, 0x16, 0x00, 0x00, 0x00, 0x2f, 0x03, 0x40, 0x00,
    0x00, 0x0f, 0x10, 0xf3, 0xbf, 0xff, 0xf3, 0x1f, 0x0e, 0x14, 0x02, 0x08,
    0x80, 0x82, 0x26, 0xa2, 0xff, 0xf1,
};

static const uint8_t real_webp_lossy[] = {
    0x52, 0x49, 0x46, 0x46, 0x44, 0x00, 0x00, 0x00, 0x57, 0x45, 0x42, 0x50,
    0x56, 0x50, 0x38, 0x20, 0x38, 0x00, 0x00, 0x00, 0x30, 0x02, 0x00, 0x9d,
    0x01, 0x2a, 0x10, 0x00, 0x08, 0x00, 0x00, 0xc0, 0x12, 0x25, 0xa0, 0x02,
    0x74, 0xba, 0x01, 0xf8, 0x01, 0xf8, 0x80, 0x04, 0x68, 0x00, 0x00, 0xfe,
    0xfd, 0x2b, 0x9f, 0xff, 0xdf, 0xa0, 0x9b, 0xff, 0x77, 0x9b, 0xfd, 0x74,
    0x4b, 0xcc, 0xff, 0xeb, 0x47, 0x3f, 0xfe, 0xb4, 0x65, 0x70, 0x7f, 0x5a,
    0x39, 0xbf, 0xa0, 0x00,
};

static const uint8_t real_webp_alpha[] = {
    0x52, 0x49, 0x46, 0x46, 0x60, 0x00, 0x00, 0x00, 0x57, 0x45, 0x42, 0x50,
    0x56, 0x50, 0x38, 0x58, 0x0a, 0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00,
    0x07, 0x00, 0x00, 0x07, 0x00, 0x00, 0x41, 0x4c, 0x50, 0x48, 0x0a, 0x00,
    0x00, 0x00, 0x01, 0x07, 0x50, 0xc0, 0x88, 0x08, 0x44, 0x44, 0xff, 0x03,
    0x56, 0x50, 0x38, 0x20, 0x30, 0x00, 0x00, 0x00, 0xd0, 0x01, 0x00, 0x9d,
    0x01, 0x2a, 0x08, 0x00, 0x08, 0x00, 0x02, 0x00, 0x34, 0x25, 0xa0, 0x02,
    0x74, 0xba, 0x01, 0xf8, 0x00, 0x03, 0xb0, 0x00, 0xfe, 0xf0, 0xc4, 0x0b,
    0xff, 0x20, 0xb9, 0x61, 0x75, 0xc8, 0xd7, 0xff, 0x20, 0x3f, 0xe4, 0x07,
    0xfc, 0x80, 0xff, 0xf8, 0xf2, 0x00, 0x00, 0x00,
};

static const uint8_t real_gif_transparent[] = {
    0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0x04, 0x00, 0x02, 0x00, 0xf0, 0x00,
    0x00, 0xff, 0x00, 0x00, 0x00, 0x00, 0x00, 0x21, 0xf9, 0x04, 0x01, 0x00,
    0x00, 0x01, 0x00, 0x2c, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00, 0x02, 0x00,
    0x00, 0x02, 0x04, 0x04, 0x12, 0x86, 0x05, 0x00, 0x3b,
};

struct good_case {
    const char *name;
    const uint8_t *data;
    size_t len;
    size_t min_len; /* shortest prefix that can be read */
    enum image_format format;
    int width, height;
};

#define GOOD(name, min_len, format, w, h) \
    { #name, name, sizeof(name), min_len, IMAGE_FORMAT_##format, w, h }

static const struct good_case good_cases[] = {
    GOOD(png_640x480, 29, PNG, 640, 480),
    GOOD(png_30000x30000, 29, PNG, 30000, 30000),
    GOOD(jpeg_app1_sof0, 36, JPEG, 640, 480),
    GOOD(jpeg_tricky_sof2, 35, JPEG, 1024, 768),
    GOOD(gif_320x200, 13, GIF, 320, 200),
    GOOD(bmp_info_top_down, 26, BMP, 100, 50),
    GOOD(bmp_core, 22, BMP, 300, 200),
    GOOD(bmp_v5, 26, BMP, 7, 3),
    GOOD(webp_vp8, 30, WEBP, 400, 300),
    GOOD(webp_vp8l, 25, WEBP, 1000, 2000),
    GOOD(webp_vp8x, 30, WEBP, 20000, 10000),
    GOOD(real_webp_lossless, 25, WEBP, 4, 2),
    GOOD(real_webp_lossy, 30, WEBP, 16, 8),
    GOOD(real_webp_alpha, 30, WEBP, 8, 8),
    GOOD(real_gif_transparent, 13, GIF, 4, 2),
};

static void test_good_headers(void)
{
    for (size_t i = 0; i < LEN(good_cases); i++) {
        const struct good_case *c = &good_cases[i];
        for (size_t len = 0; len <= c->len; len++) {
            struct image_info info;
            char why[200];
            bool ok = image_probe(c->data, len, &info, why, sizeof(why));
            if (len < c->min_len) {
                CHECK(!ok, "%s cut to %zu bytes was accepted", c->name, len);
                CHECK(why[0] != '\0', "%s cut to %zu bytes: no reason", c->name, len);
                CHECK(info.width == 0 && info.height == 0,
                      "%s cut to %zu bytes: size %dx%d left", c->name, len,
                      info.width, info.height);
                continue;
            }
            CHECK(ok, "%s cut to %zu bytes: %s", c->name, len, why);
            CHECK(info.format == c->format && info.width == c->width &&
                  info.height == c->height,
                  "%s cut to %zu bytes: got %s %dx%d, want %s %dx%d", c->name, len,
                  image_format_name(info.format), info.width, info.height,
                  image_format_name(c->format), c->width, c->height);
        }
    }
}

/* A frame larger than the logical screen counts: the decoder allocates
 * the frame at its own size. Until the frame is in view, only the screen
 * size is known. */
static void test_gif_frame_sizes(void)
{
    static const uint8_t big_frame[] = {
        'G', 'I', 'F', '8', '7', 'a', LE16(10), LE16(10), 0, 0, 0,
        0x2c, LE16(0), LE16(0), LE16(1000), LE16(800), 0,
    };
    static const uint8_t no_screen[] = {
        'G', 'I', 'F', '8', '9', 'a', LE16(0), LE16(0), 0, 0, 0,
        0x21, 0xfe, 3, 'h', 'i', '!', 0,
        0x2c, LE16(0), LE16(0), LE16(16), LE16(8), 0,
    };
    struct image_info info;
    char why[200];

    CHECK(image_probe(big_frame, sizeof(big_frame), &info, why, sizeof(why)), "%s", why);
    CHECK(info.width == 1000 && info.height == 800, "got %dx%d", info.width, info.height);
    CHECK(image_probe(big_frame, 13, &info, why, sizeof(why)), "%s", why);
    CHECK(info.width == 10 && info.height == 10, "got %dx%d", info.width, info.height);

    CHECK(image_probe(no_screen, sizeof(no_screen), &info, why, sizeof(why)), "%s", why);
    CHECK(info.width == 16 && info.height == 8, "got %dx%d", info.width, info.height);
    for (size_t len = 0; len < sizeof(no_screen); len++) {
        CHECK(!image_probe(no_screen, len, &info, why, sizeof(why)),
              "0x0 screen cut to %zu bytes was accepted", len);
    }
}

/* ---- headers that must be refused --------------------------------- */

struct bad_case {
    const char *name;
    const uint8_t *data;
    size_t len;
    enum image_format format; /* what the signature says it is */
    const char *why_part;     /* expected somewhere in the reason */
};

static const uint8_t text[] = "hello, this is not a picture\n";
static const uint8_t noise[] = { 0x00, 0x13, 0x37, 0xfe, 0x80, 0x7f, 0x42, 0x99 };
static const uint8_t riff_wave[] = { 'R', 'I', 'F', 'F', LE32(36), 'W', 'A', 'V', 'E',
                                     'f', 'm', 't', ' ', LE32(16) };

static const uint8_t jpeg_soi_eoi[] = { 0xff, 0xd8, 0xff, 0xd9 };
static const uint8_t jpeg_sos_first[] = { 0xff, 0xd8, 0xff, 0xda, BE16(8), 1, 1, 0, 0, 63, 0 };
static const uint8_t jpeg_two_soi[] = { 0xff, 0xd8, 0xff, 0xd8, 0xff, 0xc0, BE16(11),
                                        8, BE16(1), BE16(1), 1, 1, 0x11, 0 };
static const uint8_t jpeg_length_1[] = { 0xff, 0xd8, 0xff, 0xe0, BE16(1), 0, 0, 0, 0 };
static const uint8_t jpeg_length_past_end[] = { 0xff, 0xd8, 0xff, 0xe1, BE16(0xffff), 'E' };
static const uint8_t jpeg_height_0[] = { 0xff, 0xd8, 0xff, 0xc0, BE16(11), 8,
                                         BE16(0), BE16(64), 1, 1, 0x11, 0 };
static const uint8_t jpeg_width_0[] = { 0xff, 0xd8, 0xff, 0xc1, BE16(11), 8,
                                        BE16(64), BE16(0), 1, 1, 0x11, 0 };
static const uint8_t jpeg_bad_sof_length[] = { 0xff, 0xd8, 0xff, 0xc0, BE16(17), 8,
                                               BE16(64), BE16(64), 1, 1, 0x11, 0 };
static const uint8_t jpeg_no_components[] = { 0xff, 0xd8, 0xff, 0xc0, BE16(8), 8,
                                              BE16(64), BE16(64), 0 };

static const uint8_t png_bad_signature[] = {
    0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, 0x0b,
    BE32(13), 'I', 'H', 'D', 'R', BE32(1), BE32(1), 8, 0, 0, 0, 0,
};
static const uint8_t png_not_ihdr[] = {
    PNG_SIG, BE32(13), 'I', 'D', 'A', 'T', BE32(1), BE32(1), 8, 0, 0, 0, 0,
};
static const uint8_t png_ihdr_12[] = {
    PNG_SIG, BE32(12), 'I', 'H', 'D', 'R', BE32(1), BE32(1), 8, 0, 0, 0, 0,
};
static const uint8_t png_width_0[] = {
    PNG_SIG, BE32(13), 'I', 'H', 'D', 'R', BE32(0), BE32(1), 8, 0, 0, 0, 0,
};
static const uint8_t png_height_2g[] = {
    PNG_SIG, BE32(13), 'I', 'H', 'D', 'R', BE32(1), BE32(0x80000000u), 8, 0, 0, 0, 0,
};
static const uint8_t png_rgb_4bit[] = {
    PNG_SIG, BE32(13), 'I', 'H', 'D', 'R', BE32(1), BE32(1), 4, 2, 0, 0, 0,
};
static const uint8_t png_interlace_2[] = {
    PNG_SIG, BE32(13), 'I', 'H', 'D', 'R', BE32(1), BE32(1), 8, 0, 0, 0, 2,
};

static const uint8_t gif_88a[] = { 'G', 'I', 'F', '8', '8', 'a', LE16(1), LE16(1), 0, 0, 0 };
static const uint8_t gif_trailer_first[] = { 'G', 'I', 'F', '8', '9', 'a', LE16(5), LE16(5),
                                             0, 0, 0, 0x3b };
static const uint8_t gif_junk_block[] = { 'G', 'I', 'F', '8', '9', 'a', LE16(5), LE16(5),
                                          0, 0, 0, 0x99 };
static const uint8_t gif_frame_width_0[] = {
    'G', 'I', 'F', '8', '9', 'a', LE16(5), LE16(5), 0, 0, 0,
    0x2c, LE16(0), LE16(0), LE16(0), LE16(5), 0,
};

#define BMP_INFO(w, h) \
    'B', 'M', LE32(0), LE32(0), LE32(54), LE32(40), LE32(w), LE32(h), LE16(1), LE16(24)
static const uint8_t bmp_width_0[] = { BMP_INFO(0, 10) };
static const uint8_t bmp_width_negative[] = { BMP_INFO(-10, 10) };
static const uint8_t bmp_height_0[] = { BMP_INFO(10, 0) };
static const uint8_t bmp_height_min[] = { BMP_INFO(10, 0x80000000u) };
static const uint8_t bmp_header_200[] = { 'B', 'M', LE32(0), LE32(0), LE32(54), LE32(200),
                                          LE32(10), LE32(10), LE16(1), LE16(24) };
static const uint8_t bmp_header_8[] = { 'B', 'M', LE32(0), LE32(0), LE32(54), LE32(8),
                                        LE32(10), LE32(10), LE16(1), LE16(24) };
static const uint8_t bmp_core_0[] = { 'B', 'M', LE32(0), LE32(0), LE32(26), LE32(12),
                                      LE16(0), LE16(10), LE16(1), LE16(24) };

#define WEBP_HEAD(riff, name, size) \
    'R', 'I', 'F', 'F', LE32(riff), 'W', 'E', 'B', 'P', name, LE32(size)
#define VP8 'V', 'P', '8', ' '
#define VP8L 'V', 'P', '8', 'L'
#define VP8X 'V', 'P', '8', 'X'
#define ALPH 'A', 'L', 'P', 'H'
static const uint8_t webp_not_key_frame[] = {
    WEBP_HEAD(112, VP8, 100), LE24(0x11 | 10 << 5), 0x9d, 0x01, 0x2a, LE16(4), LE16(4),
};
static const uint8_t webp_hidden_frame[] = {
    WEBP_HEAD(112, VP8, 100), LE24(0x00 | 10 << 5), 0x9d, 0x01, 0x2a, LE16(4), LE16(4),
};
static const uint8_t webp_partition_too_big[] = {
    WEBP_HEAD(112, VP8, 100), LE24(0x10 | 100 << 5), 0x9d, 0x01, 0x2a, LE16(4), LE16(4),
};
static const uint8_t webp_no_start_code[] = {
    WEBP_HEAD(112, VP8, 100), LE24(0x10 | 10 << 5), 0x9d, 0x01, 0x2b, LE16(4), LE16(4),
};
static const uint8_t webp_vp8_width_0[] = {
    WEBP_HEAD(112, VP8, 100), LE24(0x10 | 10 << 5), 0x9d, 0x01, 0x2a, LE16(0x4000), LE16(4),
};
static const uint8_t webp_vp8_short_chunk[] = {
    WEBP_HEAD(112, VP8, 6), LE24(0x10 | 1 << 5), 0x9d, 0x01, 0x2a, LE16(4), LE16(4),
};
static const uint8_t webp_vp8l_signature[] = {
    WEBP_HEAD(30, VP8L, 18), 0x2e, LE32(0),
};
static const uint8_t webp_vp8l_version[] = {
    WEBP_HEAD(30, VP8L, 18), 0x2f, LE32(1u << 29),
};
static const uint8_t webp_vp8x_short_chunk[] = {
    WEBP_HEAD(100, VP8X, 8), 0, 0, 0, 0, LE24(9), LE24(9),
};
static const uint8_t webp_alph_first[] = {
    WEBP_HEAD(100, ALPH, 10), 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
};
static const uint8_t webp_chunk_past_riff[] = {
    WEBP_HEAD(20, VP8X, 10), 0, 0, 0, 0, LE24(9), LE24(9),
};
static const uint8_t webp_riff_size_tiny[] = {
    WEBP_HEAD(4, VP8X, 10), 0, 0, 0, 0, LE24(9), LE24(9),
};

#define BAD(name, format, part) { #name, name, sizeof(name), IMAGE_FORMAT_##format, part }

static const struct bad_case bad_cases[] = {
    { "empty", (const uint8_t *)"", 0, IMAGE_FORMAT_UNKNOWN, "empty" },
    { "text", text, sizeof(text) - 1, IMAGE_FORMAT_UNKNOWN, "not a JPEG" },
    BAD(noise, UNKNOWN, "not a JPEG"),
    BAD(riff_wave, WEBP, "not WebP"),
    BAD(jpeg_soi_eoi, JPEG, "ends"),
    BAD(jpeg_sos_first, JPEG, "scan data"),
    BAD(jpeg_two_soi, JPEG, "second start"),
    BAD(jpeg_length_1, JPEG, "length 1"),
    BAD(jpeg_length_past_end, JPEG, "no frame header"),
    BAD(jpeg_height_0, JPEG, "height 0"),
    BAD(jpeg_width_0, JPEG, "width 0"),
    BAD(jpeg_bad_sof_length, JPEG, "length 17 for 1 components"),
    BAD(jpeg_no_components, JPEG, "0 components"),
    BAD(png_bad_signature, PNG, "signature"),
    BAD(png_not_ihdr, PNG, "\"IDAT\""),
    BAD(png_ihdr_12, PNG, "length is 12"),
    BAD(png_width_0, PNG, "0x1"),
    BAD(png_height_2g, PNG, "1x2147483648"),
    BAD(png_rgb_4bit, PNG, "colour type 2 with bit depth 4"),
    BAD(png_interlace_2, PNG, "0/0/2"),
    BAD(gif_88a, GIF, "version"),
    BAD(gif_trailer_first, GIF, "without any frame"),
    BAD(gif_junk_block, GIF, "0x99 at offset 13"),
    BAD(gif_frame_width_0, GIF, "0x5"),
    BAD(bmp_width_0, BMP, "0x10"),
    BAD(bmp_width_negative, BMP, "-10x10"),
    BAD(bmp_height_0, BMP, "10x0"),
    BAD(bmp_height_min, BMP, "10x-2147483648"),
    BAD(bmp_header_200, BMP, "header size 200"),
    BAD(bmp_header_8, BMP, "header size 8"),
    BAD(bmp_core_0, BMP, "0x10"),
    BAD(webp_not_key_frame, WEBP, "key frame"),
    BAD(webp_hidden_frame, WEBP, "key frame"),
    BAD(webp_partition_too_big, WEBP, "fits its chunk"),
    BAD(webp_no_start_code, WEBP, "start code"),
    BAD(webp_vp8_width_0, WEBP, "0x4"),
    BAD(webp_vp8_short_chunk, WEBP, "6 bytes"),
    BAD(webp_vp8l_signature, WEBP, "0x2e"),
    BAD(webp_vp8l_version, WEBP, "version 1"),
    BAD(webp_vp8x_short_chunk, WEBP, "8 bytes"),
    BAD(webp_alph_first, WEBP, "\"ALPH\""),
    BAD(webp_chunk_past_riff, WEBP, "RIFF size 20"),
    BAD(webp_riff_size_tiny, WEBP, "RIFF size 4"),
};

static void test_bad_headers(void)
{
    for (size_t i = 0; i < LEN(bad_cases); i++) {
        const struct bad_case *c = &bad_cases[i];
        struct image_info info = { IMAGE_FORMAT_PNG, 123, 456 };
        char why[200];
        bool ok = image_probe(c->data, c->len, &info, why, sizeof(why));
        CHECK(!ok, "%s was accepted as %dx%d", c->name, info.width, info.height);
        CHECK(info.format == c->format && info.width == 0 && info.height == 0,
              "%s: got %s %dx%d, want %s 0x0", c->name, image_format_name(info.format),
              info.width, info.height, image_format_name(c->format));
        CHECK(strstr(why, c->why_part) != NULL, "%s: reason \"%s\" lacks \"%s\"",
              c->name, why, c->why_part);
    }
}

/* The reason buffer may be missing or tiny; data may be NULL when empty. */
static void test_reason_buffer(void)
{
    struct image_info info;
    char tiny[8];
    memset(tiny, 'x', sizeof(tiny));
    CHECK(!image_probe(text, sizeof(text), &info, tiny, sizeof(tiny)), "text accepted");
    CHECK(tiny[sizeof(tiny) - 1] == '\0' && strlen(tiny) == sizeof(tiny) - 1,
          "reason not cut to the buffer: \"%.8s\"", tiny);
    CHECK(!image_probe(text, sizeof(text), &info, NULL, 0), "text accepted without WHY");
    CHECK(!image_probe(NULL, 0, &info, tiny, sizeof(tiny)), "NULL data accepted");
    CHECK(image_probe(png_640x480, sizeof(png_640x480), &info, NULL, 0),
          "valid PNG refused without WHY");
    tiny[0] = 'x';
    CHECK(image_probe(png_640x480, sizeof(png_640x480), &info, tiny, sizeof(tiny)) &&
          tiny[0] == '\0', "WHY not cleared on success");
}

static void test_format_names(void)
{
    CHECK_STR(image_format_name(IMAGE_FORMAT_JPEG), "JPEG");
    CHECK_STR(image_format_name(IMAGE_FORMAT_PNG), "PNG");
    CHECK_STR(image_format_name(IMAGE_FORMAT_GIF), "GIF");
    CHECK_STR(image_format_name(IMAGE_FORMAT_BMP), "BMP");
    CHECK_STR(image_format_name(IMAGE_FORMAT_WEBP), "WebP");
    CHECK_STR(image_format_name(IMAGE_FORMAT_UNKNOWN), "unknown");
    CHECK_STR(image_format_name((enum image_format)99), "unknown");
}

/* ---- image_orient -------------------------------------------------- */

static Uint32 pixel_at(SDL_Surface *s, int x, int y)
{
    return *(Uint32 *)((Uint8 *)s->pixels + (size_t)y * s->pitch + (size_t)x * 4);
}

static void set_pixel(SDL_Surface *s, int x, int y, Uint32 v)
{
    *(Uint32 *)((Uint8 *)s->pixels + (size_t)y * s->pitch + (size_t)x * 4) = v;
}

static SDL_Surface *make_argb(int w, int h)
{
    return SDL_CreateRGBSurfaceWithFormat(0, w, h, 32, SDL_PIXELFORMAT_ARGB8888);
}

static SDL_Surface *make_halves(int w, int h, Uint32 left, Uint32 right)
{
    SDL_Surface *s = make_argb(w, h);
    for (int y = 0; s && y < h; y++) {
        for (int x = 0; x < w; x++)
            set_pixel(s, x, y, x < w / 2 ? left : right);
    }
    return s;
}

/*
 * The stored picture is 2 wide, 3 high:   a b
 *                                          c d
 *                                          e f
 * and each row below is how it must look upright, as the EXIF
 * specification defines orientations 1-8 ("row 0 is the visual top/
 * right/bottom/left, column 0 the visual left/top/right/bottom").
 */
static void test_orient(void)
{
    static const struct {
        int orientation, w, h;
        const char *upright; /* rows, top to bottom */
    } cases[] = {
        { 1, 2, 3, "ab" "cd" "ef" },
        { 2, 2, 3, "ba" "dc" "fe" },
        { 3, 2, 3, "fe" "dc" "ba" },
        { 4, 2, 3, "ef" "cd" "ab" },
        { 5, 3, 2, "ace" "bdf" },
        { 6, 3, 2, "eca" "fdb" },
        { 7, 3, 2, "fdb" "eca" },
        { 8, 3, 2, "bdf" "ace" },
        { 0, 2, 3, "ab" "cd" "ef" }, /* out of range: as stored */
        { 9, 2, 3, "ab" "cd" "ef" },
    };
    SDL_Surface *src = make_argb(2, 3);
    CHECK(src != NULL, "%s", SDL_GetError());
    if (!src)
        return;
    for (int i = 0; i < 6; i++)
        set_pixel(src, i % 2, i / 2, 0xff000000u | (Uint32)('a' + i) << 8);

    for (size_t i = 0; i < LEN(cases); i++) {
        SDL_Surface *out = image_orient(src, cases[i].orientation);
        CHECK(out != NULL, "orientation %d: %s", cases[i].orientation, SDL_GetError());
        if (!out)
            continue;
        CHECK(out->w == cases[i].w && out->h == cases[i].h &&
              out->format->format == SDL_PIXELFORMAT_ARGB8888,
              "orientation %d: got %dx%d %s", cases[i].orientation, out->w, out->h,
              SDL_GetPixelFormatName(out->format->format));
        char got[7] = "";
        if (out->w * out->h == 6) {
            for (int p = 0; p < 6; p++)
                got[p] = (char)((pixel_at(out, p % out->w, p / out->w) >> 8) & 0xff);
        }
        CHECK_STR(got, cases[i].upright);
        SDL_FreeSurface(out);
    }

    /* 3-byte pixels take the same path with a different stride. */
    SDL_Surface *rgb = SDL_ConvertSurfaceFormat(src, SDL_PIXELFORMAT_RGB24, 0);
    SDL_Surface *turned = rgb ? image_orient(rgb, 6) : NULL;
    CHECK(turned && turned->w == 3 && turned->h == 2 &&
          turned->format->format == SDL_PIXELFORMAT_RGB24, "RGB24 orientation 6 failed");
    if (turned) {
        Uint8 r, g, b;
        SDL_GetRGB(*(Uint32 *)turned->pixels & 0xffffff, turned->format, &r, &g, &b);
        CHECK(g == 'e', "RGB24 orientation 6: top left is '%c', want 'e'", g);
    }
    SDL_FreeSurface(turned);
    SDL_FreeSurface(rgb);

    CHECK(image_orient(NULL, 6) == NULL, "NULL surface oriented");
    SDL_FreeSurface(src);
}

/* ---- image_scale --------------------------------------------------- */

static bool near(Uint32 got, Uint32 want, int tolerance)
{
    for (int shift = 0; shift < 32; shift += 8) {
        int a = (int)(got >> shift & 0xff), b = (int)(want >> shift & 0xff);
        if (abs(a - b) > tolerance)
            return false;
    }
    return true;
}

static void test_scale(void)
{
    /* Left half red, right half blue: shrinking by averaging areas must
     * not bleed one half into the other. */
    SDL_Surface *src = make_halves(16, 8, 0xffff0000u, 0xff0000ffu);
    CHECK(src != NULL, "%s", SDL_GetError());
    if (!src)
        return;
    SDL_Surface *small = image_scale(src, 2, 1);
    CHECK(small && small->w == 2 && small->h == 1 &&
          small->format->format == SDL_PIXELFORMAT_ARGB8888, "shrink failed: %s",
          SDL_GetError());
    if (small) {
        CHECK(near(pixel_at(small, 0, 0), 0xffff0000u, 2), "left is %08x", pixel_at(small, 0, 0));
        CHECK(near(pixel_at(small, 1, 0), 0xff0000ffu, 2), "right is %08x", pixel_at(small, 1, 0));
    }
    SDL_FreeSurface(small);

    SDL_Surface *big = image_scale(src, 64, 32);
    CHECK(big && big->w == 64 && big->h == 32, "grow failed: %s", SDL_GetError());
    if (big) {
        CHECK(near(pixel_at(big, 0, 0), 0xffff0000u, 2), "grown left is %08x",
              pixel_at(big, 0, 0));
        CHECK(near(pixel_at(big, 63, 31), 0xff0000ffu, 2), "grown right is %08x",
              pixel_at(big, 63, 31));
        /* bicubic blends only across the middle */
        CHECK(near(pixel_at(big, 24, 16), 0xffff0000u, 2), "grown left inner is %08x",
              pixel_at(big, 24, 16));
    }
    SDL_FreeSurface(big);

    /* Three-byte RGB comes out opaque ARGB. */
    SDL_Surface *rgb = SDL_ConvertSurfaceFormat(src, SDL_PIXELFORMAT_RGB24, 0);
    SDL_Surface *from_rgb = rgb ? image_scale(rgb, 4, 2) : NULL;
    CHECK(from_rgb && from_rgb->format->format == SDL_PIXELFORMAT_ARGB8888 &&
          near(pixel_at(from_rgb, 0, 0), 0xffff0000u, 2) &&
          near(pixel_at(from_rgb, 3, 1), 0xff0000ffu, 2), "RGB24 scaling failed");
    SDL_FreeSurface(from_rgb);
    from_rgb = rgb ? image_scale(rgb, 16, 8) : NULL;
    CHECK(from_rgb && pixel_at(from_rgb, 15, 7) == 0xff0000ffu,
          "RGB24 same-size conversion failed");
    SDL_FreeSurface(from_rgb);
    SDL_FreeSurface(rgb);

    /* Half invisible blue, half opaque red: shrunk to one pixel it is
     * red at half opacity; the invisible blue must not tint it. */
    SDL_Surface *edge = make_halves(16, 16, 0x000000ffu, 0xffff0000u);
    SDL_Surface *one = edge ? image_scale(edge, 1, 1) : NULL;
    CHECK(one && near(pixel_at(one, 0, 0), 0x80ff0000u, 3), "alpha edge is %08x",
          one ? pixel_at(one, 0, 0) : 0);
    SDL_FreeSurface(one);
    SDL_FreeSurface(edge);

    CHECK(image_scale(src, 0, 5) == NULL, "scaled to zero width");
    CHECK(image_scale(NULL, 5, 5) == NULL, "scaled NULL");
    SDL_FreeSurface(src);
}

/* ---- image_load ---------------------------------------------------- */

static char tmp_dir[64];

static const char *tmp_path(const char *name)
{
    static char path[256];
    snprintf(path, sizeof(path), "%s/%s", tmp_dir, name);
    return path;
}

static bool write_file(const char *name, const void *data, size_t len)
{
    FILE *f = fopen(tmp_path(name), "wb");
    if (!f)
        return false;
    bool ok = fwrite(data, 1, len, f) == len;
    return fclose(f) == 0 && ok;
}

static uint8_t *read_whole(const char *name, size_t *len)
{
    FILE *f = fopen(tmp_path(name), "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *buf = size > 0 ? malloc((size_t)size) : NULL;
    if (buf && fread(buf, 1, (size_t)size, f) != (size_t)size) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    *len = (size_t)size;
    return buf;
}

/* Loads NAME and checks the outcome; returns the surface for more checks. */
static SDL_Surface *load(const char *name, int max_w, int max_h, int want_w, int want_h)
{
    char why[256] = "";
    SDL_Surface *s = image_load(tmp_path(name), max_w, max_h, why, sizeof(why));
    CHECK(s != NULL, "%s: %s", name, why);
    if (!s)
        return NULL;
    CHECK(s->w == want_w && s->h == want_h && s->format->format == SDL_PIXELFORMAT_ARGB8888,
          "%s: got %dx%d %s, want %dx%d ARGB8888", name, s->w, s->h,
          SDL_GetPixelFormatName(s->format->format), want_w, want_h);
    if (s->w != want_w || s->h != want_h) {
        SDL_FreeSurface(s);
        return NULL;
    }
    return s;
}

static void load_fails(const char *name, const char *why_part)
{
    char why[256] = "";
    SDL_Surface *s = image_load(tmp_path(name), 100, 100, why, sizeof(why));
    CHECK(s == NULL, "%s loaded as %dx%d", name, s ? s->w : 0, s ? s->h : 0);
    CHECK(strstr(why, why_part) != NULL, "%s: reason \"%s\" lacks \"%s\"", name, why,
          why_part);
    SDL_FreeSurface(s);
}

static void test_load_png(void)
{
    SDL_Surface *src = make_argb(64, 32);
    SDL_FillRect(src, NULL, 0xffc8285au);
    CHECK(IMG_SavePNG(src, tmp_path("wide.png")) == 0, "%s", IMG_GetError());
    SDL_FreeSurface(src);

    SDL_Surface *s = load("wide.png", 16, 16, 16, 8);
    if (s) {
        CHECK(near(pixel_at(s, 8, 4), 0xffc8285au, 2), "colour is %08x", pixel_at(s, 8, 4));
        CHECK(near(pixel_at(s, 15, 7), 0xffc8285au, 2), "corner is %08x", pixel_at(s, 15, 7));
    }
    SDL_FreeSurface(s);

    /* Small enough already: left alone, never enlarged. */
    s = load("wide.png", 1000, 1000, 64, 32);
    if (s)
        CHECK(pixel_at(s, 63, 31) == 0xffc8285au, "colour is %08x", pixel_at(s, 63, 31));
    SDL_FreeSurface(s);

    /* Tall, limited by height; 30 * 20 / 90 rounds to 7. */
    src = make_halves(30, 90, 0xff00ff00u, 0xff00ff00u);
    CHECK(IMG_SavePNG(src, tmp_path("tall.png")) == 0, "%s", IMG_GetError());
    SDL_FreeSurface(src);
    SDL_FreeSurface(load("tall.png", 20, 20, 7, 20));

    /* Transparency survives. */
    src = make_halves(8, 8, 0x00000000u, 0xff0000ffu);
    CHECK(IMG_SavePNG(src, tmp_path("alpha.png")) == 0, "%s", IMG_GetError());
    SDL_FreeSurface(src);
    s = load("alpha.png", 8, 8, 8, 8);
    if (s) {
        CHECK((pixel_at(s, 0, 0) >> 24) == 0, "left alpha is %08x", pixel_at(s, 0, 0));
        CHECK(pixel_at(s, 7, 7) == 0xff0000ffu, "right is %08x", pixel_at(s, 7, 7));
    }
    SDL_FreeSurface(s);
}

static void test_load_other_formats(void)
{
    SDL_Surface *src = make_halves(40, 20, 0xffff0000u, 0xff0000ffu);
    CHECK(SDL_SaveBMP(src, tmp_path("halves.bmp")) == 0, "%s", SDL_GetError());
    SDL_FreeSurface(src);
    SDL_Surface *s = load("halves.bmp", 20, 20, 20, 10);
    if (s) {
        CHECK(near(pixel_at(s, 0, 0), 0xffff0000u, 2), "BMP left is %08x", pixel_at(s, 0, 0));
        CHECK(near(pixel_at(s, 19, 9), 0xff0000ffu, 2), "BMP right is %08x",
              pixel_at(s, 19, 9));
    }
    SDL_FreeSurface(s);

    CHECK(write_file("lossless.webp", real_webp_lossless, sizeof(real_webp_lossless)),
          "cannot write");
    s = load("lossless.webp", 100, 100, 4, 2);
    if (s) {
        CHECK(pixel_at(s, 0, 1) == 0xffff0000u, "WebP left is %08x", pixel_at(s, 0, 1));
        CHECK(pixel_at(s, 3, 1) == 0xff0000ffu, "WebP right is %08x", pixel_at(s, 3, 1));
    }
    SDL_FreeSurface(s);

    CHECK(write_file("lossy.webp", real_webp_lossy, sizeof(real_webp_lossy)), "cannot write");
    s = load("lossy.webp", 8, 8, 8, 4);
    if (s) {
        Uint32 l = pixel_at(s, 0, 0), r = pixel_at(s, 7, 3);
        CHECK((l >> 16 & 0xff) > 200 && (l & 0xff) < 60, "lossy left is %08x", l);
        CHECK((r & 0xff) > 200 && (r >> 16 & 0xff) < 60, "lossy right is %08x", r);
    }
    SDL_FreeSurface(s);

    CHECK(write_file("alpha.webp", real_webp_alpha, sizeof(real_webp_alpha)), "cannot write");
    s = load("alpha.webp", 4, 4, 4, 4);
    if (s) {
        Uint32 p = pixel_at(s, 1, 1);
        CHECK(abs((int)(p >> 24) - 0x80) <= 4 && (p >> 16 & 0xff) > 200,
              "WebP half-transparent red is %08x", p);
    }
    SDL_FreeSurface(s);

    /* The GIF's transparent colour becomes alpha. */
    CHECK(write_file("transparent.gif", real_gif_transparent, sizeof(real_gif_transparent)),
          "cannot write");
    s = load("transparent.gif", 100, 100, 4, 2);
    if (s) {
        CHECK(pixel_at(s, 0, 0) == 0xffff0000u, "GIF left is %08x", pixel_at(s, 0, 0));
        CHECK((pixel_at(s, 3, 1) >> 24) == 0, "GIF right is %08x", pixel_at(s, 3, 1));
    }
    SDL_FreeSurface(s);
}

/* An APP1 segment carrying just an EXIF orientation tag, in either byte
 * order, inserted right after the JPEG's start-of-image marker. */
static bool write_jpeg_with_orientation(const char *name, const uint8_t *jpeg, size_t len,
                                        int orientation, bool big_endian)
{
    uint8_t app1[36] = { 0xff, 0xe1, BE16(34), 'E', 'x', 'i', 'f', 0, 0 };
    static const uint8_t mm[] = {
        'M', 'M', 0, 42, BE32(8), BE16(1),
        BE16(0x0112), BE16(3), BE32(1), 0, 0, 0, 0, BE32(0),
    };
    static const uint8_t ii[] = {
        'I', 'I', 42, 0, LE32(8), LE16(1),
        LE16(0x0112), LE16(3), LE32(1), 0, 0, 0, 0, LE32(0),
    };
    memcpy(app1 + 10, big_endian ? mm : ii, sizeof(mm));
    /* the value sits at TIFF offset 8 + 2 + 8 */
    app1[10 + 18 + (big_endian ? 1 : 0)] = (uint8_t)orientation;

    uint8_t *out = malloc(len + sizeof(app1));
    if (!out)
        return false;
    memcpy(out, jpeg, 2);
    memcpy(out + 2, app1, sizeof(app1));
    memcpy(out + 2 + sizeof(app1), jpeg + 2, len - 2);
    bool ok = write_file(name, out, len + sizeof(app1));
    free(out);
    return ok;
}

static bool is_red(Uint32 p)
{
    return (p >> 16 & 0xff) > 180 && (p & 0xff) < 80;
}

static bool is_blue(Uint32 p)
{
    return (p & 0xff) > 180 && (p >> 16 & 0xff) < 80;
}

/* Where the first scan starts: the first FF DA after the tables, which
 * in a file written by libjpeg cannot hold those two bytes. */
static size_t jpeg_scan_offset(const uint8_t *jpeg, size_t len)
{
    for (size_t i = 2; i + 1 < len; i++) {
        if (jpeg[i] == 0xff && jpeg[i + 1] == 0xda)
            return i;
    }
    return 0;
}

static void test_load_jpeg(void)
{
    /* Noise in the lower rows makes the scan data outweigh the tables. */
    SDL_Surface *src = make_halves(40, 20, 0xffff0000u, 0xff0000ffu);
    for (int y = 12; src && y < 20; y++) {
        for (int x = 0; x < 40; x++)
            set_pixel(src, x, y, 0xff000000u | (Uint32)(x * 7919 + y * 104729) % 0xffffffu);
    }
    CHECK(IMG_SaveJPG(src, tmp_path("plain.jpg"), 90) == 0, "%s", IMG_GetError());
    SDL_FreeSurface(src);
    size_t len = 0;
    uint8_t *jpeg = read_whole("plain.jpg", &len);
    size_t scan = jpeg ? jpeg_scan_offset(jpeg, len) : 0;
    CHECK(jpeg != NULL && scan > 0 && len - scan > 200, "plain.jpg is not as expected");
    if (!jpeg || scan == 0)
        return;

    SDL_Surface *s = load("plain.jpg", 100, 100, 40, 20);
    if (s)
        CHECK(is_red(pixel_at(s, 2, 10)) && is_blue(pixel_at(s, 37, 10)), "colours lost");
    SDL_FreeSurface(s);

    /* 6: stored lying on its side, turned a quarter clockwise the left
     * (red) half ends up on top. Fitting applies to the upright size. */
    CHECK(write_jpeg_with_orientation("rot6.jpg", jpeg, len, 6, true), "cannot write");
    s = load("rot6.jpg", 100, 100, 20, 40);
    if (s)
        CHECK(is_red(pixel_at(s, 10, 2)) && is_blue(pixel_at(s, 10, 37)), "6: not turned");
    SDL_FreeSurface(s);
    s = load("rot6.jpg", 10, 10, 5, 10);
    if (s)
        CHECK(is_red(pixel_at(s, 2, 1)) && is_blue(pixel_at(s, 2, 8)), "6 small: not turned");
    SDL_FreeSurface(s);

    /* 3, little-endian: upside down, so red ends up on the right. */
    CHECK(write_jpeg_with_orientation("rot3.jpg", jpeg, len, 3, false), "cannot write");
    s = load("rot3.jpg", 100, 100, 40, 20);
    if (s)
        CHECK(is_blue(pixel_at(s, 2, 10)) && is_red(pixel_at(s, 37, 10)), "3: not turned");
    SDL_FreeSurface(s);

    /* 8: a quarter anticlockwise puts the left (red) half at the bottom. */
    CHECK(write_jpeg_with_orientation("rot8.jpg", jpeg, len, 8, false), "cannot write");
    s = load("rot8.jpg", 100, 100, 20, 40);
    if (s)
        CHECK(is_blue(pixel_at(s, 10, 2)) && is_red(pixel_at(s, 10, 37)), "8: not turned");
    SDL_FreeSurface(s);

    /* A nonsense orientation is ignored. */
    CHECK(write_jpeg_with_orientation("rot77.jpg", jpeg, len, 77, true), "cannot write");
    SDL_FreeSurface(load("rot77.jpg", 100, 100, 40, 20));

    /* Cut short inside the scan data: libjpeg shows the rows it has. */
    CHECK(write_file("cut.jpg", jpeg, scan + (len - scan) / 2), "cannot write");
    s = load("cut.jpg", 100, 100, 40, 20);
    if (s)
        CHECK(is_red(pixel_at(s, 2, 2)) && is_blue(pixel_at(s, 37, 2)), "cut: top lost");
    SDL_FreeSurface(s);

    /* Cut short in the tables after the frame header: the probe passes,
     * the decoder refuses. */
    CHECK(write_file("cut-tables.jpg", jpeg, scan - 4), "cannot write");
    load_fails("cut-tables.jpg", "JPEG is corrupt");

    /* Cut short before the frame header: refused by the probe. */
    CHECK(write_file("header-only.jpg", jpeg, 20), "cannot write");
    load_fails("header-only.jpg", "no frame header");
    free(jpeg);
}

static void test_load_failures(void)
{
    load_fails("missing.png", "cannot open");
    CHECK(write_file("empty.jpg", "", 0), "cannot write");
    load_fails("empty.jpg", "empty");
    CHECK(write_file("notes.txt", text, sizeof(text) - 1), "cannot write");
    load_fails("notes.txt", "not a JPEG, PNG");
    CHECK(mkdir(tmp_path("dir.png"), 0700) == 0, "cannot mkdir");
    load_fails("dir.png", "not a regular file");

    /* The header alone decides: the decoder never sees this file. */
    uint8_t huge[sizeof(png_30000x30000) + 64];
    memcpy(huge, png_30000x30000, sizeof(png_30000x30000));
    memset(huge + sizeof(png_30000x30000), 0xa5, 64);
    CHECK(write_file("huge.png", huge, sizeof(huge)), "cannot write");
    load_fails("huge.png", "30000x30000 pixels is larger than the 64 million");

    /* Within the limit but junk after the header: the decoder refuses. */
    uint8_t junk[sizeof(png_640x480) + 64];
    memcpy(junk, png_640x480, sizeof(png_640x480));
    memset(junk + sizeof(png_640x480), 0xa5, 64);
    CHECK(write_file("junk.png", junk, sizeof(junk)), "cannot write");
    load_fails("junk.png", "PNG is corrupt");

    /* Animated WebP passes the probe, but SDL_image decodes stills only. */
    static const uint8_t animated[] = {
        'R', 'I', 'F', 'F', LE32(40), 'W', 'E', 'B', 'P', 'V', 'P', '8', 'X', LE32(10),
        0x02, 0, 0, 0, LE24(7), LE24(7), 'A', 'N', 'I', 'M', LE32(6), 0, 0, 0, 0, 0, 0,
    };
    CHECK(write_file("animated.webp", animated, sizeof(animated)), "cannot write");
    load_fails("animated.webp", "animated WebP is not supported");

    /* A real PNG cut short in its pixel data. */
    SDL_Surface *src = make_argb(64, 64);
    for (int y = 0; src && y < 64; y++) {
        for (int x = 0; x < 64; x++)
            set_pixel(src, x, y, 0xff000000u | (Uint32)(x * 4) << 16 | (Uint32)(y * 4) << 8);
    }
    CHECK(IMG_SavePNG(src, tmp_path("full.png")) == 0, "%s", IMG_GetError());
    SDL_FreeSurface(src);
    size_t len = 0;
    uint8_t *png = read_whole("full.png", &len);
    CHECK(png && write_file("cut.png", png, len / 2), "cannot write cut.png");
    free(png);
    load_fails("cut.png", "PNG is corrupt");

    char why[64] = "";
    CHECK(image_load(tmp_path("wide.png"), 0, 10, why, sizeof(why)) == NULL &&
          strstr(why, "invalid maximum size"), "zero maximum accepted: %s", why);
    CHECK(image_load(tmp_path("missing.png"), 10, 10, NULL, 0) == NULL,
          "missing file loaded without WHY");
}

static void remove_tmp_dir(void)
{
    static const char *const names[] = {
        "wide.png", "tall.png", "alpha.png", "halves.bmp", "lossless.webp",
        "lossy.webp", "alpha.webp", "transparent.gif", "plain.jpg", "rot6.jpg",
        "rot3.jpg", "rot8.jpg", "rot77.jpg", "cut.jpg", "cut-tables.jpg",
        "header-only.jpg", "empty.jpg", "notes.txt", "huge.png", "junk.png",
        "full.png", "cut.png", "animated.webp",
    };
    for (size_t i = 0; i < LEN(names); i++)
        unlink(tmp_path(names[i]));
    rmdir(tmp_path("dir.png"));
    rmdir(tmp_dir);
}

int main(void)
{
    test_good_headers();
    test_gif_frame_sizes();
    test_bad_headers();
    test_reason_buffer();
    test_format_names();
    test_orient();
    test_scale();

    /* mkdtemp() replaces the six trailing placeholder letters. */
    int n = snprintf(tmp_dir, sizeof(tmp_dir), "/tmp/lianbo-image-");
    memset(tmp_dir + n, 'X', 6);
    tmp_dir[n + 6] = '\0';
    CHECK(mkdtemp(tmp_dir) != NULL, "mkdtemp failed");
    int decoders = IMG_INIT_JPG | IMG_INIT_PNG | IMG_INIT_WEBP;
    CHECK(IMG_Init(decoders) == decoders, "SDL_image lacks a decoder: %s", IMG_GetError());
    test_load_png();
    test_load_other_formats();
    test_load_jpeg();
    test_load_failures();
    remove_tmp_dir();
    IMG_Quit();
    return check_finish();
}
