/*
 * Feeds arbitrary bytes to image_probe(). Besides crashing, the probe must
 * keep its promises: a success names a format and a size of at least 1x1,
 * a failure gives a reason and no size, and the reason fits its buffer.
 */
#include <stdlib.h>
#include <string.h>

#include "render/image_probe.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct image_info info;
    char why[128];
    /* A copy of exactly SIZE bytes, so that a read past the end is seen
     * by AddressSanitizer even when the caller's buffer is larger. */
    uint8_t *copy = malloc(size ? size : 1);
    if (!copy)
        return 0;
    memcpy(copy, data, size);

    memset(why, 'x', sizeof(why));
    bool ok = image_probe(copy, size, &info, why, sizeof(why));
    if (memchr(why, '\0', sizeof(why)) == NULL)
        abort();
    if (ok && (info.format == IMAGE_FORMAT_UNKNOWN || info.width < 1 || info.height < 1))
        abort();
    if (!ok && (why[0] == '\0' || info.width != 0 || info.height != 0))
        abort();
    if (!image_format_name(info.format))
        abort();

    /* Every shorter prefix must be handled as well: the loader passes
     * only the first part of a file. */
    if (size > 0)
        image_probe(copy, size / 2, &info, NULL, 0);
    free(copy);
    return 0;
}
