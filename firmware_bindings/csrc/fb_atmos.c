/*
 * fb_atmos.c - atmospheric density: Vallado's exponential table and Harris-Priester with the diurnal bulge.
 *
 * Both tables are constant data copied from the shared references (atmosphere_vallado_exponential.csv,
 * atmosphere_harris_priester.csv); at a table node each model returns the table's density exactly (times
 * the scale factor).
 */
#include "fb_atmos.h"

#include <math.h>
#include <stddef.h>

#include "fb_math.h"

#define FB_ATM_DEG (FB_PI / 180.0)
#define FB_ATM_HP_LAG_RAD (30.0 * FB_ATM_DEG)   /* bulge apex lags the Sun by 30 deg in right ascension */
#define FB_ATM_HP_RHO_UNIT 1.0e-12               /* table unit of Harris-Priester densities, kg/m^3 */
#define FB_ATM_H_MIN_M (-1.0e5)                  /* lowest altitude accepted */

/* Vallado (2013) table 8-4: base altitude h0 (km), base density rho0 (kg/m^3), scale height H (km). */
#define FB_ATM_EXP_N 28
static const double fb_atm_exp_table[FB_ATM_EXP_N][3] = {
    {0.0, 1.225, 7.249},
    {25.0, 3.899e-2, 6.349},
    {30.0, 1.774e-2, 6.682},
    {40.0, 3.972e-3, 7.554},
    {50.0, 1.057e-3, 8.382},
    {60.0, 3.206e-4, 7.714},
    {70.0, 8.770e-5, 6.549},
    {80.0, 1.905e-5, 5.799},
    {90.0, 3.396e-6, 5.382},
    {100.0, 5.297e-7, 5.877},
    {110.0, 9.661e-8, 7.263},
    {120.0, 2.438e-8, 9.473},
    {130.0, 8.484e-9, 12.636},
    {140.0, 3.845e-9, 16.149},
    {150.0, 2.070e-9, 22.523},
    {180.0, 5.464e-10, 29.740},
    {200.0, 2.789e-10, 37.105},
    {250.0, 7.248e-11, 45.546},
    {300.0, 2.418e-11, 53.628},
    {350.0, 9.518e-12, 53.298},
    {400.0, 3.725e-12, 58.515},
    {450.0, 1.585e-12, 60.828},
    {500.0, 6.967e-13, 63.822},
    {600.0, 1.454e-13, 71.835},
    {700.0, 3.614e-14, 88.667},
    {800.0, 1.170e-14, 124.64},
    {900.0, 5.245e-15, 181.05},
    {1000.0, 3.019e-15, 268.00},
};

/* Montenbruck and Gill (2000) table 3.8: h (km), rho_min and rho_max (1e-12 kg/m^3). */
#define FB_ATM_HP_N 28
static const double fb_atm_hp_table[FB_ATM_HP_N][3] = {
    {100.0, 497400, 497400},
    {120.0, 24900, 24900},
    {130.0, 8377, 8710},
    {140.0, 3899, 4059},
    {150.0, 2122, 2215},
    {160.0, 1263, 1344},
    {170.0, 800.8, 875.8},
    {180.0, 528.3, 601.0},
    {190.0, 361.7, 429.7},
    {200.0, 255.7, 316.2},
    {210.0, 183.9, 239.6},
    {220.0, 134.1, 185.3},
    {230.0, 99.49, 145.5},
    {240.0, 74.88, 115.7},
    {250.0, 57.09, 93.08},
    {260.0, 44.03, 75.55},
    {270.0, 34.30, 61.82},
    {280.0, 26.97, 50.95},
    {290.0, 21.39, 42.26},
    {300.0, 17.08, 35.26},
    {320.0, 10.99, 25.11},
    {340.0, 7.214, 18.19},
    {360.0, 4.824, 13.37},
    {380.0, 3.274, 9.955},
    {400.0, 2.249, 7.492},
    {420.0, 1.558, 5.684},
    {440.0, 1.091, 4.355},
    {460.0, 0.7701, 3.362},
};

/* Index of the band of a table whose first column (altitudes, increasing) holds h_km: the last row with
   h0 <= h_km, 0 below the first row. */
static int fb_atm_band(const double (*table)[3], int n, double h_km)
{
    int lo = 0, hi = n - 1;
    if (h_km < table[0][0]) {
        return 0;
    }
    /* bisection, at most log2(n) + 1 steps: invariant table[lo][0] <= h_km, and h_km < table[hi][0]
       unless hi is the last row */
    if (h_km >= table[hi][0]) {
        return hi;
    }
    while (hi - lo > 1) {
        int mid = lo + (hi - lo) / 2;
        if (table[mid][0] <= h_km) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    return lo;
}

/* Vallado exponential density (kg/m^3, unscaled) at geodetic altitude h_km. */
static double fb_atm_exponential(double h_km)
{
    int i = fb_atm_band(fb_atm_exp_table, FB_ATM_EXP_N, h_km);
    return fb_atm_exp_table[i][1] * exp(-(h_km - fb_atm_exp_table[i][0]) / fb_atm_exp_table[i][2]);
}

/* Harris-Priester minimum and maximum densities (kg/m^3) at h_km >= the table's first node, interpolated
   exponentially between nodes; above the top node the top band's scale heights continue. */
static void fb_atm_hp_minmax(double h_km, double *rho_min, double *rho_max)
{
    int i = fb_atm_band(fb_atm_hp_table, FB_ATM_HP_N, h_km);
    double h0, dh, f;
    if (i > FB_ATM_HP_N - 2) {
        i = FB_ATM_HP_N - 2;
    }
    h0 = fb_atm_hp_table[i][0];
    dh = fb_atm_hp_table[i + 1][0] - h0;
    f = (h_km - h0) / dh;
    /* rho_i (rho_{i+1} / rho_i)^f: the exponential through both nodes, exact at f = 0 */
    *rho_min = FB_ATM_HP_RHO_UNIT * fb_atm_hp_table[i][1] *
               exp(f * log(fb_atm_hp_table[i + 1][1] / fb_atm_hp_table[i][1]));
    *rho_max = FB_ATM_HP_RHO_UNIT * fb_atm_hp_table[i][2] *
               exp(f * log(fb_atm_hp_table[i + 1][2] / fb_atm_hp_table[i][2]));
}

/*
 * Low-precision Sun direction: the Astronomical Almanac's formula as given by Vallado (2013), algorithm 29:
 * mean longitude and mean anomaly linear in T (Julian centuries from J2000), ecliptic longitude with two
 * equation-of-centre terms, mean obliquity linear in T. About 0.01 deg from 1950 to 2050; T is taken in
 * UTC rather than TDB (about 1 minute, 7e-4 deg).
 */
fb_status fb_atm_sun_eci(double t_s, double u_sun[3])
{
    double tc, lam_m, m_anom, lam, eps;
    if (u_sun == NULL) {
        return FB_E_NULL;
    }
    if (!isfinite(t_s)) {
        return FB_E_NONFINITE;
    }
    if (fabs(t_s) > 1.0e10) {
        return FB_E_RANGE;
    }
    tc = t_s / (36525.0 * 86400.0);
    lam_m = fmod(280.460 + 36000.771 * tc, 360.0);
    m_anom = fmod(357.5291092 + 35999.05034 * tc, 360.0) * FB_ATM_DEG;
    lam = (lam_m + 1.914666471 * sin(m_anom) + 0.019994643 * sin(2.0 * m_anom)) * FB_ATM_DEG;
    eps = (23.439291 - 0.0130042 * tc) * FB_ATM_DEG;
    u_sun[0] = cos(lam);
    u_sun[1] = cos(eps) * sin(lam);
    u_sun[2] = sin(eps) * sin(lam);
    return FB_OK;
}

/* Harris-Priester density (kg/m^3, unscaled) at h_km >= 100 for position r_eci_m (non-zero) at t_s. */
static fb_status fb_atm_harris_priester(int n_exp, double t_s, const double r_eci_m[3], double h_km,
                                        double *rho)
{
    double u_sun[3], apex[3], rmin, rmax, cos_psi, c, s;
    fb_status st = fb_atm_sun_eci(t_s, u_sun);
    if (st != FB_OK) {
        return st;
    }
    c = cos(FB_ATM_HP_LAG_RAD);
    s = sin(FB_ATM_HP_LAG_RAD);
    /* the apex: the Sun's direction turned by +30 deg about the z axis (right ascension + 30 deg) */
    apex[0] = c * u_sun[0] - s * u_sun[1];
    apex[1] = s * u_sun[0] + c * u_sun[1];
    apex[2] = u_sun[2];
    cos_psi = fb_clamp(fb_dot3(r_eci_m, apex) / fb_norm3(r_eci_m), -1.0, 1.0);
    fb_atm_hp_minmax(h_km, &rmin, &rmax);
    /* cos^n(psi / 2) = ((1 + cos psi) / 2)^(n / 2) */
    *rho = rmin + (rmax - rmin) * pow(0.5 * (1.0 + cos_psi), 0.5 * (double)n_exp);
    return FB_OK;
}

fb_status fb_atm_density(const fb_atm_model *m, double t_s, const double r_eci_m[3], double h_m,
                         double *rho_kg_m3)
{
    double h_km, rho;
    if (m == NULL || r_eci_m == NULL || rho_kg_m3 == NULL) {
        return FB_E_NULL;
    }
    if (!isfinite(t_s) || !fb_isfinite3(r_eci_m) || !isfinite(h_m) || !isfinite(m->scale)) {
        return FB_E_NONFINITE;
    }
    /* below -100 km the first band's density is meaningless (1e6 kg/m^3) and soon overflows */
    if (!(m->scale > 0.0) || h_m < FB_ATM_H_MIN_M) {
        return FB_E_RANGE;
    }
    h_km = h_m / 1000.0;
    if (m->kind == FB_ATM_EXPONENTIAL) {
        rho = fb_atm_exponential(h_km);
    } else if (m->kind == FB_ATM_HARRIS_PRIESTER) {
        fb_status st;
        double h_base = fb_atm_hp_table[0][0];
        if (m->hp_n < 2 || m->hp_n > 6) {
            return FB_E_RANGE;
        }
        if (!(fb_norm3(r_eci_m) > 0.0)) {
            return FB_E_DEGENERATE;
        }
        if (fabs(t_s) > 1.0e10) {
            return FB_E_RANGE;
        }
        if (h_km >= h_base) {
            st = fb_atm_harris_priester(m->hp_n, t_s, r_eci_m, h_km, &rho);
            if (st != FB_OK) {
                return st;
            }
        } else {
            /* hand-over: the exponential table scaled so that its band below the node meets
               Harris-Priester's density there (the bulge has no effect at the node, rho_min = rho_max) */
            int i = fb_atm_band(fb_atm_exp_table, FB_ATM_EXP_N, h_base - 1.0e-9);
            double left = fb_atm_exp_table[i][1] * exp(-(h_base - fb_atm_exp_table[i][0]) /
                                                       fb_atm_exp_table[i][2]);
            double rmin, rmax;
            fb_atm_hp_minmax(h_base, &rmin, &rmax);
            rho = fb_atm_exponential(h_km) * (rmin / left);
        }
    } else {
        return FB_E_RANGE;
    }
    rho *= m->scale;
    if (!isfinite(rho)) {
        return FB_E_RANGE; /* an enormous scale factor overflowed */
    }
    *rho_kg_m3 = rho;
    return FB_OK;
}

fb_status fb_atm_density_n(const fb_atm_model *m, int n, const double *t_s, const double *r_eci_m,
                           const double *h_m, double *rho_kg_m3)
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
    if (t_s == NULL || r_eci_m == NULL || h_m == NULL || rho_kg_m3 == NULL) {
        return FB_E_NULL;
    }
    for (i = 0; i < n; ++i) {
        fb_status st = fb_atm_density(m, t_s[i], &r_eci_m[3 * i], h_m[i], &rho_kg_m3[i]);
        if (st != FB_OK) {
            return st;
        }
    }
    return FB_OK;
}

fb_status fb_atm_sun_eci_n(int n, const double *t_s, double *u_sun)
{
    int i;
    if (n < 0) {
        return FB_E_RANGE;
    }
    if (n == 0) {
        return FB_OK;
    }
    if (t_s == NULL || u_sun == NULL) {
        return FB_E_NULL;
    }
    for (i = 0; i < n; ++i) {
        fb_status st = fb_atm_sun_eci(t_s[i], &u_sun[3 * i]);
        if (st != FB_OK) {
            return st;
        }
    }
    return FB_OK;
}
