/*
 * Feeds arbitrary bytes to manifest_parse(). Errors go to /dev/null; the
 * sanitizers and the refcount release catch what matters. Media URLs in
 * the input also exercise manifest_resolve_path().
 */
#include <stdio.h>
#include <stdlib.h>

#define LOG_MODULE "fuzz"
#include "player/log.h"
#include "player/manifest.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static FILE *devnull;
    if (!devnull) {
        /* Unknown-key warnings would bury the fuzzer's own output. */
        log_set_level(LOG_ERROR);
        devnull = fopen("/dev/null", "w");
        if (!devnull)
            abort();
    }
    struct manifest *m = manifest_parse((const char *)data, size,
                                        "file:///srv/lianbo/schedule.json", devnull);
    if (m) {
        manifest_unref(manifest_ref(m));
        manifest_unref(m);
    }
    return 0;
}
