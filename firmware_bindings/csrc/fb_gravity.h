/*
 * fb_gravity.h - the Earth's gravity: point mass plus zonal harmonics J2, J3, J4.
 *
 * The zonal field is symmetric about the Earth's axis, which is the z axis of both ECI and ECEF here, so
 * the acceleration may be evaluated in either frame.
 * Left out: the tesseral and sectorial terms (C22/S22 alone is about 1e-4 m/s^2 in low orbit, against
 * 1e-2 m/s^2 for J2) and zonal terms beyond J4; the flight software and the plant share this field.
 * fb_grav_accel rejects with FB_E_RANGE a model with GM or Re not positive and finite, and a position
 * closer than 1,000 km to the centre (the series means nothing there).
 */
#ifndef FB_GRAVITY_H
#define FB_GRAVITY_H

#include "fb_status.h"

/* FB_CDEF_BEGIN */
typedef struct {
    double gm_m3_s2;
    double re_m;     /* reference radius of the harmonics */
    double j2, j3, j4; /* unnormalised; set any to zero to switch that term off */
} fb_grav_model;

/* Fill m with the WGS-84 / EGM96 values of shared reference earth_constants.json. */
fb_status fb_grav_default(fb_grav_model *m);
fb_status fb_grav_accel(const fb_grav_model *m, const double r_m[3], double a_mps2[3]);
/* Batch over n positions (row-major n x 3); the first failing point's status is returned. */
fb_status fb_grav_accel_n(const fb_grav_model *m, int n, const double *r_m, double *a_mps2);
/* FB_CDEF_END */

#endif
