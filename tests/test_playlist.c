/* A zone's rotation: order, wrap-around, failures set aside and retried. */
#include "player/playlist.h"
#include "tests/check.h"

static void test_order(void)
{
    struct playlist pl;
    CHECK(playlist_init(&pl, 3), "init");
    long seq[7];
    size_t at = pl.n;
    for (int i = 0; i < 7; i++) {
        seq[i] = playlist_next(&pl, at, 0);
        at = (size_t)seq[i];
    }
    static const long want[] = {0, 1, 2, 0, 1, 2, 0};
    for (int i = 0; i < 7; i++)
        CHECK(seq[i] == want[i], "step %d: got %ld want %ld", i, seq[i], want[i]);
    playlist_finish(&pl);
}

static void test_empty(void)
{
    struct playlist pl;
    CHECK(playlist_init(&pl, 0), "init");
    CHECK(playlist_next(&pl, 0, 0) == -1, "nothing to play");
    CHECK(playlist_next_retry(&pl) == 0, "nothing to retry");
    playlist_finish(&pl);
}

static void test_failures(void)
{
    struct playlist pl;
    playlist_init(&pl, 3);

    /* Item 1 fails: it is skipped and logged once. */
    CHECK(playlist_failed(&pl, 1, 100), "first failure is worth a warning");
    CHECK(playlist_next(&pl, 0, 101) == 2, "item after 0 skips the broken 1");
    CHECK(playlist_next(&pl, pl.n, 101) == 0, "first playable is 0");
    CHECK(playlist_next_retry(&pl) == 100 + PLAYLIST_RETRY_FIRST_S, "retry at %g",
          playlist_next_retry(&pl));

    /* When its pause is over it is tried again; failing again doubles it
     * and is not worth another warning. */
    CHECK(playlist_next(&pl, 0, 100 + PLAYLIST_RETRY_FIRST_S) == 1, "retried after pause");
    CHECK(!playlist_failed(&pl, 1, 200), "second failure is quiet");
    CHECK(playlist_next_retry(&pl) == 200 + 2 * PLAYLIST_RETRY_FIRST_S, "doubled: %g",
          playlist_next_retry(&pl));

    /* The pause never grows past the cap. */
    for (int i = 0; i < 20; i++)
        playlist_failed(&pl, 1, 1000);
    CHECK(playlist_next_retry(&pl) == 1000 + PLAYLIST_RETRY_MAX_S, "capped: %g",
          playlist_next_retry(&pl));

    /* Fixed: back in the rotation, and a new failure warns again. */
    playlist_succeeded(&pl, 1);
    CHECK(playlist_next(&pl, 0, 1001) == 1, "back in rotation");
    CHECK(playlist_failed(&pl, 1, 1002), "warns again after a success");
    playlist_finish(&pl);
}

static void test_all_failing(void)
{
    struct playlist pl;
    playlist_init(&pl, 2);
    playlist_failed(&pl, 0, 10);
    playlist_failed(&pl, 1, 12);
    CHECK(playlist_next(&pl, pl.n, 13) == -1, "nothing playable: the zone shows its fallback");
    CHECK(playlist_next_retry(&pl) == 10 + PLAYLIST_RETRY_FIRST_S, "earliest retry first");
    CHECK(playlist_next(&pl, pl.n, 10 + PLAYLIST_RETRY_FIRST_S) == 0, "retry due");
    playlist_finish(&pl);
}

static void test_held(void)
{
    struct playlist pl;
    playlist_init(&pl, 3);
    /* Item 1's media is still downloading: left out, but not failed. */
    playlist_hold(&pl, 1, true);
    CHECK(playlist_next(&pl, 0, 0) == 2, "held item skipped");
    CHECK(playlist_next_retry(&pl) == 0, "a held item is not waiting for a retry");
    playlist_hold(&pl, 0, true);
    playlist_hold(&pl, 2, true);
    CHECK(playlist_next(&pl, pl.n, 0) == -1, "all held: fallback");
    playlist_hold(&pl, 1, false);
    CHECK(playlist_next(&pl, pl.n, 0) == 1, "verified: back in the rotation");
    playlist_finish(&pl);
}

int main(void)
{
    test_held();
    test_order();
    test_empty();
    test_failures();
    test_all_failing();
    return check_finish();
}
