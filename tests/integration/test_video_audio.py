"""A video's sound reaches the speakers: SDL's disk audio driver writes what
the player mixes (float32, two channels, 48000 Hz) to a file, and the file
holds a 440 Hz tone for as long as the clip plays; scaled by the item's
volume, silent at volume 0, whatever the file's channel layout and rate."""

import os

from harness import Suite, World, check, image_item, manifest, solid
from videofix import (BLUE, RED, check_timing, clip, expect_decoded, lines_naming,
                      loud_span, read_f32_stereo, retry_if_machine_stalled, run_traced,
                      video_item, zero_crossing_hz)

suite = Suite()

RATE = 48000
CLIP_S = 2


def play_tone(exe, name, volume=None, tone=None):
    """Plays a 2 s red clip with a 440 Hz tone and then a blue picture,
    with sound through the disk driver; returns (left, right, result)."""
    tone = dict(tone or {})
    tone.setdefault("freq", 440)
    tone.setdefault("rate", 44100)
    tone.setdefault("seconds", CLIP_S)
    with World(exe, f"audio-{name}") as w:
        clip(w.media("tone.mp4"), [(RED, CLIP_S)], tone=tone)
        solid(w.media("blue.png"), BLUE)
        w.write_manifest(manifest(
            upper=[video_item("tone", "tone", volume=volume), image_item("next", "blue")],
            media=[("tone", "media/tone.mp4"), ("blue", "media/blue.png")]))
        w.write_config(extra={"audio": {"enabled": True, "volume": 80}})
        out = w.path("speakers.raw")
        env = w.env(SDL_AUDIODRIVER="disk", SDL_DISKAUDIOFILE=out)
        res, _ = run_traced(w, after=CLIP_S + 1.5, env=env)
        check(any("disk driver" in ln for ln in res.log_lines("info")),
              f"{name}: the sound did not go to SDL's disk driver:\n    " + res.tail())
        check(os.path.exists(out), f"{name}: SDL wrote no sound file {out}")
        left, right = read_f32_stereo(out)
        # The device runs for the whole 3.5 s run; allow for SDL's pacing
        # being rough.
        check_timing(len(left) >= RATE * CLIP_S,
                     f"{name}: only {len(left) / RATE:.2f} s of sound were written")
        expect_decoded(res, "upper", "tone", at_least=CLIP_S * 30 - 1)
        check(not lines_naming(res, "tone", "warn"), f"{name}: the clip was warned about")
        return left, right, res


def rms(samples):
    return (sum(s * s for s in samples) / len(samples)) ** 0.5


def expect_tone(left, right, what):
    span = loud_span(left)
    check(span is not None, f"{what}: the sound is silent (loudest sample "
                            f"{max(abs(s) for s in left):.5f})")
    start, end = span
    secs = (end - start) / RATE
    check_timing(abs(secs - CLIP_S) <= 0.3,
                 f"{what}: the tone lasted {secs:.2f} s, expected the clip's {CLIP_S} s")
    for samples, side in ((left, "left"), (right, "right")):
        hz = zero_crossing_hz(samples[start:end], RATE)
        check(abs(hz - 440) <= 440 * 0.03,
              f"{what}: the {side} channel's tone is {hz:.1f} Hz, expected 440 Hz")
    return rms(left[start:end])


@suite.test
@retry_if_machine_stalled
def tone_plays_at_its_pitch(exe):
    left, right, _ = play_tone(exe, "mono")
    expect_tone(left, right, "mono 44.1 kHz tone")


@suite.test
@retry_if_machine_stalled
def five_one_sound_is_mixed_to_stereo(exe):
    # A 5.1 file at 44.1 kHz, the tone on every channel.
    left, right, _ = play_tone(exe, "surround", tone={
        "filter": "pan=5.1|c0=c0|c1=c0|c2=c0|c3=c0|c4=c0|c5=c0"})
    expect_tone(left, right, "5.1 44.1 kHz tone")


@suite.test
@retry_if_machine_stalled
def item_volume_scales_the_sound(exe):
    full_l, full_r, _ = play_tone(exe, "vol100", volume=100)
    half_l, half_r, _ = play_tone(exe, "vol50", volume=50)
    full = expect_tone(full_l, full_r, "volume 100")
    half = expect_tone(half_l, half_r, "volume 50")
    check(abs(half / full - 0.5) <= 0.05,
          f"volume 50 is {half / full:.3f} of volume 100's loudness (RMS {half:.4f} vs "
          f"{full:.4f}), expected 0.5")


@suite.test
@retry_if_machine_stalled
def volume_zero_is_silent(exe):
    left, right, _ = play_tone(exe, "vol0", volume=0)
    loudest = max(max(abs(s) for s in left), max(abs(s) for s in right))
    check(loudest < 1e-4, f"volume 0: the loudest sample is {loudest:.5f}, expected silence")


if __name__ == "__main__":
    suite.main()
