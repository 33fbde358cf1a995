/* fb_version.h - version of the core's interface, so a binding can refuse a core it does not match. */
#ifndef FB_VERSION_H
#define FB_VERSION_H

#include "fb_status.h"

/* FB_CDEF_BEGIN */
fb_status fb_core_version(int *major, int *minor);
/* FB_CDEF_END */

#endif
