/*
 * Line breaking, measured with a fake font in which every character is
 * 10 pixels wide (CJK ideographs 20), so the expected lines are exact.
 */
#include <stdlib.h>

#include "render/wrap.h"
#include "tests/check.h"

static int fake_measure(void *ctx, const char *s, size_t len)
{
    (void)ctx;
    int w = 0;
    size_t i = 0;
    while (i < len) {
        size_t clen;
        uint32_t c = wrap_utf8_decode(s + i, len - i, &clen);
        w += c >= 0x2e80 ? 20 : 10;
        i += clen;
    }
    return w;
}

struct wrap_case {
    const char *text;
    int width;
    const char *lines[8];
};

static const struct wrap_case cases[] = {
    {"hello world", 200, {"hello world"}},
    {"hello world", 60, {"hello", "world"}},
    {"the lift is out of order", 100, {"the lift", "is out of", "order"}},
    /* a word wider than the line is broken, not clipped */
    {"abcdefghijkl", 50, {"abcde", "fghij", "kl"}},
    /* explicit newlines, blank line kept */
    {"one\n\ntwo", 200, {"one", "", "two"}},
    /* Chinese breaks between ideographs: 5 per 100 px */
    {"本周六上午召开业主大会", 100, {"本周六上午", "召开业主大", "会"}},
    /* a full stop never starts a line: it stays with the ideograph before */
    {"请准时参加。谢谢", 100, {"请准时参", "加。谢谢"}},
    /* mixed: Latin words stay whole next to CJK */
    {"3号楼 lift 维修", 100, {"3号楼 lift", "维修"}},
    /* spaces around a wrap disappear */
    {"aaaa    bbbb", 50, {"aaaa", "bbbb"}},
    {"", 100, {NULL}},
};

int main(void)
{
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct wrap_case *c = &cases[i];
        struct wrap_line *lines;
        int n = wrap_text(c->text, c->width, fake_measure, NULL, &lines);
        int want = 0;
        while (want < 8 && c->lines[want])
            want++;
        CHECK(n == want, "case %zu (\"%s\" at %d): %d lines, want %d", i, c->text, c->width, n,
              want);
        for (int k = 0; k < n && k < want; k++) {
            char got[256];
            snprintf(got, sizeof(got), "%.*s", (int)lines[k].len, c->text + lines[k].start);
            CHECK_STR(got, c->lines[k]);
        }
        free(lines);
    }

    size_t clen;
    CHECK(wrap_utf8_decode("\xe4\xb8\xad", 3, &clen) == 0x4e2d && clen == 3, "decode 中");
    CHECK(wrap_utf8_decode("\xe4\xb8", 2, &clen) == 0xfffd && clen == 1, "truncated");
    CHECK(wrap_utf8_decode("\xff", 1, &clen) == 0xfffd && clen == 1, "invalid byte");
    return check_finish();
}
