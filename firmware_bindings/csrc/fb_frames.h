/*
 * fb_frames.h - reference frames and geodesy.
 *
 * ECI here is the true-equator, mean-equinox frame of date approximated as inertial: ECEF = R3(gmst) ECI,
 * no precession, nutation or polar motion (errors of order 1e-4 rad over a campaign; documented in
 * docs/architecture.md). Geodetic coordinates are WGS-84 (lat_rad, lon_rad, h_m), longitude in (-pi, pi].
 * LVLH: z toward the Earth's centre (-r), y against the orbit normal (-(r x v)), x = y x z (along v for
 * a circular orbit).
 * The velocity transforms add omega x r with the WGS-84 rate 7.292115e-5 rad/s (the IAU 1982 sidereal rate
 * differs by 8.6e-12 rad/s). Geodetic from ECEF is the closed form of Vermeille (2004), rounding errors of
 * order 1e-9 m. Great circles are on a sphere (up to about 0.5 % from ellipsoidal distances).
 * Inputs: any finite t_s with |t_s| <= 1e10 s; latitudes in [-pi/2, pi/2] (FB_E_RANGE otherwise);
 * ecef_from_geodetic accepts -1,000 km <= h_m <= 1e10 m; geodetic_from_ecef and altitude_m accept points
 * 50 km to 1e10 m from the centre.
 * A result that would overflow a double (positions near 1e308 m) is FB_E_RANGE, never inf.
 * Batch functions (_n) take n points as row-major n x 3 (n x 9 for DCMs) or length-n arrays and return
 * the first failing point's status (outputs then unspecified); n = 0 does nothing, n < 0 is FB_E_RANGE.
 */
#ifndef FB_FRAMES_H
#define FB_FRAMES_H

#include "fb_status.h"

/* WGS-84 defining constants (NIMA TR8350.2; shared reference earth_constants.json) and the mean radius. */
#define FB_WGS84_A_M 6378137.0
#define FB_WGS84_F (1.0 / 298.257223563)
#define FB_WGS84_OMEGA_RAD_S 7.292115e-5
#define FB_MEAN_RADIUS_M 6371008.8

/* FB_CDEF_BEGIN */
fb_status fb_frame_ecef_from_eci(double t_s, const double r_eci_m[3], double r_ecef_m[3]);
fb_status fb_frame_eci_from_ecef(double t_s, const double r_ecef_m[3], double r_eci_m[3]);
/* The rotation itself: dcm (row-major) takes ECI components to ECEF components, R3(gmst(t_s)). */
fb_status fb_frame_dcm_ecef_from_eci(double t_s, double dcm[9]);
/* Position and velocity, including the Earth-rotation term omega x r. */
fb_status fb_frame_ecef_state_from_eci(double t_s, const double r_eci_m[3], const double v_eci_mps[3],
                                       double r_ecef_m[3], double v_ecef_mps[3]);
fb_status fb_frame_eci_state_from_ecef(double t_s, const double r_ecef_m[3], const double v_ecef_mps[3],
                                       double r_eci_m[3], double v_eci_mps[3]);
/* WGS-84 geodetic from ECEF: lla = {lat_rad, lon_rad, h_m}; sub-millimetre from -1 km to 2,000 km,
   poles included. FB_E_RANGE for a point within 50 km of the Earth's centre or beyond 1e10 m. */
fb_status fb_frame_geodetic_from_ecef(const double r_ecef_m[3], double lla[3]);
fb_status fb_frame_ecef_from_geodetic(const double lla[3], double r_ecef_m[3]);
/* Geodetic altitude of an ECI position at time t_s (convenience for force models and events). */
fb_status fb_frame_altitude_m(double t_s, const double r_eci_m[3], double *h_m);
/* Direction cosine matrix (row-major) taking ECI components to LVLH components. */
fb_status fb_frame_dcm_lvlh_from_eci(const double r_eci_m[3], const double v_eci_mps[3], double dcm[9]);
/* Great-circle distance (on a sphere of the WGS-84 mean radius 6,371,008.8 m) and initial bearing
   (radians clockwise from north, in [0, 2 pi)) from point 1 to point 2. The bearing is 0 for coincident
   points and, from a pole (where north is undefined), whatever the formula gives. */
fb_status fb_frame_great_circle(double lat1_rad, double lon1_rad, double lat2_rad, double lon2_rad,
                                double *distance_m, double *bearing_rad);

fb_status fb_frame_ecef_from_eci_n(int n, const double *t_s, const double *r_eci_m, double *r_ecef_m);
fb_status fb_frame_eci_from_ecef_n(int n, const double *t_s, const double *r_ecef_m, double *r_eci_m);
fb_status fb_frame_ecef_state_from_eci_n(int n, const double *t_s, const double *r_eci_m,
                                         const double *v_eci_mps, double *r_ecef_m, double *v_ecef_mps);
fb_status fb_frame_eci_state_from_ecef_n(int n, const double *t_s, const double *r_ecef_m,
                                         const double *v_ecef_mps, double *r_eci_m, double *v_eci_mps);
fb_status fb_frame_geodetic_from_ecef_n(int n, const double *r_ecef_m, double *lla);
fb_status fb_frame_ecef_from_geodetic_n(int n, const double *lla, double *r_ecef_m);
fb_status fb_frame_altitude_m_n(int n, const double *t_s, const double *r_eci_m, double *h_m);
fb_status fb_frame_dcm_lvlh_from_eci_n(int n, const double *r_eci_m, const double *v_eci_mps, double *dcm);
fb_status fb_frame_dcm_ecef_from_eci_n(int n, const double *t_s, double *dcm);
fb_status fb_frame_great_circle_n(int n, const double *lat1_rad, const double *lon1_rad,
                                  const double *lat2_rad, const double *lon2_rad, double *distance_m,
                                  double *bearing_rad);
/* FB_CDEF_END */

#endif
