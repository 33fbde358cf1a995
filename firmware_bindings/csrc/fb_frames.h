/*
 * fb_frames.h - reference frames and geodesy.
 *
 * ECI here is the true-equator, mean-equinox frame of date approximated as inertial: ECEF = R3(gmst) ECI,
 * no precession, nutation or polar motion (errors of order 1e-4 rad over a campaign; documented in
 * docs/architecture.md). Geodetic coordinates are WGS-84 (lat_rad, lon_rad, h_m), longitude in (-pi, pi].
 * LVLH: z toward the Earth's centre (-r), y against the orbit normal (-(r x v)), x = y x z (along v for
 * a circular orbit).
 */
#ifndef FB_FRAMES_H
#define FB_FRAMES_H

#include "fb_status.h"

/* FB_CDEF_BEGIN */
fb_status fb_frame_ecef_from_eci(double t_s, const double r_eci_m[3], double r_ecef_m[3]);
fb_status fb_frame_eci_from_ecef(double t_s, const double r_ecef_m[3], double r_eci_m[3]);
/* Position and velocity, including the Earth-rotation term omega x r. */
fb_status fb_frame_ecef_state_from_eci(double t_s, const double r_eci_m[3], const double v_eci_mps[3],
                                       double r_ecef_m[3], double v_ecef_mps[3]);
fb_status fb_frame_eci_state_from_ecef(double t_s, const double r_ecef_m[3], const double v_ecef_mps[3],
                                       double r_eci_m[3], double v_eci_mps[3]);
/* WGS-84 geodetic from ECEF: lla = {lat_rad, lon_rad, h_m}; sub-millimetre from -1 km to 2,000 km,
   poles included. FB_E_RANGE for a point within 50 km of the Earth's centre. */
fb_status fb_frame_geodetic_from_ecef(const double r_ecef_m[3], double lla[3]);
fb_status fb_frame_ecef_from_geodetic(const double lla[3], double r_ecef_m[3]);
/* Geodetic altitude of an ECI position at time t_s (convenience for force models and events). */
fb_status fb_frame_altitude_m(double t_s, const double r_eci_m[3], double *h_m);
/* Direction cosine matrix (row-major) taking ECI components to LVLH components. */
fb_status fb_frame_dcm_lvlh_from_eci(const double r_eci_m[3], const double v_eci_mps[3], double dcm[9]);
/* Great-circle distance (on a sphere of the WGS-84 mean radius 6,371,008.8 m) and initial bearing
   (radians clockwise from north, in [0, 2 pi)) from point 1 to point 2. */
fb_status fb_frame_great_circle(double lat1_rad, double lon1_rad, double lat2_rad, double lon2_rad,
                                double *distance_m, double *bearing_rad);
/* FB_CDEF_END */

#endif
