/*
 * fb_atmos.h - atmospheric density.
 *
 * Two models, each multiplied by a density scale factor:
 * - FB_ATM_EXPONENTIAL: the piecewise exponential table of Vallado (2013), table 8-4, 0 to 1000 km
 *   (above 1000 km the last band continues; below 0 km the first).
 * - FB_ATM_HARRIS_PRIESTER: Montenbruck and Gill (2000) table 3.8 with the diurnal bulge (apex lagged
 *   30 deg in right ascension from a low-precision Sun direction), cosine exponent n; below 100 km it
 *   hands over to the exponential table (continuous at 100 km by scaling the exponential band), above
 *   the table's top it continues with the top band's scale height.
 * Altitude is geodetic (WGS-84). Far above the tables the density underflows to 0 (beyond about
 * 200,000 km for the exponential model).
 * The hand-over factor is rho_HP(100 km) / rho_exp(100 km from below, the 90-100 km band), applied to the
 * whole exponential table below 100 km. The exponential table itself jumps slightly at its band edges
 * (its bands are not fitted to meet): at a node the density is the table's rho0.
 * Errors: FB_E_RANGE for an unknown kind, a scale not positive, h_m below -100 km, hp_n outside 2..6
 * (Harris-Priester), |t_s| > 1e10 s, or a result that overflows (an enormous scale); FB_E_DEGENERATE for
 * a zero position (Harris-Priester needs its direction).
 * The Sun direction (Astronomical Almanac low-precision formula, Vallado algorithm 29) is in the mean
 * equator and equinox of date, taken as the core's ECI (the true equator differs by the nutation in
 * obliquity, under 0.003 deg, inside the formula's 0.01 deg).
 */
#ifndef FB_ATMOS_H
#define FB_ATMOS_H

#include "fb_status.h"

/* FB_CDEF_BEGIN */
typedef enum {
    FB_ATM_EXPONENTIAL = 0,
    FB_ATM_HARRIS_PRIESTER = 1
} fb_atm_kind;

typedef struct {
    int kind;            /* an fb_atm_kind */
    double scale;        /* density scale factor (1.0 nominal) */
    int hp_n;            /* Harris-Priester cosine exponent, 2 to 6 */
} fb_atm_model;

/* Unit vector toward the Sun in ECI at t_s (low precision, about 0.01 deg). */
fb_status fb_atm_sun_eci(double t_s, double u_sun[3]);
/* Density in kg/m^3 at ECI position r_eci_m and time t_s; h_m is its geodetic altitude (pass it in so
   callers that already know it do not convert twice). */
fb_status fb_atm_density(const fb_atm_model *m, double t_s, const double r_eci_m[3], double h_m,
                         double *rho_kg_m3);
/* Batch versions over n points (t_s and h_m of length n, r_eci_m and u_sun n x 3, row-major); the first
   failing point's status is returned. */
fb_status fb_atm_density_n(const fb_atm_model *m, int n, const double *t_s, const double *r_eci_m,
                           const double *h_m, double *rho_kg_m3);
fb_status fb_atm_sun_eci_n(int n, const double *t_s, double *u_sun);
/* FB_CDEF_END */

#endif
