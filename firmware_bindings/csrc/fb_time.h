/*
 * fb_time.h - time scales of the core.
 *
 * One time variable runs through the whole core: t_s, seconds of UTC since the J2000 epoch
 * (2000-01-01 12:00:00 UTC), with leap seconds ignored inside a run and UT1 taken equal to UTC
 * (|UT1 - UTC| < 0.9 s, about 400 m of ground track at the equator; stated in docs/architecture.md).
 * A double holds t_s near 8e8 s to about 1e-7 s.
 * Calendar inputs: years 1900-2199, a real Gregorian date, hour 0-23, minute 0-59, 0 <= second < 61 (a
 * leap second 23:59:60.x is accepted and counted as the first second of the next day); FB_E_RANGE
 * otherwise, FB_E_NONFINITE for a NaN second. The Julian date carries about 5e-5 s of rounding; t_s is
 * formed from whole days and the time of day, without that rounding.
 */
#ifndef FB_TIME_H
#define FB_TIME_H

#include "fb_status.h"

/* FB_CDEF_BEGIN */
/* Julian date (UTC) of a calendar date and time of day; Gregorian calendar, years 1900-2199. */
fb_status fb_time_jd_from_utc(int year, int month, int day, int hour, int minute, double second,
                              double *jd_utc);
/* Seconds since J2000 (2000-01-01 12:00:00 UTC) of a calendar date and time of day. */
fb_status fb_time_j2000_s_from_utc(int year, int month, int day, int hour, int minute, double second,
                                   double *t_s);
/* Greenwich mean sidereal time (IAU 1982 expression), in [0, 2 pi), at t_s seconds since J2000 (UT1 taken
   as UTC). FB_E_RANGE for |t_s| > 1e10 s. */
fb_status fb_time_gmst_rad(double t_s, double *gmst_rad);
/* Batch: gmst_rad[i] for t_s[i], i < n. The first failing point's status is returned. */
fb_status fb_time_gmst_rad_n(int n, const double *t_s, double *gmst_rad);
/* FB_CDEF_END */

#endif
