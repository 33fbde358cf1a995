#include "fb_version.h"
#include "fbt.h"

FBT_CASE(core_version)
{
    int major = -1, minor = -1;
    fb_status st;
    (void)in;
    FBT_ARITY(0, 2);
    st = fb_core_version(&major, &minor);
    out[0] = major;
    out[1] = minor;
    return (int)st;
}
