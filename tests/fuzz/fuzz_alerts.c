/* Feeds arbitrary bytes to the alerts parser and the selection rules. */
#include <stdio.h>

#include "player/alerts.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static FILE *sink;
    if (!sink)
        sink = fopen("/dev/null", "w");
    struct alerts *a = alerts_parse((const char *)data, size, "fuzz://alerts.json", sink);
    if (a) {
        struct alerts_view v;
        alerts_select(a, 1796385600, ZONE_LOWER, 25.0, &v);
        alerts_next_change(a, 1796385600);
    }
    alerts_free(a);
    return 0;
}
