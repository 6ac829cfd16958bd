#define LOG_MODULE "audio"
#include "player/audio.h"

#include <stdlib.h>
#include <string.h>

#include <SDL.h>

#include "player/log.h"

/* Each source buffers this much sound (seconds): enough to ride out the
 * interleaving of real files and a busy decoder on a 2-core board. */
#define SOURCE_BUFFER_S 2.0

/* Requested device period (frames): ~21 ms at 48 kHz, short enough to
 * keep the lip-sync error small, long enough not to starve on a Pi. */
#define DEVICE_PERIOD_FRAMES 1024

struct audio_source {
    struct audio *audio;
    struct audio_source *next;
    float *ring;          /* interleaved stereo */
    size_t cap;           /* frames */
    size_t read, fill;    /* frames */
    double read_pts;      /* timeline position of the frame at READ */
    bool has_pts;
    bool started;
    double gain;

    /* Set by the audio thread on every read. */
    bool anchored;
    double anchor_pts;
    double anchor_time;
};

struct audio {
    SDL_AudioDeviceID dev;
    SDL_AudioSpec spec;
    float volume;
    struct audio_source *sources; /* guarded by SDL_LockAudioDevice */
};

static double mono_now(void)
{
    return SDL_GetTicks64() / 1000.0;
}

static void mix_source(struct audio *a, struct audio_source *s, float *out, size_t frames,
                       double now)
{
    double latency = (double)a->spec.samples / a->spec.freq;
    size_t n = s->fill < frames ? s->fill : frames;
    /* Only sound actually handed to the device moves the clock; once the
     * sound runs out (a track shorter than its picture) the last anchor
     * lets the clock run on steadily. */
    if (s->has_pts && n > 0) {
        s->anchored = true;
        s->anchor_pts = s->read_pts - latency;
        s->anchor_time = now;
    }
    float gain = (float)(s->gain * a->volume);
    for (size_t i = 0; i < n; i++) {
        size_t at = (s->read + i) % s->cap;
        out[2 * i] += s->ring[2 * at] * gain;
        out[2 * i + 1] += s->ring[2 * at + 1] * gain;
    }
    s->read = (s->read + n) % s->cap;
    s->fill -= n;
    s->read_pts += (double)n / a->spec.freq;
}

static void audio_callback(void *data, Uint8 *stream, int len)
{
    struct audio *a = data;
    float *out = (float *)stream;
    size_t frames = (size_t)len / (sizeof(float) * AUDIO_CHANNELS);
    memset(stream, 0, (size_t)len);
    double now = mono_now();
    for (struct audio_source *s = a->sources; s; s = s->next) {
        if (s->started)
            mix_source(a, s, out, frames, now);
    }
    for (size_t i = 0; i < frames * AUDIO_CHANNELS; i++) {
        if (out[i] > 1.0f)
            out[i] = 1.0f;
        else if (out[i] < -1.0f)
            out[i] = -1.0f;
    }
}

struct audio *audio_create(bool enabled, int volume)
{
    if (!enabled) {
        log_info("sound is off in the configuration");
        return NULL;
    }
    if (SDL_InitSubSystem(SDL_INIT_AUDIO) != 0) {
        log_warn("no sound: cannot start SDL audio: %s", SDL_GetError());
        return NULL;
    }
    struct audio *a = calloc(1, sizeof(*a));
    if (!a)
        return NULL;
    a->volume = volume / 100.0f;

    SDL_AudioSpec want = {
        .freq = 48000,
        .format = AUDIO_F32SYS,
        .channels = AUDIO_CHANNELS,
        .samples = DEVICE_PERIOD_FRAMES,
        .callback = audio_callback,
        .userdata = a,
    };
    a->dev = SDL_OpenAudioDevice(NULL, 0, &want, &a->spec, SDL_AUDIO_ALLOW_FREQUENCY_CHANGE);
    if (!a->dev) {
        log_warn("no sound: cannot open an audio device: %s", SDL_GetError());
        free(a);
        SDL_QuitSubSystem(SDL_INIT_AUDIO);
        return NULL;
    }
    log_info("sound: %s driver, %d Hz, %d-frame period, volume %d%%",
             SDL_GetCurrentAudioDriver(), a->spec.freq, a->spec.samples, volume);
    SDL_PauseAudioDevice(a->dev, 0);
    return a;
}

void audio_destroy(struct audio *a)
{
    if (!a)
        return;
    SDL_CloseAudioDevice(a->dev);
    /* Sources still registered belong to videos being torn down; they
     * must not reach the closed device any more. */
    for (struct audio_source *s = a->sources; s; s = s->next)
        s->audio = NULL;
    free(a);
    SDL_QuitSubSystem(SDL_INIT_AUDIO);
}

int audio_rate(const struct audio *a)
{
    return a->spec.freq;
}

struct audio_source *audio_source_create(struct audio *a, double gain)
{
    struct audio_source *s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    s->audio = a;
    s->gain = gain;
    s->cap = (size_t)(SOURCE_BUFFER_S * a->spec.freq);
    s->ring = malloc(s->cap * AUDIO_CHANNELS * sizeof(float));
    if (!s->ring) {
        free(s);
        return NULL;
    }
    SDL_LockAudioDevice(a->dev);
    s->next = a->sources;
    a->sources = s;
    SDL_UnlockAudioDevice(a->dev);
    return s;
}

void audio_source_destroy(struct audio_source *src)
{
    if (!src)
        return;
    struct audio *a = src->audio;
    if (a) {
        SDL_LockAudioDevice(a->dev);
        for (struct audio_source **p = &a->sources; *p; p = &(*p)->next) {
            if (*p == src) {
                *p = src->next;
                break;
            }
        }
        SDL_UnlockAudioDevice(a->dev);
    }
    free(src->ring);
    free(src);
}

void audio_source_start(struct audio_source *src)
{
    SDL_LockAudioDevice(src->audio->dev);
    src->started = true;
    SDL_UnlockAudioDevice(src->audio->dev);
}

void audio_source_pause(struct audio_source *src)
{
    SDL_LockAudioDevice(src->audio->dev);
    src->started = false;
    src->anchored = false;
    SDL_UnlockAudioDevice(src->audio->dev);
}

size_t audio_source_write(struct audio_source *src, const float *samples, size_t frames,
                          double pts)
{
    SDL_LockAudioDevice(src->audio->dev);
    if (!src->has_pts) {
        src->read_pts = pts;
        src->has_pts = true;
    }
    size_t room = src->cap - src->fill;
    size_t n = frames < room ? frames : room;
    size_t at = (src->read + src->fill) % src->cap;
    for (size_t i = 0; i < n; i++) {
        src->ring[2 * at] = samples[2 * i];
        src->ring[2 * at + 1] = samples[2 * i + 1];
        at = at + 1 == src->cap ? 0 : at + 1;
    }
    src->fill += n;
    SDL_UnlockAudioDevice(src->audio->dev);
    return n;
}

double audio_source_buffered(struct audio_source *src)
{
    SDL_LockAudioDevice(src->audio->dev);
    double s = (double)src->fill / src->audio->spec.freq;
    SDL_UnlockAudioDevice(src->audio->dev);
    return s;
}

bool audio_source_clock(struct audio_source *src, double now, double *pts)
{
    SDL_LockAudioDevice(src->audio->dev);
    bool ok = src->anchored;
    if (ok)
        *pts = src->anchor_pts + (now - src->anchor_time);
    SDL_UnlockAudioDevice(src->audio->dev);
    return ok;
}
