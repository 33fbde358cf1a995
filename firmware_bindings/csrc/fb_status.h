/*
 * fb_status.h - status codes returned by every function of the C core.
 *
 * Every public function of the core returns an fb_status and writes its outputs through pointers given
 * last. FB_OK is zero; any other value means the outputs are unspecified. The Python binding turns
 * these codes into exceptions through one table (firmware_bindings/_status.py): keep the two in step.
 */
#ifndef FB_STATUS_H
#define FB_STATUS_H

/* FB_CDEF_BEGIN */
typedef enum {
    FB_OK = 0,
    FB_E_NULL = 1,             /* a required pointer argument is NULL */
    FB_E_NONFINITE = 2,        /* an input holds NaN or an infinity */
    FB_E_RANGE = 3,            /* an input lies outside its documented range */
    FB_E_BELOW_GROUND = 4,     /* a state lies below the surface where that is not allowed */
    FB_E_NO_CONVERGENCE = 5,   /* an iteration did not converge within its bound */
    FB_E_MAX_STEPS = 6,        /* an integration used up its step budget */
    FB_E_NO_SOLUTION = 7,      /* the problem has no solution (for example an impossible burn) */
    FB_E_CAPACITY = 8,         /* an output buffer is too small */
    FB_E_STEP_TOO_SMALL = 9,   /* adaptive step size fell below its floor */
    FB_E_DEGENERATE = 10       /* a geometric degeneracy (zero vector, undefined axis) */
} fb_status;
/* FB_CDEF_END */

#endif
