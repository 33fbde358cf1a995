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
 * Altitude is geodetic (WGS-84).
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
/* FB_CDEF_END */

#endif
