#define LOG_MODULE "video"
#include "player/video.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <SDL.h>
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/display.h>
#include <libavutil/hwcontext.h>
#include <libavutil/pixdesc.h>
#include <libswresample/swresample.h>
#include <libswscale/swscale.h>

#include "player/log.h"

/* Decoded frames waiting to be shown: 3 MB each at 1080p. Two are 67 ms
 * at 30 fps; with the frames the decoder's threads have in hand behind
 * them, that absorbs a slow frame at 1080p and in two zones, and each
 * frame more is memory the picture never needed. */
#define QUEUE_FRAMES 2

/* Decoder threads at most. FFmpeg's own choice is one more than the
 * cores, and every frame thread holds pictures of its own; one a core
 * decodes 1080p H.264 several times faster than it plays. */
#define MAX_DECODER_THREADS 4

/* A frame due within this long (seconds; half a frame at most) is shown
 * at once when the screen is drawn anyway. Two zones whose frames fall out
 * of step then share one drawing instead of costing one each, and drawing
 * is most of what video costs; it is less early than a 60 Hz screen's
 * refresh would round it. */
#define PRESENT_AHEAD_MAX_S 0.02

/* A read that makes no progress for this long (seconds) is abandoned:
 * a dead network share must not hold a zone forever. */
#define STALL_TIMEOUT_S 10.0

/* Packets in a row the decoder may reject before the file counts as
 * broken; a few bad packets are concealed and play on. */
#define MAX_DECODE_ERRORS 100

/* Frame rate assumed when a file does not say, frames per second. */
#define FALLBACK_FPS 25.0

struct video {
    SDL_atomic_t refs;   /* the owner and the decoder thread */
    SDL_atomic_t abort;
    SDL_mutex *lock;
    SDL_cond *cond;

    char *path, *id, *hwdec;
    uint32_t wake_event;
    struct audio *audio;
    double gain;
    bool loop;

    /* Guarded by LOCK. */
    enum video_state state;
    char why[256];
    AVFrame *queue[QUEUE_FRAMES];
    double queue_pts[QUEUE_FRAMES];
    int q_head, q_count;
    bool eof;          /* the decoder has delivered its last frame */
    bool broke;        /* ... because the file failed midway */
    unsigned long decoded;
    struct audio_source *asrc;
    int disp_w, disp_h, rotation;
    double frame_dur;
    double duration;   /* of the file, seconds; NAN when unknown */
    char decoder[128]; /* which decoder, and how */

    /* Decoder thread only. */
    double last_io;

    /* Render thread only. */
    bool started;
    bool paused;
    double paused_clock;
    double first_pts;     /* of the first frame shown */
    double start_time, start_pts;
    AVFrame *shown;
    double shown_pts;
    double last_new_frame;
    unsigned long shown_count, dropped;
};

struct decoder {
    AVFormatContext *fmt;
    AVCodecContext *vctx, *actx;
    int vidx, aidx;
    enum AVPixelFormat hw_format;
    struct SwrContext *swr;
    struct SwsContext *sws;
    bool warned_convert;
    double pts_offset;   /* added to every timestamp: grows with each loop */
    double pass_first, pass_last; /* video pts range of this pass */
    double next_vpts, next_apts;
    int errors_in_row;
    int errors_total;
    float *abuf;
    int abuf_frames;
};

static double mono_now(void)
{
    return SDL_GetTicks64() / 1000.0;
}

static void ffmpeg_log(void *avcl, int level, const char *fmt, va_list vl)
{
    (void)avcl;
    if (level > AV_LOG_WARNING || log_get_level() < LOG_DEBUG)
        return;
    char line[512];
    vsnprintf(line, sizeof(line), fmt, vl);
    line[strcspn(line, "\n")] = '\0';
    if (line[0])
        log_write(LOG_DEBUG, "ffmpeg", "%s", line);
}

void video_decoder(struct video *v, char *buf, size_t len)
{
    SDL_LockMutex(v->lock);
    snprintf(buf, len, "%s", v->decoder);
    SDL_UnlockMutex(v->lock);
}

void video_init_logging(void)
{
    /* FFmpeg's own messages repeat per packet on a damaged file; our one
     * line per item says what matters, theirs go to debug. */
    av_log_set_callback(ffmpeg_log);
}

static void video_unref(struct video *v)
{
    if (SDL_AtomicAdd(&v->refs, -1) != 1)
        return;
    for (int i = 0; i < v->q_count; i++)
        av_frame_free(&v->queue[(v->q_head + i) % QUEUE_FRAMES]);
    av_frame_free(&v->shown);
    if (v->cond)
        SDL_DestroyCond(v->cond);
    if (v->lock)
        SDL_DestroyMutex(v->lock);
    free(v->path);
    free(v->id);
    free(v->hwdec);
    free(v);
}

static bool aborted(struct video *v)
{
    return SDL_AtomicGet(&v->abort) != 0;
}

/* Tells the owner's loop that the video is READY or FAILED, so that it
 * need not keep looking. Called with LOCK held: video_destroy takes it to
 * set ABORT, so nothing is pushed once the owner has let go (and may have
 * shut SDL down). */
static void wake_owner(struct video *v)
{
    if (!v->wake_event || aborted(v))
        return;
    SDL_Event ev = {.type = v->wake_event};
    SDL_PushEvent(&ev);
}

static int interrupt_cb(void *data)
{
    struct video *v = data;
    return aborted(v) || mono_now() - v->last_io > STALL_TIMEOUT_S;
}

static void set_failed(struct video *v, const char *why)
{
    SDL_LockMutex(v->lock);
    v->state = VIDEO_FAILED;
    snprintf(v->why, sizeof(v->why), "%s", why);
    SDL_CondBroadcast(v->cond);
    wake_owner(v);
    SDL_UnlockMutex(v->lock);
}

static const char *av_error(int err, char *buf, size_t len)
{
    av_strerror(err, buf, len);
    return buf;
}

/* ---- Opening ---- */

static int rotation_of(AVStream *st)
{
    const uint8_t *matrix = av_stream_get_side_data(st, AV_PKT_DATA_DISPLAYMATRIX, NULL);
    if (!matrix)
        return 0;
    /* The matrix says how far the picture was turned counter-clockwise
     * when recorded; showing it upright means turning it back. */
    double theta = -av_display_rotation_get((const int32_t *)matrix);
    if (isnan(theta))
        return 0;
    int r = (int)lround(theta / 90.0) * 90 % 360;
    return r < 0 ? r + 360 : r;
}

static enum AVPixelFormat pick_hw_format(AVCodecContext *ctx, const enum AVPixelFormat *fmts)
{
    const enum AVPixelFormat *want = ctx->opaque;
    for (const enum AVPixelFormat *f = fmts; *f != AV_PIX_FMT_NONE; f++) {
        if (*f == *want)
            return *f;
    }
    /* The hardware cannot take this stream: decode in software. */
    for (const enum AVPixelFormat *f = fmts; *f != AV_PIX_FMT_NONE; f++) {
        const AVPixFmtDescriptor *d = av_pix_fmt_desc_get(*f);
        if (d && !(d->flags & AV_PIX_FMT_FLAG_HWACCEL))
            return *f;
    }
    return AV_PIX_FMT_NONE;
}

static AVCodecContext *new_context(const AVCodec *codec, const AVCodecParameters *par)
{
    AVCodecContext *ctx = avcodec_alloc_context3(codec);
    if (ctx && avcodec_parameters_to_context(ctx, par) < 0)
        avcodec_free_context(&ctx);
    return ctx;
}

/* The V4L2 memory-to-memory decoders of Raspberry Pi class boards are
 * separate FFmpeg decoders ("h264_v4l2m2m"), not hwaccels. */
static AVCodecContext *try_v4l2m2m(const AVCodec *sw, const AVCodecParameters *par)
{
    char name[64];
    snprintf(name, sizeof(name), "%s_v4l2m2m", sw->name);
    const AVCodec *codec = avcodec_find_decoder_by_name(name);
    if (!codec)
        return NULL;
    AVCodecContext *ctx = new_context(codec, par);
    if (ctx && avcodec_open2(ctx, codec, NULL) < 0)
        avcodec_free_context(&ctx);
    return ctx;
}

static bool try_hwaccel(struct decoder *d, AVCodecContext *ctx, const AVCodec *codec,
                        enum AVHWDeviceType type)
{
    for (int i = 0;; i++) {
        const AVCodecHWConfig *cfg = avcodec_get_hw_config(codec, i);
        if (!cfg)
            return false;
        if (cfg->device_type != type || !(cfg->methods & AV_CODEC_HW_CONFIG_METHOD_HW_DEVICE_CTX))
            continue;
        AVBufferRef *dev = NULL;
        if (av_hwdevice_ctx_create(&dev, type, NULL, NULL, 0) < 0)
            return false;
        ctx->hw_device_ctx = dev;
        d->hw_format = cfg->pix_fmt;
        ctx->opaque = &d->hw_format;
        ctx->get_format = pick_hw_format;
        return true;
    }
}

static int decoder_threads(void)
{
    int cores = SDL_GetCPUCount();
    return cores < 1 ? 1 : cores < MAX_DECODER_THREADS ? cores : MAX_DECODER_THREADS;
}

static bool open_video_decoder(struct video *v, struct decoder *d, char *why, size_t len)
{
    AVStream *st = d->fmt->streams[d->vidx];
    const AVCodec *codec = avcodec_find_decoder(st->codecpar->codec_id);
    if (!codec) {
        char tag[AV_FOURCC_MAX_STRING_SIZE] = "";
        av_fourcc_make_string(tag, st->codecpar->codec_tag);
        snprintf(why, len, "no decoder for this video's format (%s, tagged \"%s\")",
                 avcodec_get_name(st->codecpar->codec_id), tag);
        return false;
    }
    bool any = strcmp(v->hwdec, "auto") == 0;
    const char *how = "software";

    if (any || strcmp(v->hwdec, "v4l2m2m") == 0) {
        d->vctx = try_v4l2m2m(codec, st->codecpar);
        if (d->vctx)
            how = "V4L2 M2M hardware";
    }
    if (!d->vctx) {
        d->vctx = new_context(codec, st->codecpar);
        if (!d->vctx) {
            snprintf(why, len, "out of memory");
            return false;
        }
        static const enum AVHWDeviceType auto_types[] = {
            AV_HWDEVICE_TYPE_DRM, AV_HWDEVICE_TYPE_VAAPI,
        };
        enum AVHWDeviceType named = av_hwdevice_find_type_by_name(v->hwdec);
        for (size_t i = 0; i < sizeof(auto_types) / sizeof(auto_types[0]); i++) {
            enum AVHWDeviceType t = any ? auto_types[i] : named;
            if (t != AV_HWDEVICE_TYPE_NONE && try_hwaccel(d, d->vctx, codec, t)) {
                how = av_hwdevice_get_type_name(t);
                break;
            }
            if (!any)
                break;
        }
        /* Frame threads decode several frames at once: what lets a 2-core
         * board keep up with 1080p. */
        d->vctx->thread_count = decoder_threads();
        d->vctx->thread_type = FF_THREAD_FRAME | FF_THREAD_SLICE;
        d->vctx->pkt_timebase = st->time_base;
        int err = avcodec_open2(d->vctx, codec, NULL);
        if (err < 0) {
            char e[128];
            snprintf(why, len, "cannot open the %s decoder: %s", codec->name,
                     av_error(err, e, sizeof(e)));
            return false;
        }
    }
    SDL_LockMutex(v->lock);
    /* A decoder with threads of its own (libdav1d) reports 0. */
    if (d->vctx->thread_count > 0) {
        snprintf(v->decoder, sizeof(v->decoder), "%s (%s, %d thread%s)",
                 d->vctx->codec->name, how, d->vctx->thread_count,
                 d->vctx->thread_count == 1 ? "" : "s");
    } else {
        snprintf(v->decoder, sizeof(v->decoder), "%s (%s, its own threads)",
                 d->vctx->codec->name, how);
    }
    SDL_UnlockMutex(v->lock);
    log_info("%s: %s %dx%d, decoder %s", v->id, avcodec_get_name(st->codecpar->codec_id),
             st->codecpar->width, st->codecpar->height, v->decoder);
    return true;
}

static void open_audio_decoder(struct video *v, struct decoder *d)
{
    AVStream *st = d->fmt->streams[d->aidx];
    const AVCodec *codec = avcodec_find_decoder(st->codecpar->codec_id);
    d->actx = codec ? new_context(codec, st->codecpar) : NULL;
    if (d->actx)
        d->actx->pkt_timebase = st->time_base;
    if (!d->actx || avcodec_open2(d->actx, codec, NULL) < 0) {
        log_warn("%s: the sound (%s) cannot be decoded; playing without it", v->id,
                 avcodec_get_name(st->codecpar->codec_id));
        avcodec_free_context(&d->actx);
        d->aidx = -1;
        return;
    }
    AVChannelLayout stereo = AV_CHANNEL_LAYOUT_STEREO;
    AVChannelLayout in = d->actx->ch_layout;
    if (in.order == AV_CHANNEL_ORDER_UNSPEC)
        av_channel_layout_default(&in, in.nb_channels);
    if (swr_alloc_set_opts2(&d->swr, &stereo, AV_SAMPLE_FMT_FLT, audio_rate(v->audio), &in,
                            d->actx->sample_fmt, d->actx->sample_rate, 0, NULL) < 0 ||
        swr_init(d->swr) < 0) {
        log_warn("%s: cannot convert its sound (%d channels at %d Hz); playing without it",
                 v->id, in.nb_channels, d->actx->sample_rate);
        avcodec_free_context(&d->actx);
        swr_free(&d->swr);
        d->aidx = -1;
        return;
    }
    struct audio_source *src = audio_source_create(v->audio, v->gain);
    SDL_LockMutex(v->lock);
    v->asrc = src;
    SDL_UnlockMutex(v->lock);
}

static bool open_input(struct video *v, struct decoder *d, char *why, size_t len)
{
    char e[128];
    d->fmt = avformat_alloc_context();
    if (!d->fmt) {
        snprintf(why, len, "out of memory");
        return false;
    }
    d->fmt->interrupt_callback = (AVIOInterruptCB){interrupt_cb, v};
    v->last_io = mono_now();
    int err = avformat_open_input(&d->fmt, v->path, NULL, NULL);
    if (err < 0) {
        snprintf(why, len, "cannot open: %s", av_error(err, e, sizeof(e)));
        return false;
    }
    err = avformat_find_stream_info(d->fmt, NULL);
    if (err < 0) {
        snprintf(why, len, "cannot read the streams: %s", av_error(err, e, sizeof(e)));
        return false;
    }
    d->vidx = av_find_best_stream(d->fmt, AVMEDIA_TYPE_VIDEO, -1, -1, NULL, 0);
    if (d->vidx < 0) {
        snprintf(why, len, "no video stream");
        return false;
    }
    AVStream *st = d->fmt->streams[d->vidx];
    if (st->codecpar->width <= 0 || st->codecpar->height <= 0) {
        snprintf(why, len, "the video has no picture size");
        return false;
    }
    if (!open_video_decoder(v, d, why, len))
        return false;

    d->aidx = v->audio && v->gain > 0
                  ? av_find_best_stream(d->fmt, AVMEDIA_TYPE_AUDIO, -1, d->vidx, NULL, 0)
                  : -1;
    if (d->aidx >= 0)
        open_audio_decoder(v, d);

    AVRational sar = av_guess_sample_aspect_ratio(d->fmt, st, NULL);
    double aspect = sar.num > 0 && sar.den > 0 ? av_q2d(sar) : 1.0;
    AVRational fps = av_guess_frame_rate(d->fmt, st, NULL);
    SDL_LockMutex(v->lock);
    v->rotation = rotation_of(st);
    v->disp_w = (int)lround(st->codecpar->width * aspect);
    v->disp_h = st->codecpar->height;
    v->frame_dur = fps.num > 0 && fps.den > 0 ? 1.0 / av_q2d(fps) : 1.0 / FALLBACK_FPS;
    v->duration = d->fmt->duration > 0 ? (double)d->fmt->duration / AV_TIME_BASE : NAN;
    SDL_UnlockMutex(v->lock);
    d->pass_first = NAN;
    d->pass_last = NAN;
    d->next_vpts = 0;
    d->next_apts = NAN;
    return true;
}

/* ---- Decoding ---- */

static bool is_direct_format(int fmt)
{
    return fmt == AV_PIX_FMT_YUV420P || fmt == AV_PIX_FMT_YUVJ420P || fmt == AV_PIX_FMT_NV12;
}

/* Brings FRAME to a format the renderer takes as a texture: 8-bit 4:2:0
 * planar or NV12. Returns a new frame or NULL. */
static AVFrame *to_texture_format(struct video *v, struct decoder *d, AVFrame *frame)
{
    AVFrame *sw = frame;
    AVFrame *tmp = NULL;
    if (frame->hw_frames_ctx) {
        tmp = av_frame_alloc();
        if (!tmp || av_hwframe_transfer_data(tmp, frame, 0) < 0) {
            av_frame_free(&tmp);
            return NULL;
        }
        av_frame_copy_props(tmp, frame);
        sw = tmp;
    }
    AVFrame *out = av_frame_alloc();
    if (!out)
        goto out;
    if (is_direct_format(sw->format)) {
        av_frame_move_ref(out, sw);
        goto out;
    }
    if (!d->warned_convert) {
        log_info("%s: converting %s to yuv420p on the CPU (the renderer has no texture "
                 "for it)", v->id, av_get_pix_fmt_name(sw->format));
        d->warned_convert = true;
    }
    d->sws = sws_getCachedContext(d->sws, sw->width, sw->height, sw->format, sw->width,
                                  sw->height, AV_PIX_FMT_YUV420P, SWS_BILINEAR, NULL, NULL,
                                  NULL);
    out->format = AV_PIX_FMT_YUV420P;
    out->width = sw->width;
    out->height = sw->height;
    if (!d->sws || av_frame_get_buffer(out, 0) < 0) {
        av_frame_free(&out);
        goto out;
    }
    sws_scale(d->sws, (const uint8_t *const *)sw->data, sw->linesize, 0, sw->height,
              out->data, out->linesize);
    av_frame_copy_props(out, sw);
    /* A "yuvj" source is full range and swscale has brought it to limited
     * range on the way: the picture must now be shown as such. */
    int *inv, *table, src_range, dst_range, brightness, contrast, saturation;
    if (sws_getColorspaceDetails(d->sws, &inv, &src_range, &table, &dst_range, &brightness,
                                 &contrast, &saturation) >= 0 && src_range != dst_range)
        out->color_range = dst_range ? AVCOL_RANGE_JPEG : AVCOL_RANGE_MPEG;

out:
    av_frame_free(&tmp);
    return out;
}

static double frame_seconds(struct decoder *d, AVFrame *frame, int stream, double *next)
{
    AVRational tb = d->fmt->streams[stream]->time_base;
    int64_t ts = frame->best_effort_timestamp;
    double pts = ts == AV_NOPTS_VALUE ? *next : ts * av_q2d(tb) + d->pts_offset;
    if (isnan(pts))
        pts = d->pts_offset;
    return pts;
}

static void push_frame(struct video *v, AVFrame *frame, double pts)
{
    SDL_LockMutex(v->lock);
    while (v->q_count == QUEUE_FRAMES && !aborted(v))
        SDL_CondWait(v->cond, v->lock);
    if (aborted(v)) {
        SDL_UnlockMutex(v->lock);
        av_frame_free(&frame);
        return;
    }
    int at = (v->q_head + v->q_count) % QUEUE_FRAMES;
    v->queue[at] = frame;
    v->queue_pts[at] = pts;
    v->q_count++;
    v->decoded++;
    if (v->state == VIDEO_OPENING) {
        v->state = VIDEO_READY;
        SDL_CondBroadcast(v->cond);
        wake_owner(v);
    }
    SDL_UnlockMutex(v->lock);
}

static void handle_video_frame(struct video *v, struct decoder *d, AVFrame *frame)
{
    double pts = frame_seconds(d, frame, d->vidx, &d->next_vpts);
    d->next_vpts = pts + v->frame_dur;
    if (isnan(d->pass_first))
        d->pass_first = pts;
    d->pass_last = pts;
    AVFrame *out = to_texture_format(v, d, frame);
    if (out)
        push_frame(v, out, pts);
}

static void handle_audio_frame(struct video *v, struct decoder *d, AVFrame *frame)
{
    double pts = frame_seconds(d, frame, d->aidx, &d->next_apts);
    int want = swr_get_out_samples(d->swr, frame->nb_samples);
    if (want > d->abuf_frames) {
        float *grown = realloc(d->abuf, sizeof(float) * AUDIO_CHANNELS * (size_t)want);
        if (!grown)
            return;
        d->abuf = grown;
        d->abuf_frames = want;
    }
    uint8_t *outp = (uint8_t *)d->abuf;
    int n = swr_convert(d->swr, &outp, want, (const uint8_t **)frame->extended_data,
                        frame->nb_samples);
    if (n <= 0)
        return;
    d->next_apts = pts + (double)n / audio_rate(v->audio);

    size_t done = 0;
    while (done < (size_t)n && !aborted(v)) {
        SDL_LockMutex(v->lock);
        size_t wrote = v->asrc ? audio_source_write(v->asrc, d->abuf + 2 * done, (size_t)n - done,
                                                    pts + (double)done / audio_rate(v->audio))
                               : (size_t)n - done;
        SDL_UnlockMutex(v->lock);
        done += wrote;
        if (done < (size_t)n)
            SDL_Delay(10); /* the ring is full: wait for the device to play some */
    }
}

/* Sends PKT (NULL drains) to CTX and handles every frame that comes out.
 * Returns false when the stream is beyond repair. */
static bool decode_packet(struct video *v, struct decoder *d, AVCodecContext *ctx,
                          const AVPacket *pkt, AVFrame *frame)
{
    int err = avcodec_send_packet(ctx, pkt);
    if (err < 0 && err != AVERROR_EOF && err != AVERROR(EAGAIN)) {
        d->errors_total++;
        if (++d->errors_in_row > MAX_DECODE_ERRORS)
            return false;
        return true;
    }
    d->errors_in_row = 0;
    while (!aborted(v)) {
        err = avcodec_receive_frame(ctx, frame);
        if (err == AVERROR(EAGAIN) || err == AVERROR_EOF)
            break;
        if (err < 0) {
            d->errors_total++;
            return ++d->errors_in_row <= MAX_DECODE_ERRORS;
        }
        if (frame->decode_error_flags || (frame->flags & AV_FRAME_FLAG_CORRUPT))
            d->errors_total++;
        if (ctx == d->vctx)
            handle_video_frame(v, d, frame);
        else
            handle_audio_frame(v, d, frame);
        av_frame_unref(frame);
    }
    return true;
}

static void drain(struct video *v, struct decoder *d, AVFrame *frame)
{
    decode_packet(v, d, d->vctx, NULL, frame);
    if (d->actx)
        decode_packet(v, d, d->actx, NULL, frame);
}

/* Starts the file over for a looping video; false when it cannot. */
static bool rewind_input(struct video *v, struct decoder *d)
{
    if (isnan(d->pass_first))
        return false;
    if (av_seek_frame(d->fmt, -1, 0, AVSEEK_FLAG_BACKWARD) < 0 &&
        avformat_seek_file(d->fmt, -1, INT64_MIN, 0, 0, 0) < 0) {
        log_warn("%s: cannot seek back to loop it", v->id);
        return false;
    }
    avcodec_flush_buffers(d->vctx);
    if (d->actx)
        avcodec_flush_buffers(d->actx);
    /* The next pass continues the timeline where this one ended, so the
     * clock (and the sound) never jump backwards. */
    d->pts_offset += d->pass_last + v->frame_dur - d->pass_first;
    d->pass_first = NAN;
    return true;
}

/*
 * Says once, at the end, what was wrong with a file that played anyway: it
 * stopped well before the length its header gives (cut short in a copy),
 * or damaged parts were skipped.
 */
static void report_damage(struct video *v, struct decoder *d, bool broke)
{
    if (broke)
        return;
    double played = isnan(d->pass_last) ? 0 : d->pass_last + v->frame_dur - d->pts_offset;
    double expected = v->duration;
    /* Container durations round; a second or 5% short is not a cut. */
    double slack = fmax(1.0, 0.05 * expected);
    if (!isnan(expected) && !v->loop && played < expected - slack) {
        log_warn("%s: the file ends after %.1f s of its %.1f s; it is cut short", v->id,
                 played, expected);
    } else if (d->errors_total > 0) {
        log_warn("%s: %d damaged part%s skipped while decoding", v->id, d->errors_total,
                 d->errors_total == 1 ? "" : "s");
    }
}

static void run_decoder(struct video *v, struct decoder *d)
{
    AVPacket *pkt = av_packet_alloc();
    AVFrame *frame = av_frame_alloc();
    bool broke = false;
    char e[128];

    while (pkt && frame && !aborted(v)) {
        v->last_io = mono_now();
        int err = av_read_frame(d->fmt, pkt);
        if (err == AVERROR_EOF || (err < 0 && avio_feof(d->fmt->pb))) {
            drain(v, d, frame);
            if (v->loop && !aborted(v) && rewind_input(v, d))
                continue;
            break;
        }
        if (err < 0) {
            if (!aborted(v))
                log_warn("%s: reading failed midway: %s", v->id, av_error(err, e, sizeof(e)));
            drain(v, d, frame);
            broke = true;
            break;
        }
        bool ok = true;
        if (pkt->stream_index == d->vidx)
            ok = decode_packet(v, d, d->vctx, pkt, frame);
        else if (pkt->stream_index == d->aidx)
            ok = decode_packet(v, d, d->actx, pkt, frame);
        av_packet_unref(pkt);
        if (!ok) {
            log_warn("%s: the picture cannot be decoded any further; ending it early", v->id);
            broke = true;
            break;
        }
    }
    av_packet_free(&pkt);
    av_frame_free(&frame);
    if (!aborted(v))
        report_damage(v, d, broke);

    SDL_LockMutex(v->lock);
    v->eof = true;
    v->broke = broke;
    if (v->state == VIDEO_OPENING) {
        v->state = VIDEO_FAILED;
        snprintf(v->why, sizeof(v->why), "no picture could be decoded");
        wake_owner(v);
    }
    SDL_CondBroadcast(v->cond);
    SDL_UnlockMutex(v->lock);
}

static void close_decoder(struct decoder *d)
{
    avcodec_free_context(&d->vctx);
    avcodec_free_context(&d->actx);
    avformat_close_input(&d->fmt);
    swr_free(&d->swr);
    sws_freeContext(d->sws);
    free(d->abuf);
}

static int decoder_main(void *data)
{
    struct video *v = data;
    struct decoder d = {.vidx = -1, .aidx = -1};
    char why[256] = "";
    if (open_input(v, &d, why, sizeof(why)))
        run_decoder(v, &d);
    else if (!aborted(v))
        set_failed(v, why);
    close_decoder(&d);
    video_unref(v);
    return 0;
}

/* ---- The render thread's side ---- */

struct video *video_create(const struct video_params *params)
{
    struct video *v = calloc(1, sizeof(*v));
    if (!v)
        return NULL;
    SDL_AtomicSet(&v->refs, 1);
    v->duration = NAN;
    v->path = strdup(params->path);
    v->id = strdup(params->id ? params->id : params->path);
    v->hwdec = strdup(params->hwdec ? params->hwdec : "auto");
    v->wake_event = params->wake_event;
    v->audio = params->audio;
    v->gain = params->gain;
    v->loop = params->loop;
    v->lock = SDL_CreateMutex();
    v->cond = SDL_CreateCond();
    if (!v->path || !v->id || !v->hwdec || !v->lock || !v->cond)
        goto fail;

    SDL_AtomicAdd(&v->refs, 1);
    SDL_Thread *t = SDL_CreateThread(decoder_main, "lianbo-video", v);
    if (!t) {
        SDL_AtomicAdd(&v->refs, -1);
        log_error("%s: cannot start a decoder thread: %s", v->id, SDL_GetError());
        goto fail;
    }
    SDL_DetachThread(t);
    return v;

fail:
    video_unref(v);
    return NULL;
}

void video_destroy(struct video *v)
{
    if (!v)
        return;
    SDL_LockMutex(v->lock);
    SDL_AtomicSet(&v->abort, 1);
    struct audio_source *asrc = v->asrc;
    v->asrc = NULL;
    unsigned long decoded = v->decoded;
    SDL_CondBroadcast(v->cond);
    SDL_UnlockMutex(v->lock);
    audio_source_destroy(asrc);

    if (v->started) {
        log_info("%s: decoded %lu, shown %lu, dropped %lu frames", v->id, decoded,
                 v->shown_count, v->dropped);
    }
    video_unref(v);
}

enum video_state video_state(struct video *v, char *why, size_t why_len)
{
    SDL_LockMutex(v->lock);
    enum video_state s = v->state;
    if (s == VIDEO_FAILED && why)
        snprintf(why, why_len, "%s", v->why);
    SDL_UnlockMutex(v->lock);
    return s;
}

void video_start(struct video *v, double now)
{
    SDL_LockMutex(v->lock);
    v->start_pts = v->q_count ? v->queue_pts[v->q_head] : 0;
    v->first_pts = v->start_pts;
    struct audio_source *asrc = v->asrc;
    if (asrc)
        audio_source_start(asrc);
    SDL_UnlockMutex(v->lock);
    v->start_time = now;
    v->started = true;
    v->last_new_frame = now;
}

static double video_clock(struct video *v, double now)
{
    double pts;
    if (v->paused)
        return v->paused_clock;
    if (v->asrc && audio_source_clock(v->asrc, now, &pts))
        return pts;
    return v->start_pts + (now - v->start_time);
}

void video_pause(struct video *v, double now)
{
    if (!v->started || v->paused)
        return;
    v->paused_clock = video_clock(v, now);
    v->paused = true;
    SDL_LockMutex(v->lock);
    if (v->asrc)
        audio_source_pause(v->asrc);
    SDL_UnlockMutex(v->lock);
}

void video_resume(struct video *v, double now)
{
    if (!v->paused)
        return;
    /* The monotonic clock carries on from where the picture stopped until
     * the sound, which stopped at the same place, takes over again. */
    v->start_pts = v->paused_clock;
    v->start_time = now;
    v->last_new_frame = now;
    v->paused = false;
    SDL_LockMutex(v->lock);
    if (v->asrc)
        audio_source_start(v->asrc);
    SDL_UnlockMutex(v->lock);
}

const AVFrame *video_update(struct video *v, double now, double *next_due)
{
    double clock = video_clock(v, now);
    AVFrame *take = NULL;
    double take_pts = 0;

    SDL_LockMutex(v->lock);
    double ahead = v->paused ? 0 : fmin(v->frame_dur / 2, PRESENT_AHEAD_MAX_S);
    while (v->q_count > 0) {
        double pts = v->queue_pts[v->q_head];
        /* A frame not yet due comes only alone: the first one, or one due
         * within AHEAD. None is ever dropped for a frame not yet due. */
        if (pts > clock && (take || (v->shown && pts > clock + ahead)))
            break;
        /* A later frame is due too: the one taken before was late and
         * never reaches the screen. */
        if (take) {
            av_frame_free(&take);
            v->dropped++;
        }
        take = v->queue[v->q_head];
        take_pts = pts;
        v->queue[v->q_head] = NULL;
        v->q_head = (v->q_head + 1) % QUEUE_FRAMES;
        v->q_count--;
    }
    double next = v->q_count ? v->queue_pts[v->q_head] : NAN;
    bool eof = v->eof;
    /* Room in the queue is all the decoder waits for. */
    if (take)
        SDL_CondBroadcast(v->cond);
    SDL_UnlockMutex(v->lock);

    if (!isnan(next))
        *next_due = now + fmax(next - clock, 0);
    else if (eof)
        *next_due = now + fmax(v->shown_pts + v->frame_dur - clock, 0.001);
    else
        *next_due = now + 0.005; /* the decoder is behind: look again soon */

    if (!take)
        return NULL;
    av_frame_free(&v->shown);
    v->shown = take;
    v->shown_pts = take_pts;
    v->shown_count++;
    v->last_new_frame = now;
    return take;
}

bool video_ended(struct video *v, double now)
{
    SDL_LockMutex(v->lock);
    bool done = v->eof && v->q_count == 0;
    bool broke = v->broke;
    SDL_UnlockMutex(v->lock);
    if (!done)
        return false;
    if (broke || !v->shown)
        return true;
    return video_clock(v, now) >= v->shown_pts + v->frame_dur;
}

void video_geometry(struct video *v, int *display_w, int *display_h, int *rotation)
{
    SDL_LockMutex(v->lock);
    *display_w = v->disp_w;
    *display_h = v->disp_h;
    *rotation = v->rotation;
    SDL_UnlockMutex(v->lock);
}

double video_remaining(struct video *v, double now)
{
    if (v->loop)
        return INFINITY;
    SDL_LockMutex(v->lock);
    double duration = v->duration;
    SDL_UnlockMutex(v->lock);
    if (isnan(duration) || !v->started)
        return 0;
    return fmax(v->first_pts + duration - video_clock(v, now), 0);
}

double video_starved_for(struct video *v, double now)
{
    if (!v->started || v->paused)
        return 0;
    SDL_LockMutex(v->lock);
    bool waiting = !v->eof && v->q_count == 0;
    SDL_UnlockMutex(v->lock);
    return waiting ? now - v->last_new_frame : 0;
}

/* ---- Showing frames ---- */

/* The conversion the frame's own tags ask for. Untagged video follows the
 * usual convention, which is SDL's too: BT.709 above 576 lines. SDL 2 has
 * no full-range BT.709, so all full-range video takes its one full-range
 * matrix (BT.601); the difference is a faint shift of hue, not the crushed
 * blacks and clipped whites that limited range would give. */
static SDL_YUV_CONVERSION_MODE conversion_mode(const AVFrame *f)
{
    if (f->color_range == AVCOL_RANGE_JPEG || f->format == AV_PIX_FMT_YUVJ420P)
        return SDL_YUV_CONVERSION_JPEG;
    switch (f->colorspace) {
    case AVCOL_SPC_BT709:
        return SDL_YUV_CONVERSION_BT709;
    case AVCOL_SPC_BT470BG:
    case AVCOL_SPC_SMPTE170M:
    case AVCOL_SPC_FCC:
        return SDL_YUV_CONVERSION_BT601;
    default:
        return SDL_GetYUVConversionModeForResolution(f->width, f->height);
    }
}

bool video_texture_upload(struct video_texture *t, SDL_Renderer *r, const AVFrame *f,
                          char *why, size_t why_len)
{
    Uint32 format = f->format == AV_PIX_FMT_NV12 ? SDL_PIXELFORMAT_NV12 : SDL_PIXELFORMAT_IYUV;
    if (!t->tex || t->format != format || t->w != f->width || t->h != f->height) {
        video_texture_release(t);
        t->tex = SDL_CreateTexture(r, format, SDL_TEXTUREACCESS_STREAMING, f->width,
                                   f->height);
        if (!t->tex) {
            snprintf(why, why_len, "cannot create a %dx%d video texture: %s", f->width,
                     f->height, SDL_GetError());
            return false;
        }
        t->format = format;
        t->w = f->width;
        t->h = f->height;
    }
    t->mode = conversion_mode(f);

    /* The software renderer turns YUV into RGB here, when the texture is
     * updated; the GL renderers when it is drawn. The mode is one setting
     * for the whole process, so it is set for just this call. */
    SDL_YUV_CONVERSION_MODE was = SDL_GetYUVConversionMode();
    SDL_SetYUVConversionMode(t->mode);
    int err = format == SDL_PIXELFORMAT_NV12
                  ? SDL_UpdateNVTexture(t->tex, NULL, f->data[0], f->linesize[0], f->data[1],
                                        f->linesize[1])
                  : SDL_UpdateYUVTexture(t->tex, NULL, f->data[0], f->linesize[0], f->data[1],
                                         f->linesize[1], f->data[2], f->linesize[2]);
    SDL_SetYUVConversionMode(was);
    if (err != 0) {
        snprintf(why, why_len, "cannot update the video texture: %s", SDL_GetError());
        return false;
    }
    return true;
}

void video_texture_draw(struct video_texture *t, SDL_Renderer *r, const SDL_Rect *dst,
                        double angle)
{
    /* Most video needs nothing special. Otherwise the renderer must run
     * this copy while the mode is set, not later with the whole frame. */
    bool own = SDL_GetYUVConversionModeForResolution(t->w, t->h) != t->mode;
    SDL_YUV_CONVERSION_MODE was = SDL_GetYUVConversionMode();
    if (own)
        SDL_SetYUVConversionMode(t->mode);
    SDL_RenderCopyEx(r, t->tex, NULL, dst, angle, NULL, SDL_FLIP_NONE);
    if (own) {
        SDL_RenderFlush(r);
        SDL_SetYUVConversionMode(was);
    }
}

void video_texture_release(struct video_texture *t)
{
    if (t->tex)
        SDL_DestroyTexture(t->tex);
    *t = (struct video_texture){0};
}
