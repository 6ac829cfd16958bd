"""A fresh build with no configuration plays the bundled demo: photos on
top, a neighbourhood notice with a working sign-up QR code below."""

import os

from harness import Suite, World, check, expect_qr

suite = Suite()

SIGNUP = "https://example.org/lianbo/signup?building=3"


@suite.test
def demo_plays_without_a_config(exe):
    check(not os.path.exists("/etc/lianbo/lianbo.cfg"),
          "/etc/lianbo/lianbo.cfg exists on this machine, so lianbo would not play "
          "the demo; move it away to run this test")
    with World(exe, "demo") as w:
        res = w.run(config=False, after=2.5)
        img = res.image
        check(img.width >= 200 and img.height >= 200,
              f"demo screenshot is only {img.width}x{img.height}")
        half = img.height // 2
        for zone, (y, h) in {"upper": (0, half), "lower": (half, img.height - half)}.items():
            region = img.crop(0, y, img.width, h)
            dark = region.count(lambda p: max(p) <= 16)
            check(dark < 0.5 * region.width * region.height,
                  f"demo {zone} half is mostly black ({dark} of "
                  f"{region.width * region.height} pixels)")
            # A photo or a notice has many colours; a flat fill has one.
            colours = len(set(region.pixels()))
            check(colours > 50, f"demo {zone} half has only {colours} colours")
        expect_qr(img.crop(0, half, img.width, img.height - half), SIGNUP,
                  "sign-up QR code in the demo's lower zone")
        noisy = res.log_lines("warn") + res.log_lines("error")
        check(not noisy, "the demo logs warnings or errors:\n    " + "\n    ".join(noisy))


if __name__ == "__main__":
    suite.main()
