"""QR codes on screen decode, with a phone-grade reader (zbarimg), to
exactly what the manifest says: on their own, inside a notice, on a screen
turned sideways, and for long URLs."""

from harness import (Suite, World, check, expect_qr, manifest, text_item,
                     zone_rects)

suite = Suite()

W, H = 360, 640
REPORT = "https://example.org/report?b=3&unit=1201"
SIGNUP = "https://example.org/lianbo/signup?building=3"


def qr_item(item_id, data, caption=None):
    item = {"id": item_id, "type": "qr", "qr": data, "duration": 30}
    if caption is not None:
        item["caption"] = caption
    return item


def notice_item(item_id, data):
    return {"id": item_id, "type": "notice", "title": "业主大会",
            "body": "本周六上午 9:30 在 3 号楼活动室召开业主大会，扫码报名。",
            "qr": data, "duration": 30, "fg": "#ffffff", "bg": "#1d3557"}


def decode_zones(exe, name, upper, lower, rotation=0, width=W, height=H):
    with World(exe, name) as w:
        w.write_manifest(manifest(upper=[upper], lower=[lower]))
        w.write_config(display={"rotation": rotation, "width": width, "height": height})
        img = w.run().image
        return img, zone_rects(width, height, rotation)


@suite.test
def qr_item_decodes(exe):
    img, zones = decode_zones(exe, "qr", text_item("t", "Hello", "", bg="#336699"),
                              qr_item("report", REPORT, "Scan to report"))
    expect_qr(img.crop(*zones["lower"]), REPORT, "qr item in the lower zone")


@suite.test
def qr_item_without_caption_decodes(exe):
    img, zones = decode_zones(exe, "qr-bare", qr_item("bare", "lianbo test 42"),
                              text_item("t", "Hello", "", bg="#336699"))
    expect_qr(img.crop(*zones["upper"]), "lianbo test 42", "qr item without a caption")


@suite.test
def notice_qr_decodes(exe):
    img, zones = decode_zones(exe, "notice", text_item("t", "Hello", "", bg="#336699"),
                              notice_item("meeting", SIGNUP))
    lower = img.crop(*zones["lower"])
    expect_qr(lower, SIGNUP, "QR code of a notice")
    # The notice's text sits to the left of the code in a wide zone: its
    # left third has white text on the navy background.
    left = lower.crop(0, 0, lower.width // 3, lower.height)
    ink = left.count(lambda p: min(p) > 200)
    check(ink > 100, f"the notice's left third has only {ink} white pixels; "
                     "its title and body are missing")


@suite.test
def notice_in_a_tall_zone_decodes(exe):
    # A zone taller than wide stacks text and code; the code still decodes.
    img, zones = decode_zones(exe, "notice-tall", text_item("t", "Hello", "", bg="#336699"),
                              notice_item("meeting", SIGNUP), width=300, height=1000)
    expect_qr(img.crop(*zones["lower"]), SIGNUP, "QR code of a notice in a tall zone")


@suite.test
def qr_decodes_on_a_rotated_screen(exe):
    img, zones = decode_zones(exe, "qr-rot", qr_item("report", REPORT, "Scan to report"),
                              notice_item("meeting", SIGNUP), rotation=90)
    expect_qr(img.crop(*zones["upper"]), REPORT, "qr item with rotation 90 (right of window)")
    expect_qr(img.crop(*zones["lower"]), SIGNUP, "notice QR with rotation 90 (left of window)")


@suite.test
def long_url_decodes(exe):
    url = "https://example.org/lianbo/form?" + "&".join(
        f"field{i}=value-{i * 7919 % 1000}" for i in range(14))
    check(len(url) > 250, "the long URL fixture is too short")
    img, zones = decode_zones(exe, "qr-long", text_item("t", "Hello", "", bg="#336699"),
                              qr_item("long", url))
    expect_qr(img.crop(*zones["lower"]), url, f"qr item holding a {len(url)}-character URL")


@suite.test
def chinese_qr_payload_decodes(exe):
    data = "青园社区 3 号楼报修"
    img, zones = decode_zones(exe, "qr-utf8", text_item("t", "Hello", "", bg="#336699"),
                              qr_item("utf8", data))
    expect_qr(img.crop(*zones["lower"]), data, "qr item holding UTF-8 Chinese text")


if __name__ == "__main__":
    suite.main()
