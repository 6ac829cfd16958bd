/*
 * Reads just enough of each format's header to learn its pixel size. Every
 * multi-byte read goes through need(), which checks the bytes are there, so
 * no offset taken from the file is used before it has been checked.
 *
 * Where the decoders SDL_image uses are lenient (libjpeg skipping stray
 * bytes between markers), the probe is lenient the same way, so that both
 * read the same frame header; elsewhere it is strict, because refusing an
 * odd file is cheaper than decoding one we misjudged.
 */
#include "render/image_probe.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

struct probe {
    const uint8_t *data;
    size_t len;
    char *why;
    size_t why_len;
};

static bool fail(struct probe *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static bool fail(struct probe *p, const char *fmt, ...)
{
    if (p->why && p->why_len > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(p->why, p->why_len, fmt, ap);
        va_end(ap);
    }
    return false;
}

/* True when COUNT bytes starting at OFFSET lie inside the data. */
static bool have(const struct probe *p, size_t offset, size_t count)
{
    return offset <= p->len && count <= p->len - offset;
}

static uint32_t be16(const uint8_t *b)
{
    return (uint32_t)b[0] << 8 | b[1];
}

static uint32_t be32(const uint8_t *b)
{
    return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

static uint32_t le16(const uint8_t *b)
{
    return (uint32_t)b[1] << 8 | b[0];
}

static uint32_t le24(const uint8_t *b)
{
    return (uint32_t)b[2] << 16 | (uint32_t)b[1] << 8 | b[0];
}

static uint32_t le32(const uint8_t *b)
{
    return (uint32_t)b[3] << 24 | (uint32_t)b[2] << 16 | (uint32_t)b[1] << 8 | b[0];
}

/* A chunk or box name from the file, printable whatever the bytes were. */
static void fourcc_text(const uint8_t *b, char out[5])
{
    for (int i = 0; i < 4; i++)
        out[i] = b[i] >= 0x20 && b[i] < 0x7f ? (char)b[i] : '?';
    out[4] = '\0';
}

/* ---- JPEG ---------------------------------------------------------- */

/* SOF0-3, 5-7, 9-11, 13-15: every frame header. C4 (DHT), C8 (reserved
 * for extensions) and CC (DAC) share the range but are not frames. */
static bool jpeg_is_sof(uint8_t m)
{
    return m >= 0xc0 && m <= 0xcf && m != 0xc4 && m != 0xc8 && m != 0xcc;
}

static bool jpeg_is_standalone(uint8_t m)
{
    return m == 0x01 || (m >= 0xd0 && m <= 0xd7);
}

/*
 * Finds the next marker at or after *POS the way libjpeg does: bytes that
 * are not 0xFF are skipped, as are fill bytes (repeated 0xFF) and stuffed
 * zeros (0xFF 0x00). On success *POS is just past the marker byte.
 */
static bool jpeg_next_marker(const struct probe *p, size_t *pos, uint8_t *marker)
{
    size_t i = *pos;
    for (;;) {
        while (i < p->len && p->data[i] != 0xff)
            i++;
        while (i < p->len && p->data[i] == 0xff)
            i++;
        if (i >= p->len)
            return false;
        if (p->data[i] != 0x00)
            break;
        i++;
    }
    *marker = p->data[i];
    *pos = i + 1;
    return true;
}

static bool jpeg_frame(struct probe *p, size_t at, uint8_t marker, int *w, int *h)
{
    /* length(2) precision(1) height(2) width(2) components(1) */
    if (!have(p, at, 8)) {
        return fail(p, "JPEG: frame header (SOF%d) at offset %zu is truncated",
                    marker - 0xc0, at - 2);
    }
    const uint8_t *b = p->data + at;
    uint32_t length = be16(b), comps = b[7];
    if (comps == 0 || length != 8 + 3 * comps) {
        return fail(p, "JPEG: frame header at offset %zu has length %u "
                    "for %u components", at - 2, (unsigned)length,
                    (unsigned)comps);
    }
    *h = (int)be16(b + 3);
    *w = (int)be16(b + 5);
    if (*w == 0)
        return fail(p, "JPEG: frame header at offset %zu has width 0", at - 2);
    if (*h == 0) {
        /* A height of 0 means "given later by a DNL marker", which
         * libjpeg does not support either. */
        return fail(p, "JPEG: frame header at offset %zu has height 0 "
                    "(DNL marker), not supported", at - 2);
    }
    return true;
}

static bool probe_jpeg(struct probe *p, int *w, int *h)
{
    size_t pos = 2; /* past SOI */
    for (;;) {
        uint8_t m;
        if (!jpeg_next_marker(p, &pos, &m)) {
            return fail(p, "JPEG: no frame header (SOF) in the first %zu bytes "
                        "(truncated file?)", p->len);
        }
        size_t at = pos; /* segment length field, if the marker has one */
        if (jpeg_is_standalone(m))
            continue;
        if (m == 0xd8)
            return fail(p, "JPEG: second start-of-image marker at offset %zu", at - 2);
        if (m == 0xd9)
            return fail(p, "JPEG: image ends at offset %zu before any frame header", at - 2);
        if (m == 0xda)
            return fail(p, "JPEG: scan data at offset %zu before any frame header", at - 2);
        if (jpeg_is_sof(m))
            return jpeg_frame(p, at, m, w, h);
        if (!have(p, at, 2)) {
            return fail(p, "JPEG: segment FF%02X at offset %zu is truncated",
                        m, at - 2);
        }
        uint32_t length = be16(p->data + at);
        if (length < 2) {
            return fail(p, "JPEG: segment FF%02X at offset %zu has length %u",
                        m, at - 2, (unsigned)length);
        }
        pos = at + length; /* past the end is caught by jpeg_next_marker */
    }
}

/* ---- PNG ----------------------------------------------------------- */

static const uint8_t png_signature[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };

/* The bit depths the PNG specification allows for each colour type. */
static bool png_depth_ok(unsigned type, unsigned depth)
{
    switch (type) {
    case 0: /* grey */
        return depth == 1 || depth == 2 || depth == 4 || depth == 8 || depth == 16;
    case 3: /* palette */
        return depth == 1 || depth == 2 || depth == 4 || depth == 8;
    case 2: /* RGB */
    case 4: /* grey + alpha */
    case 6: /* RGBA */
        return depth == 8 || depth == 16;
    default:
        return false;
    }
}

static bool probe_png(struct probe *p, int *w, int *h)
{
    /* signature(8) length(4) "IHDR"(4) width(4) height(4) depth, type,
     * compression, filter, interlace (1 each) */
    if (!have(p, 0, 8) || memcmp(p->data, png_signature, 8) != 0)
        return fail(p, "PNG: signature is damaged or truncated");
    if (!have(p, 8, 21))
        return fail(p, "PNG: header chunk (IHDR) is truncated");
    const uint8_t *b = p->data + 8;
    if (memcmp(b + 4, "IHDR", 4) != 0) {
        char name[5];
        fourcc_text(b + 4, name);
        return fail(p, "PNG: first chunk is \"%s\", expected \"IHDR\"", name);
    }
    if (be32(b) != 13)
        return fail(p, "PNG: IHDR length is %u, expected 13", (unsigned)be32(b));

    uint32_t width = be32(b + 8), height = be32(b + 12);
    unsigned depth = b[16], type = b[17];
    if (width == 0 || height == 0 || width > INT32_MAX || height > INT32_MAX) {
        return fail(p, "PNG: IHDR size %ux%u is out of range",
                    (unsigned)width, (unsigned)height);
    }
    if (!png_depth_ok(type, depth)) {
        return fail(p, "PNG: IHDR colour type %u with bit depth %u is invalid",
                    type, depth);
    }
    if (b[18] != 0 || b[19] != 0 || b[20] > 1) {
        return fail(p, "PNG: IHDR compression/filter/interlace %u/%u/%u unknown",
                    b[18], b[19], b[20]);
    }
    *w = (int)width;
    *h = (int)height;
    return true;
}

/* ---- GIF ----------------------------------------------------------- */

/* Skips a chain of data sub-blocks at *POS; false if it runs off the end. */
static bool gif_skip_sub_blocks(const struct probe *p, size_t *pos)
{
    size_t i = *pos;
    while (i < p->len) {
        size_t n = p->data[i];
        i += 1 + n;
        if (n == 0) {
            *pos = i;
            return true;
        }
    }
    return false;
}

/*
 * Walks the blocks after the screen descriptor to the first image
 * descriptor. Returns 1 and its size, 0 if the data ends first, or -1
 * (with WHY set) for a malformed stream.
 */
static int gif_first_frame(struct probe *p, size_t pos, uint32_t *fw, uint32_t *fh)
{
    while (pos < p->len) {
        uint8_t kind = p->data[pos];
        if (kind == 0x2c) { /* image descriptor */
            if (!have(p, pos, 10))
                return 0;
            *fw = le16(p->data + pos + 5);
            *fh = le16(p->data + pos + 7);
            if (*fw == 0 || *fh == 0) {
                fail(p, "GIF: first frame at offset %zu is %ux%u", pos,
                     (unsigned)*fw, (unsigned)*fh);
                return -1;
            }
            return 1;
        }
        if (kind == 0x3b) {
            fail(p, "GIF: file ends at offset %zu without any frame", pos);
            return -1;
        }
        if (kind != 0x21) {
            fail(p, "GIF: unexpected byte 0x%02x at offset %zu (expected an "
                 "extension, a frame or the end)", kind, pos);
            return -1;
        }
        pos += 2; /* introducer and label */
        if (!gif_skip_sub_blocks(p, &pos))
            return 0;
    }
    return 0;
}

static bool probe_gif(struct probe *p, int *w, int *h)
{
    /* "GIF8?a"(6) width(2) height(2) flags(1) background(1) aspect(1) */
    if (!have(p, 0, 6) || (memcmp(p->data, "GIF87a", 6) != 0 &&
                           memcmp(p->data, "GIF89a", 6) != 0))
        return fail(p, "GIF: version is not 87a or 89a, or is truncated");
    if (!have(p, 6, 7))
        return fail(p, "GIF: logical screen descriptor is truncated");
    uint32_t sw = le16(p->data + 6), sh = le16(p->data + 8);
    uint8_t flags = p->data[10];
    size_t pos = 13;
    if (flags & 0x80)
        pos += 3u << ((flags & 0x07) + 1); /* global colour table */

    uint32_t fw = 0, fh = 0;
    int found = gif_first_frame(p, pos, &fw, &fh);
    if (found < 0)
        return false;
    /* Decoders allocate the frame at its own size and may composite it
     * onto the screen, so the larger of the two is what it can cost. */
    uint32_t width = sw > fw ? sw : fw, height = sh > fh ? sh : fh;
    if (width == 0 || height == 0) {
        return fail(p, "GIF: logical screen is %ux%u and no frame in the "
                    "first %zu bytes", (unsigned)sw, (unsigned)sh, p->len);
    }
    *w = (int)width;
    *h = (int)height;
    return true;
}

/* ---- BMP ----------------------------------------------------------- */

static bool probe_bmp(struct probe *p, int *w, int *h)
{
    /* "BM"(2) file size(4) reserved(4) pixel offset(4) header size(4),
     * then the width and height: 16-bit unsigned in the 12-byte OS/2 1.x
     * header, 32-bit signed in every later header (16 to 124 bytes). */
    if (!have(p, 14, 4))
        return fail(p, "BMP: file header is truncated");
    uint32_t header = le32(p->data + 14);
    if (header == 12) {
        if (!have(p, 18, 4))
            return fail(p, "BMP: core header is truncated");
        *w = (int)le16(p->data + 18);
        *h = (int)le16(p->data + 20);
        if (*w == 0 || *h == 0)
            return fail(p, "BMP: size %dx%d is empty", *w, *h);
        return true;
    }
    if (header < 16 || header > 124)
        return fail(p, "BMP: unknown info header size %u", (unsigned)header);
    if (!have(p, 18, 8))
        return fail(p, "BMP: info header is truncated");

    int64_t width = (int32_t)le32(p->data + 18);
    int64_t height = (int32_t)le32(p->data + 22);
    /* A negative height marks rows stored top-down; the size is the same. */
    if (height < 0)
        height = -height;
    if (width <= 0 || height == 0 || height > INT32_MAX) {
        return fail(p, "BMP: size %" PRId64 "x%" PRId64 " is invalid",
                    width, (int64_t)(int32_t)le32(p->data + 22));
    }
    *w = (int)width;
    *h = (int)height;
    return true;
}

/* ---- WebP ---------------------------------------------------------- */

static bool webp_lossy(struct probe *p, const uint8_t *b, uint32_t size, int *w, int *h)
{
    /* frame tag(3) start code(3) width(2) height(2), each dimension 14
     * bits plus 2 bits of upscaling hint that do not change the size */
    if (size < 10)
        return fail(p, "WebP: VP8 chunk of %u bytes is too short", (unsigned)size);
    uint32_t tag = le24(b);
    bool key_frame = !(tag & 1);
    unsigned version = (tag >> 1) & 7;
    bool shown = (tag >> 4) & 1;
    uint32_t partition = tag >> 5;
    if (!key_frame || version > 3 || !shown || partition >= size) {
        return fail(p, "WebP: VP8 frame tag 0x%06x is not a shown key frame "
                    "that fits its chunk", (unsigned)tag);
    }
    if (b[3] != 0x9d || b[4] != 0x01 || b[5] != 0x2a)
        return fail(p, "WebP: VP8 start code is missing");
    *w = (int)(le16(b + 6) & 0x3fff);
    *h = (int)(le16(b + 8) & 0x3fff);
    if (*w == 0 || *h == 0)
        return fail(p, "WebP: VP8 frame size %dx%d is empty", *w, *h);
    return true;
}

static bool webp_lossless(struct probe *p, const uint8_t *b, uint32_t size,
                          int *w, int *h)
{
    /* signature 0x2f, then 14 bits width-1, 14 bits height-1, 1 bit
     * alpha hint and 3 bits version, which must be 0 */
    if (size < 5)
        return fail(p, "WebP: VP8L chunk of %u bytes is too short", (unsigned)size);
    if (b[0] != 0x2f)
        return fail(p, "WebP: VP8L signature byte is 0x%02x, expected 0x2f", b[0]);
    uint32_t bits = le32(b + 1);
    if (bits >> 29 != 0)
        return fail(p, "WebP: VP8L version %u is unknown", (unsigned)(bits >> 29));
    *w = (int)(bits & 0x3fff) + 1;
    *h = (int)((bits >> 14) & 0x3fff) + 1;
    return true;
}

static bool webp_extended(struct probe *p, const uint8_t *b, uint32_t size,
                          int *w, int *h)
{
    /* flags(1) reserved(3) canvas width-1(3) canvas height-1(3) */
    if (size < 10)
        return fail(p, "WebP: VP8X chunk of %u bytes is too short", (unsigned)size);
    *w = (int)le24(b + 4) + 1;
    *h = (int)le24(b + 7) + 1;
    return true;
}

static bool probe_webp(struct probe *p, int *w, int *h)
{
    /* "RIFF"(4) size(4) "WEBP"(4), then the first chunk: name(4) size(4) */
    if (!have(p, 0, 12) || memcmp(p->data + 8, "WEBP", 4) != 0)
        return fail(p, "WebP: RIFF file that is not WebP, or truncated");
    if (!have(p, 12, 8))
        return fail(p, "WebP: first chunk header is truncated");
    uint32_t riff_size = le32(p->data + 4);
    uint32_t size = le32(p->data + 16);
    const uint8_t *name = p->data + 12;
    if (riff_size < 12 || size > riff_size - 12) {
        return fail(p, "WebP: first chunk of %u bytes does not fit the RIFF "
                    "size %u", (unsigned)size, (unsigned)riff_size);
    }

    /* Only the fixed-size start of each payload is read. */
    size_t need = memcmp(name, "VP8L", 4) == 0 ? 5 : 10;
    if (size >= need && !have(p, 20, need)) {
        char text[5];
        fourcc_text(name, text);
        return fail(p, "WebP: %s chunk is truncated", text);
    }
    const uint8_t *b = p->data + 20;
    if (memcmp(name, "VP8 ", 4) == 0)
        return webp_lossy(p, b, size, w, h);
    if (memcmp(name, "VP8L", 4) == 0)
        return webp_lossless(p, b, size, w, h);
    if (memcmp(name, "VP8X", 4) == 0)
        return webp_extended(p, b, size, w, h);

    char text[5];
    fourcc_text(name, text);
    return fail(p, "WebP: first chunk is \"%s\", expected VP8, VP8L or VP8X", text);
}

/* ---- entry points -------------------------------------------------- */

/* Picks the format from as few bytes as tell formats apart; the format's
 * own probe then checks the rest of its signature. */
static enum image_format sniff(const uint8_t *d, size_t len)
{
    if (len >= 2 && d[0] == 0xff && d[1] == 0xd8)
        return IMAGE_FORMAT_JPEG;
    if (len >= 4 && memcmp(d, png_signature, 4) == 0)
        return IMAGE_FORMAT_PNG;
    if (len >= 4 && memcmp(d, "GIF8", 4) == 0)
        return IMAGE_FORMAT_GIF;
    if (len >= 2 && d[0] == 'B' && d[1] == 'M')
        return IMAGE_FORMAT_BMP;
    if (len >= 4 && memcmp(d, "RIFF", 4) == 0)
        return IMAGE_FORMAT_WEBP;
    return IMAGE_FORMAT_UNKNOWN;
}

bool image_probe(const uint8_t *data, size_t len, struct image_info *info,
                 char *why, size_t why_len)
{
    struct probe p = { data, data ? len : 0, why, why_len };
    if (why && why_len > 0)
        why[0] = '\0';
    memset(info, 0, sizeof(*info));

    int w = 0, h = 0;
    bool ok;
    info->format = sniff(p.data, p.len);
    switch (info->format) {
    case IMAGE_FORMAT_JPEG:
        ok = probe_jpeg(&p, &w, &h);
        break;
    case IMAGE_FORMAT_PNG:
        ok = probe_png(&p, &w, &h);
        break;
    case IMAGE_FORMAT_GIF:
        ok = probe_gif(&p, &w, &h);
        break;
    case IMAGE_FORMAT_BMP:
        ok = probe_bmp(&p, &w, &h);
        break;
    case IMAGE_FORMAT_WEBP:
        ok = probe_webp(&p, &w, &h);
        break;
    default:
        if (p.len == 0)
            ok = fail(&p, "empty data");
        else
            ok = fail(&p, "not a JPEG, PNG, GIF, BMP or WebP image");
        break;
    }
    if (ok) {
        info->width = w;
        info->height = h;
    }
    return ok;
}

const char *image_format_name(enum image_format f)
{
    switch (f) {
    case IMAGE_FORMAT_JPEG:
        return "JPEG";
    case IMAGE_FORMAT_PNG:
        return "PNG";
    case IMAGE_FORMAT_GIF:
        return "GIF";
    case IMAGE_FORMAT_BMP:
        return "BMP";
    case IMAGE_FORMAT_WEBP:
        return "WebP";
    default:
        return "unknown";
    }
}
