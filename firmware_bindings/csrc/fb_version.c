#include "fb_version.h"

#include <stddef.h>

fb_status fb_core_version(int *major, int *minor)
{
    if (major == NULL || minor == NULL) {
        return FB_E_NULL;
    }
    *major = 0;
    *minor = 1;
    return FB_OK;
}
