/*
 * fb_orbit.c - force model, propagation and orbital elements (see fb_orbit.h).
 */
#include "fb_orbit.h"

#include <math.h>
#include <stddef.h>

#include "fb_frames.h"
#include "fb_math.h"

#define ORBIT_G0_MPS2 9.80665
#define ORBIT_WGS84_A_M 6378137.0
#define ORBIT_WGS84_F (1.0 / 298.257223563)
#define ORBIT_MIN_RADIUS_M 50000.0
#define ORBIT_MAX_SEGMENTS 3

fb_status fb_orbit_default_model(fb_force_model *m)
{
    fb_status st;
    if (m == NULL) {
        return FB_E_NULL;
    }
    if ((st = fb_grav_default(&m->grav)) != FB_OK) {
        return st;
    }
    m->atm.kind = FB_ATM_EXPONENTIAL;
    m->atm.scale = 1.0;
    m->atm.hp_n = 3;
    m->omega_earth_rad_s = 7.292115e-5;
    m->drag_on = 1;
    m->cd = 2.2;
    m->area_m2 = 2500.0;
    m->burn_start_s = 0.0;
    m->burn_duration_s = 0.0;
    m->thrust_n = 12000.0;
    m->isp_s = 300.0;
    m->thrust_law = FB_THRUST_RETRO_INERTIAL;
    m->dry_mass_kg = 0.0;
    return FB_OK;
}

fb_status fb_orbit_default_tol(fb_orbit_tol *tol)
{
    if (tol == NULL) {
        return FB_E_NULL;
    }
    tol->rtol = 1e-10;
    tol->atol_r_m = 1e-4;
    tol->atol_v_mps = 1e-7;
    tol->atol_m_kg = 1e-6;
    tol->h_max_s = 600.0;
    tol->max_steps = 200000;
    tol->event_tol_s = 1e-5;
    return FB_OK;
}

fb_status fb_orbit_check_model(const fb_force_model *m)
{
    const double v[] = {m->grav.gm_m3_s2, m->grav.re_m, m->grav.j2, m->grav.j3, m->grav.j4,
                        m->atm.scale, m->omega_earth_rad_s, m->cd, m->area_m2, m->burn_start_s,
                        m->burn_duration_s, m->thrust_n, m->isp_s, m->dry_mass_kg};
    if (!fb_isfinite_n(v, (int)(sizeof v / sizeof v[0]))) {
        return FB_E_NONFINITE;
    }
    if (!(m->grav.gm_m3_s2 > 0.0) || !(m->grav.re_m > 0.0) || m->atm.scale < 0.0 ||
        (m->atm.kind != FB_ATM_EXPONENTIAL && m->atm.kind != FB_ATM_HARRIS_PRIESTER) ||
        fabs(m->omega_earth_rad_s) > 1e-3 || m->cd < 0.0 || m->area_m2 < 0.0 || m->burn_duration_s < 0.0 ||
        m->burn_duration_s > 1e7 || m->dry_mass_kg < 0.0 ||
        (m->thrust_law != FB_THRUST_RETRO_INERTIAL && m->thrust_law != FB_THRUST_RETRO_RELATIVE)) {
        return FB_E_RANGE;
    }
    if (m->atm.kind == FB_ATM_HARRIS_PRIESTER && (m->atm.hp_n < 2 || m->atm.hp_n > 6)) {
        return FB_E_RANGE;
    }
    if (m->burn_duration_s > 0.0 && (!(m->thrust_n > 0.0) || !(m->isp_s > 0.0))) {
        return FB_E_RANGE;
    }
    return FB_OK;
}

/* Height above the WGS-84 ellipsoid along the geocentric radius (see fb_orbit.h). */
static double radial_altitude_rn(const double r[3], double rn)
{
    const double a = ORBIT_WGS84_A_M, b = ORBIT_WGS84_A_M * (1.0 - ORBIT_WGS84_F);
    double s = r[2] / rn;
    double c2 = 1.0 - s * s;
    return rn - a * b / sqrt(b * b * c2 + a * a * s * s);
}

double fb_orbit_radial_altitude_m(const double r[3])
{
    return radial_altitude_rn(r, fb_norm3(r));
}

static fb_status deriv_impl(const fb_force_model *m, int thrust_on, double t_s, const double *y, double *dydt)
{
    const double *r = y, *v = y + 3;
    double mass = y[6], a_g[3], rn;
    fb_status st;
    rn = fb_norm3(r);
    if (!(rn > ORBIT_MIN_RADIUS_M) || !(mass > 0.0)) {
        return FB_E_RANGE;
    }
    if ((st = fb_grav_accel(&m->grav, r, a_g)) != FB_OK) {
        return st;
    }
    dydt[0] = v[0];
    dydt[1] = v[1];
    dydt[2] = v[2];
    dydt[3] = a_g[0];
    dydt[4] = a_g[1];
    dydt[5] = a_g[2];
    dydt[6] = 0.0;
    if ((m->drag_on && m->cd > 0.0 && m->area_m2 > 0.0 && m->atm.scale > 0.0) || thrust_on) {
        double w = m->omega_earth_rad_s;
        double v_rel[3], vr;
        v_rel[0] = v[0] + w * r[1];
        v_rel[1] = v[1] - w * r[0];
        v_rel[2] = v[2];
        vr = fb_norm3(v_rel);
        if (m->drag_on && m->cd > 0.0 && m->area_m2 > 0.0 && m->atm.scale > 0.0) {
            double rho, k;
            if ((st = fb_atm_density(&m->atm, t_s, r, radial_altitude_rn(r, rn), &rho)) != FB_OK) {
                return st;
            }
            k = -0.5 * rho * m->cd * m->area_m2 / mass * vr;
            fb_axpy3(dydt + 3, k, v_rel, dydt + 3);
        }
        if (thrust_on) {
            const double *dir = m->thrust_law == FB_THRUST_RETRO_RELATIVE ? v_rel : v;
            double dn = m->thrust_law == FB_THRUST_RETRO_RELATIVE ? vr : fb_norm3(v);
            if (!(dn > 0.0)) {
                return FB_E_DEGENERATE;
            }
            fb_axpy3(dydt + 3, -m->thrust_n / (mass * dn), dir, dydt + 3);
            dydt[6] = -m->thrust_n / (m->isp_s * ORBIT_G0_MPS2);
        }
    }
    return FB_OK;
}

fb_status fb_orbit_deriv_fast(const fb_force_model *m, int thrust_on, double t_s, const double *y, double *dydt)
{
    return deriv_impl(m, thrust_on, t_s, y, dydt);
}

static int burning_at(const fb_force_model *m, double t_s)
{
    return m->burn_duration_s > 0.0 && t_s >= m->burn_start_s && t_s < m->burn_start_s + m->burn_duration_s;
}

fb_status fb_orbit_deriv(const fb_force_model *m, double t_s, const double y[7], double dydt[7])
{
    fb_status st;
    if (m == NULL || y == NULL || dydt == NULL) {
        return FB_E_NULL;
    }
    if ((st = fb_orbit_check_model(m)) != FB_OK) {
        return st;
    }
    if (!isfinite(t_s) || !fb_isfinite_n(y, FB_ORBIT_NSTATE)) {
        return FB_E_NONFINITE;
    }
    return deriv_impl(m, burning_at(m, t_s), t_s, y, dydt);
}

typedef struct {
    const fb_force_model *m;
    int thrust_on;     /* fixed per segment in the adaptive propagator; from t in the RK4 propagator */
    int by_time;
    double h_target_m;
} orbit_ctx;

static fb_status ode_deriv(void *ctx, double t_s, const double *y, double *dydt)
{
    const orbit_ctx *c = (const orbit_ctx *)ctx;
    return deriv_impl(c->m, c->by_time ? burning_at(c->m, t_s) : c->thrust_on, t_s, y, dydt);
}

static fb_status ode_altitude_event(void *ctx, double t_s, const double *y, double *g)
{
    const orbit_ctx *c = (const orbit_ctx *)ctx;
    double h;
    fb_status st = fb_frame_altitude_m(t_s, y, &h);
    if (st != FB_OK) {
        return st;
    }
    *g = h - c->h_target_m;
    return FB_OK;
}

static fb_status check_tol(const fb_orbit_tol *tol)
{
    const double v[] = {tol->rtol, tol->atol_r_m, tol->atol_v_mps, tol->atol_m_kg, tol->h_max_s,
                        tol->event_tol_s};
    if (!fb_isfinite_n(v, 6)) {
        return FB_E_NONFINITE;
    }
    if (!(tol->rtol > 0.0) || tol->rtol > 1e-2 || tol->atol_r_m < 0.0 || tol->atol_v_mps < 0.0 ||
        tol->atol_m_kg < 0.0 || !(tol->h_max_s > 0.0) || tol->max_steps < 1 || tol->max_steps > 100000000 ||
        !(tol->event_tol_s > 0.0)) {
        return FB_E_RANGE;
    }
    return FB_OK;
}

static fb_status check_state(double t_s, const double y[7])
{
    if (!isfinite(t_s) || !fb_isfinite_n(y, FB_ORBIT_NSTATE)) {
        return FB_E_NONFINITE;
    }
    if (!(fb_norm3(y) > ORBIT_MIN_RADIUS_M) || !(y[6] > 0.0)) {
        return FB_E_RANGE;
    }
    return FB_OK;
}

/* Shared driver: propagate from t0 to t1 in segments split at ignition and cutoff, optionally stopping at
   an altitude event. */
static fb_status run(const fb_force_model *m, const fb_orbit_tol *tol, double t0_s, const double y0[7],
                     double t1_s, int use_event, double h_target_m, int direction, double *t_out,
                     double y_out[7], int *found)
{
    double cuts[ORBIT_MAX_SEGMENTS + 1];
    double y[FB_ORBIT_NSTATE];
    int n_cuts = 0, seg, i, budget;
    fb_ode_options opt;
    fb_ode_result res;
    orbit_ctx ctx;
    fb_status st;
    double t_end_burn = m->burn_start_s + m->burn_duration_s;

    cuts[n_cuts++] = t0_s;
    if (m->burn_duration_s > 0.0) {
        if (m->burn_start_s > t0_s && m->burn_start_s < t1_s) {
            cuts[n_cuts++] = m->burn_start_s;
        }
        if (t_end_burn > t0_s && t_end_burn < t1_s) {
            cuts[n_cuts++] = t_end_burn;
        }
    }
    cuts[n_cuts] = t1_s;

    fb_ode_default_options(&opt);
    opt.rtol = tol->rtol;
    for (i = 0; i < 3; ++i) {
        opt.atol[i] = tol->atol_r_m;
        opt.atol[3 + i] = tol->atol_v_mps;
    }
    opt.atol[6] = tol->atol_m_kg;
    opt.h_max_s = tol->h_max_s;
    opt.h_min_s = 0.0;
    opt.event_tol_s = tol->event_tol_s;
    ctx.m = m;
    ctx.by_time = 0;
    ctx.h_target_m = h_target_m;
    budget = tol->max_steps;
    for (i = 0; i < FB_ORBIT_NSTATE; ++i) {
        y[i] = y0[i];
    }
    *found = 0;
    for (seg = 0; seg < n_cuts; ++seg) {
        double ta = cuts[seg], tb = cuts[seg + 1];
        ctx.thrust_on = burning_at(m, 0.5 * (ta + tb)) && tb > ta;
        if (ctx.thrust_on) {
            double burn_left = fmin(tb, t_end_burn) - ta;
            double m_end = y[6] - m->thrust_n / (m->isp_s * ORBIT_G0_MPS2) * burn_left;
            if (!(m_end > m->dry_mass_kg) || !(m_end > 0.0)) {
                return FB_E_NO_SOLUTION;
            }
        }
        if (!(tb > ta)) {
            continue;
        }
        if (budget < 1) {
            return FB_E_MAX_STEPS;
        }
        opt.max_steps = budget;
        st = fb_ode_dp54(ode_deriv, &ctx, FB_ORBIT_NSTATE, ta, y, tb, &opt,
                         use_event ? ode_altitude_event : NULL, direction, &res);
        if (st != FB_OK) {
            return st;
        }
        budget -= res.n_accepted + res.n_rejected;
        opt.h_init_s = fmin(res.h_next_s, tol->h_max_s);
        for (i = 0; i < FB_ORBIT_NSTATE; ++i) {
            y[i] = res.y[i];
        }
        if (res.event_found) {
            *found = 1;
            *t_out = res.t_s;
            for (i = 0; i < FB_ORBIT_NSTATE; ++i) {
                y_out[i] = y[i];
            }
            return FB_OK;
        }
    }
    *t_out = t1_s;
    for (i = 0; i < FB_ORBIT_NSTATE; ++i) {
        y_out[i] = y[i];
    }
    return FB_OK;
}

fb_status fb_orbit_propagate(const fb_force_model *m, const fb_orbit_tol *tol, double t0_s, const double y0[7],
                             double t1_s, double y1[7])
{
    double t_out;
    int found;
    fb_status st;
    if (m == NULL || tol == NULL || y0 == NULL || y1 == NULL) {
        return FB_E_NULL;
    }
    if ((st = fb_orbit_check_model(m)) != FB_OK || (st = check_tol(tol)) != FB_OK ||
        (st = check_state(t0_s, y0)) != FB_OK) {
        return st;
    }
    if (!isfinite(t1_s)) {
        return FB_E_NONFINITE;
    }
    if (t1_s < t0_s) {
        return FB_E_RANGE;
    }
    return run(m, tol, t0_s, y0, t1_s, 0, 0.0, 0, &t_out, y1, &found);
}

fb_status fb_orbit_propagate_rk4(const fb_force_model *m, double t0_s, const double y0[7], double t1_s,
                                 int n_steps, double y1[7])
{
    orbit_ctx ctx;
    fb_status st;
    if (m == NULL || y0 == NULL || y1 == NULL) {
        return FB_E_NULL;
    }
    if ((st = fb_orbit_check_model(m)) != FB_OK || (st = check_state(t0_s, y0)) != FB_OK) {
        return st;
    }
    if (m->burn_duration_s > 0.0) {
        double t_a = fmax(t0_s, m->burn_start_s), t_b = fmin(t1_s, m->burn_start_s + m->burn_duration_s);
        if (t_b > t_a && !(y0[6] - m->thrust_n / (m->isp_s * ORBIT_G0_MPS2) * (t_b - t_a) > m->dry_mass_kg)) {
            return FB_E_NO_SOLUTION;
        }
    }
    ctx.m = m;
    ctx.by_time = 1;
    ctx.thrust_on = 0;
    ctx.h_target_m = 0.0;
    return fb_ode_rk4(ode_deriv, &ctx, FB_ORBIT_NSTATE, t0_s, y0, t1_s, n_steps, y1);
}

fb_status fb_orbit_propagate_to_altitude(const fb_force_model *m, const fb_orbit_tol *tol, double t0_s,
                                         const double y0[7], double t_max_s, double h_target_m, int direction,
                                         double *t_event_s, double y_event[7], int *found)
{
    fb_status st;
    if (m == NULL || tol == NULL || y0 == NULL || t_event_s == NULL || y_event == NULL || found == NULL) {
        return FB_E_NULL;
    }
    if ((st = fb_orbit_check_model(m)) != FB_OK || (st = check_tol(tol)) != FB_OK ||
        (st = check_state(t0_s, y0)) != FB_OK) {
        return st;
    }
    if (!isfinite(t_max_s) || !isfinite(h_target_m)) {
        return FB_E_NONFINITE;
    }
    if (t_max_s < t0_s || direction < -1 || direction > 1 || h_target_m < -1000.0 || h_target_m > 2e6) {
        return FB_E_RANGE;
    }
    return run(m, tol, t0_s, y0, t_max_s, 1, h_target_m, direction, t_event_s, y_event, found);
}

static double wrap_2pi(double x)
{
    double w = fmod(x, FB_TWO_PI);
    return w < 0.0 ? w + FB_TWO_PI : w;
}

fb_status fb_orbit_elements_from_state(double gm_m3_s2, const double r_eci_m[3], const double v_eci_mps[3],
                                       double elements[6])
{
    double h[3], nvec[3], evec[3], rv, rn, vn, hn, nn, en, energy, a, inc, raan, argp, nu, tmp[3];
    int i;
    if (r_eci_m == NULL || v_eci_mps == NULL || elements == NULL) {
        return FB_E_NULL;
    }
    if (!isfinite(gm_m3_s2) || !fb_isfinite3(r_eci_m) || !fb_isfinite3(v_eci_mps)) {
        return FB_E_NONFINITE;
    }
    rn = fb_norm3(r_eci_m);
    vn = fb_norm3(v_eci_mps);
    if (!(gm_m3_s2 > 0.0) || !(rn > 0.0)) {
        return FB_E_RANGE;
    }
    fb_cross3(r_eci_m, v_eci_mps, h);
    hn = fb_norm3(h);
    if (!(hn > 1e-9 * rn * fmax(vn, 1e-300))) {
        return FB_E_DEGENERATE;
    }
    energy = 0.5 * vn * vn - gm_m3_s2 / rn;
    if (!(energy < 0.0)) {
        return FB_E_RANGE; /* parabolic or hyperbolic */
    }
    a = -gm_m3_s2 / (2.0 * energy);
    rv = fb_dot3(r_eci_m, v_eci_mps);
    for (i = 0; i < 3; ++i) {
        evec[i] = ((vn * vn - gm_m3_s2 / rn) * r_eci_m[i] - rv * v_eci_mps[i]) / gm_m3_s2;
    }
    en = fb_norm3(evec);
    if (!(en < 1.0)) {
        return FB_E_RANGE; /* rounding can leave a nearly rectilinear ellipse at e = 1 */
    }
    inc = acos(fb_clamp(h[2] / hn, -1.0, 1.0));
    nvec[0] = -h[1];
    nvec[1] = h[0];
    nvec[2] = 0.0;
    nn = fb_norm3(nvec);
    if (nn > 1e-11 * hn) {
        raan = wrap_2pi(atan2(nvec[1], nvec[0]));
    } else {
        /* equatorial: node undefined, measure from +x */
        raan = 0.0;
        nvec[0] = 1.0;
        nvec[1] = 0.0;
        nn = 1.0;
    }
    if (en > 1e-11) {
        /* angle from the node line to the eccentricity vector, in the orbit plane (sign from h) */
        fb_cross3(nvec, evec, tmp);
        argp = wrap_2pi(atan2(fb_dot3(tmp, h) / hn, fb_dot3(nvec, evec)));
        fb_cross3(evec, r_eci_m, tmp);
        nu = wrap_2pi(atan2(fb_dot3(tmp, h) / hn, fb_dot3(evec, r_eci_m)));
    } else {
        argp = 0.0;
        fb_cross3(nvec, r_eci_m, tmp);
        nu = wrap_2pi(atan2(fb_dot3(tmp, h) / hn, fb_dot3(nvec, r_eci_m)));
        en = 0.0;
    }
    elements[0] = a;
    elements[1] = en;
    elements[2] = inc;
    elements[3] = raan;
    elements[4] = argp;
    elements[5] = nu;
    return FB_OK;
}

fb_status fb_orbit_state_from_elements(double gm_m3_s2, const double elements[6], double r_eci_m[3],
                                       double v_eci_mps[3])
{
    double a, e, inc, raan, argp, nu, p, r, cu, su, co, so, ci, si, rp[3], vp[3], sqrt_gm_p;
    double px[3], qx[3];
    int i;
    if (elements == NULL || r_eci_m == NULL || v_eci_mps == NULL) {
        return FB_E_NULL;
    }
    if (!isfinite(gm_m3_s2) || !fb_isfinite_n(elements, 6)) {
        return FB_E_NONFINITE;
    }
    a = elements[0];
    e = elements[1];
    inc = elements[2];
    raan = elements[3];
    argp = elements[4];
    nu = elements[5];
    if (!(gm_m3_s2 > 0.0) || !(a > 0.0) || e < 0.0 || !(e < 1.0) || inc < 0.0 || inc > FB_PI) {
        return FB_E_RANGE;
    }
    p = a * (1.0 - e * e);
    r = p / (1.0 + e * cos(nu));
    sqrt_gm_p = sqrt(gm_m3_s2 / p);
    /* perifocal position and velocity */
    rp[0] = r * cos(nu);
    rp[1] = r * sin(nu);
    vp[0] = -sqrt_gm_p * sin(nu);
    vp[1] = sqrt_gm_p * (e + cos(nu));
    co = cos(raan);
    so = sin(raan);
    cu = cos(argp);
    su = sin(argp);
    ci = cos(inc);
    si = sin(inc);
    /* P and Q axes of the perifocal frame in ECI */
    px[0] = co * cu - so * su * ci;
    px[1] = so * cu + co * su * ci;
    px[2] = su * si;
    qx[0] = -co * su - so * cu * ci;
    qx[1] = -so * su + co * cu * ci;
    qx[2] = cu * si;
    for (i = 0; i < 3; ++i) {
        r_eci_m[i] = rp[0] * px[i] + rp[1] * qx[i];
        v_eci_mps[i] = vp[0] * px[i] + vp[1] * qx[i];
    }
    return FB_OK;
}

fb_status fb_orbit_apsis_altitudes(double gm_m3_s2, double re_m, const double r_eci_m[3],
                                   const double v_eci_mps[3], double *hp_m, double *ha_m)
{
    double el[6];
    fb_status st;
    if (hp_m == NULL || ha_m == NULL) {
        return FB_E_NULL;
    }
    if (!isfinite(re_m)) {
        return FB_E_NONFINITE;
    }
    if ((st = fb_orbit_elements_from_state(gm_m3_s2, r_eci_m, v_eci_mps, el)) != FB_OK) {
        return st;
    }
    *hp_m = el[0] * (1.0 - el[1]) - re_m;
    *ha_m = el[0] * (1.0 + el[1]) - re_m;
    return FB_OK;
}

fb_status fb_orbit_flight_path_angle(const double r_eci_m[3], const double v_eci_mps[3], double *fpa_rad)
{
    double rn, vn;
    if (r_eci_m == NULL || v_eci_mps == NULL || fpa_rad == NULL) {
        return FB_E_NULL;
    }
    if (!fb_isfinite3(r_eci_m) || !fb_isfinite3(v_eci_mps)) {
        return FB_E_NONFINITE;
    }
    rn = fb_norm3(r_eci_m);
    vn = fb_norm3(v_eci_mps);
    if (!(rn > 0.0) || !(vn > 0.0)) {
        return FB_E_DEGENERATE;
    }
    *fpa_rad = asin(fb_clamp(fb_dot3(r_eci_m, v_eci_mps) / (rn * vn), -1.0, 1.0));
    return FB_OK;
}
