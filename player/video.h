/*
 * Video playback: one decoder thread per video demuxes and decodes ahead
 * into a small queue of frames; the render thread picks the frame due at
 * each moment and uploads it as a YUV or NV12 texture.
 *
 * A video is created early (the next item of a zone is opened while the
 * current one plays) and reports READY once its first frame is decoded, so
 * that switching to it never shows a black frame. Frames are timed against
 * the video's sound when it has any and the monotonic clock otherwise.
 */
#ifndef LIANBO_VIDEO_H
#define LIANBO_VIDEO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <SDL.h>
#include <libavutil/frame.h>

#include "player/audio.h"

struct video;

struct video_params {
    const char *path;
    const char *id;      /* for the log */
    struct audio *audio; /* NULL: silent */
    double gain;         /* 0..1 of the device volume; 0 mutes */
    bool loop;           /* start over at the end */
    const char *hwdec;   /* "auto", "none", or an FFmpeg hw device type */
    uint32_t wake_event; /* SDL event type pushed (from the decoder thread)
                          * when the video turns READY or FAILED; 0: none */
};

enum video_state {
    VIDEO_OPENING, /* not yet a frame to show */
    VIDEO_READY,   /* the first frame is decoded */
    VIDEO_FAILED,  /* cannot be played; video_state() says why */
};

/* Starts opening PARAMS->path on a thread of its own. NULL when out of
 * memory or when no thread can be started. Once READY or FAILED it pushes
 * one PARAMS->wake_event, unless video_destroy came first. */
struct video *video_create(const struct video_params *params);

/*
 * Stops the video and logs its frame counters. Never waits for the decoder
 * thread: a thread stuck in a read finishes and frees on its own later.
 * Accepts NULL.
 */
void video_destroy(struct video *v);

/* The state now; for VIDEO_FAILED the reason goes into WHY. */
enum video_state video_state(struct video *v, char *why, size_t why_len);

/* Starts the clock (and the sound) at monotonic time NOW, seconds. */
void video_start(struct video *v, double now);

/*
 * The frame to show at NOW, or NULL when the one shown last is still
 * current. The frame stays owned by the video until the next call.
 * *NEXT_DUE is when the next frame is due (monotonic seconds). A frame due
 * within half a frame (20 ms at most) counts as due, so that videos called
 * at the same moment share one drawing of the screen.
 */
const AVFrame *video_update(struct video *v, double now, double *next_due);

/* Holds the picture and the sound where they are (an alert took the
 * zone), and lets them go on from there. */
void video_pause(struct video *v, double now);
void video_resume(struct video *v, double now);

/* True when the video has played out (or broke off midway) at NOW. */
bool video_ended(struct video *v, double now);

/*
 * How the picture should be shown: its display size in pixels after the
 * sample aspect ratio, and the clockwise rotation (0, 90, 180, 270) that
 * makes it upright. Valid once READY.
 */
void video_geometry(struct video *v, int *display_w, int *display_h, int *rotation);

/* Seconds of picture left to play at NOW: INFINITY for a looping video,
 * 0 when the file does not say how long it is. */
double video_remaining(struct video *v, double now);

/* Seconds since the last new frame while playing: a stalled decoder. */
double video_starved_for(struct video *v, double now);

/* Which decoder plays V and how ("h264 (software, 3 threads)"); "" until
 * READY. Copied into BUF. */
void video_decoder(struct video *v, char *buf, size_t len);

/*
 * A renderer's texture holding the frames of one video: made on the first
 * frame, made again when the size or format changes, and drawn with the
 * colour conversion the frames ask for (full or limited range, BT.601 or
 * BT.709), which SDL would otherwise guess from the picture height.
 */
struct video_texture {
    SDL_Texture *tex;    /* NULL until a frame was uploaded */
    Uint32 format;
    int w, h;
    SDL_YUV_CONVERSION_MODE mode;
};

/* Puts frame F into T, a texture of renderer R. False with the reason in
 * WHY; T then holds its previous frame, or nothing. */
bool video_texture_upload(struct video_texture *t, SDL_Renderer *r, const AVFrame *f,
                          char *why, size_t why_len);

/* Draws T's frame onto DST of R turned clockwise by ANGLE degrees. */
void video_texture_draw(struct video_texture *t, SDL_Renderer *r, const SDL_Rect *dst,
                        double angle);

/* Frees the texture; T holds nothing afterwards. */
void video_texture_release(struct video_texture *t);

/* Routes FFmpeg's own messages into our log (at debug level). */
void video_init_logging(void);

#endif
