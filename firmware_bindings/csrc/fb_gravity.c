/*
 * fb_gravity.c - point mass plus zonal harmonics J2..J4.
 *
 * The potential is U = GM/r [1 - sum_n Jn (Re/r)^n Pn(u)], u = z/r, with Pn the Legendre polynomials.
 * Its gradient, term by term, is
 *   a_n = GM Jn Re^n / r^(n+2) [((n+1) Pn(u) + u Pn'(u)) r_hat - Pn'(u) z_hat],
 * which is what is evaluated here (no singularity on the polar axis).
 */
#include "fb_gravity.h"

#include <math.h>
#include <stddef.h>

#include "fb_math.h"

/* Positions closer to the centre than this are rejected: the harmonic series is meaningless there. */
#define FB_GRAV_R_MIN_M 1.0e6

fb_status fb_grav_default(fb_grav_model *m)
{
    if (m == NULL) {
        return FB_E_NULL;
    }
    /* shared reference earth_constants.json: WGS-84 GM and a; EGM96 unnormalised J2, J3, J4 */
    m->gm_m3_s2 = 3.986004418e14;
    m->re_m = 6378137.0;
    m->j2 = 1.0826266835531513e-3;
    m->j3 = -2.53265648533e-6;
    m->j4 = -1.61962159137e-6;
    return FB_OK;
}

static int fb_grav_model_ok(const fb_grav_model *m)
{
    return isfinite(m->gm_m3_s2) && m->gm_m3_s2 > 0.0 && isfinite(m->re_m) && m->re_m > 0.0 &&
           isfinite(m->j2) && isfinite(m->j3) && isfinite(m->j4);
}

static void fb_grav_eval(const fb_grav_model *m, const double r_m[3], double a_mps2[3])
{
    double r = fb_norm3(r_m);
    double u = r_m[2] / r;
    double u2 = u * u;
    double q = m->re_m / r;
    double gm_r2 = m->gm_m3_s2 / (r * r);
    /* Legendre polynomials and derivatives at u */
    double p2 = 0.5 * (3.0 * u2 - 1.0), dp2 = 3.0 * u;
    double p3 = 0.5 * u * (5.0 * u2 - 3.0), dp3 = 1.5 * (5.0 * u2 - 1.0);
    double p4 = 0.125 * (35.0 * u2 * u2 - 30.0 * u2 + 3.0), dp4 = 2.5 * u * (7.0 * u2 - 3.0);
    double q2 = q * q, q3 = q2 * q, q4 = q3 * q;
    /* coefficients of r_hat and z_hat, in units of GM / r^2 */
    double c_r = -1.0 + m->j2 * q2 * (3.0 * p2 + u * dp2) + m->j3 * q3 * (4.0 * p3 + u * dp3) +
                 m->j4 * q4 * (5.0 * p4 + u * dp4);
    double c_z = -(m->j2 * q2 * dp2 + m->j3 * q3 * dp3 + m->j4 * q4 * dp4);
    double k = gm_r2 * c_r / r;
    a_mps2[0] = k * r_m[0];
    a_mps2[1] = k * r_m[1];
    a_mps2[2] = k * r_m[2] + gm_r2 * c_z;
}

fb_status fb_grav_accel(const fb_grav_model *m, const double r_m[3], double a_mps2[3])
{
    double a[3];
    if (m == NULL || r_m == NULL || a_mps2 == NULL) {
        return FB_E_NULL;
    }
    if (!fb_isfinite3(r_m)) {
        return FB_E_NONFINITE;
    }
    if (!fb_grav_model_ok(m)) {
        return FB_E_RANGE;
    }
    if (!(fb_norm3(r_m) >= FB_GRAV_R_MIN_M)) {
        return FB_E_RANGE;
    }
    fb_grav_eval(m, r_m, a);
    if (!fb_isfinite3(a)) {
        return FB_E_RANGE; /* overflow: a position or model near the limits of a double */
    }
    fb_copy3(a, a_mps2);
    return FB_OK;
}

fb_status fb_grav_accel_n(const fb_grav_model *m, int n, const double *r_m, double *a_mps2)
{
    int i;
    if (n < 0) {
        return FB_E_RANGE;
    }
    if (m == NULL) {
        return FB_E_NULL;
    }
    if (n == 0) {
        return FB_OK;
    }
    if (r_m == NULL || a_mps2 == NULL) {
        return FB_E_NULL;
    }
    for (i = 0; i < n; ++i) {
        fb_status st = fb_grav_accel(m, &r_m[3 * i], &a_mps2[3 * i]);
        if (st != FB_OK) {
            return st;
        }
    }
    return FB_OK;
}
