/*
 * Sound: one SDL audio device that mixes every playing video's sound, and
 * the clock that keeps a video's pictures in step with what is heard.
 *
 * Decoder threads write converted samples (interleaved float stereo at the
 * device's rate) into their source's ring buffer; SDL's audio thread reads
 * them. Each read re-anchors the source's clock, so a video asks "what time
 * is it in my sound?" without touching the device.
 */
#ifndef LIANBO_AUDIO_H
#define LIANBO_AUDIO_H

#include <stdbool.h>
#include <stddef.h>

struct audio;
struct audio_source;

/* Channels of every source and of the device: stereo. */
#define AUDIO_CHANNELS 2

/*
 * Opens the default output device at VOLUME percent. Returns NULL with a
 * log line when sound is disabled or no device opens; videos then play
 * silently on the monotonic clock.
 */
struct audio *audio_create(bool enabled, int volume);
void audio_destroy(struct audio *a); /* accepts NULL */

/* Samples per second of the device. */
int audio_rate(const struct audio *a);

/* A new, silent source at GAIN (0..1) of the device's volume. */
struct audio_source *audio_source_create(struct audio *a, double gain);

/* Unregisters and frees SRC; accepts NULL. Safe from any thread. */
void audio_source_destroy(struct audio_source *src);

/* Lets SRC be heard; before this, written samples wait in its buffer. */
void audio_source_start(struct audio_source *src);

/* Silences SRC, keeping its buffer, until audio_source_start(). Its clock
 * is unknown again until the device next plays from it. */
void audio_source_pause(struct audio_source *src);

/*
 * Appends up to FRAMES stereo frames whose first one plays at PTS seconds
 * of the video's timeline. Returns how many fit; the caller retries the
 * rest later.
 */
size_t audio_source_write(struct audio_source *src, const float *samples, size_t frames,
                          double pts);

/* Seconds of sound waiting in SRC's buffer. */
double audio_source_buffered(struct audio_source *src);

/*
 * The source's position in the video's timeline at monotonic time NOW
 * (seconds): false until the device has played any of it.
 */
bool audio_source_clock(struct audio_source *src, double now, double *pts);

#endif
