/*
 * fb_rigid.c - coupled 6-DOF rigid-body dynamics of the truth simulation (see fb_rigid.h).
 */
#include "fb_rigid.h"

#include <math.h>
#include <stddef.h>

#include "fb_frames.h"
#include "fb_math.h"

#define RB_MIN_RADIUS_M 50000.0      /* closer to the centre than this is not a trajectory */
#define RB_EVENT_TOL_S 1e-6          /* time tolerance of the altitude stop */
#define RB_BISECT_MAX 200            /* bound on the bisection of the altitude stop */

/* Inverse of a symmetric positive definite 3x3 matrix; 0 when it is not positive definite. */
static int rb_inverse_spd(const double a[9], double inv[9])
{
    double c00 = a[4] * a[8] - a[5] * a[7];
    double c01 = a[5] * a[6] - a[3] * a[8];
    double c02 = a[3] * a[7] - a[4] * a[6];
    double det = a[0] * c00 + a[1] * c01 + a[2] * c02;
    double m1 = a[0], m2 = a[0] * a[4] - a[1] * a[3];
    if (!(m1 > 0.0) || !(m2 > 0.0) || !(det > 0.0) || !isfinite(det)) {
        return 0;
    }
    inv[0] = c00 / det;
    inv[1] = (a[2] * a[7] - a[1] * a[8]) / det;
    inv[2] = (a[1] * a[5] - a[2] * a[4]) / det;
    inv[3] = c01 / det;
    inv[4] = (a[0] * a[8] - a[2] * a[6]) / det;
    inv[5] = (a[2] * a[3] - a[0] * a[5]) / det;
    inv[6] = c02 / det;
    inv[7] = (a[1] * a[6] - a[0] * a[7]) / det;
    inv[8] = (a[0] * a[4] - a[1] * a[3]) / det;
    return 1;
}

/* dcm_body_from_eci of a quaternion (normalised here). */
static int rb_dcm(const double q_in[4], double d[9])
{
    double n = sqrt(q_in[0] * q_in[0] + q_in[1] * q_in[1] + q_in[2] * q_in[2] + q_in[3] * q_in[3]);
    double w, x, y, z;
    if (!(n > 0.0)) {
        return 0;
    }
    w = q_in[0] / n;
    x = q_in[1] / n;
    y = q_in[2] / n;
    z = q_in[3] / n;
    d[0] = 1.0 - 2.0 * (y * y + z * z);
    d[1] = 2.0 * (x * y - w * z);
    d[2] = 2.0 * (x * z + w * y);
    d[3] = 2.0 * (x * y + w * z);
    d[4] = 1.0 - 2.0 * (x * x + z * z);
    d[5] = 2.0 * (y * z - w * x);
    d[6] = 2.0 * (x * z - w * y);
    d[7] = 2.0 * (y * z + w * x);
    d[8] = 1.0 - 2.0 * (x * x + y * y);
    return 1;
}

fb_status fb_rb_check_model(const fb_rb_model *m)
{
    double inv[9];
    int i, j;
    if (m == NULL) {
        return FB_E_NULL;
    }
    if (!isfinite(m->grav.gm_m3_s2) || !isfinite(m->grav.re_m) || !isfinite(m->grav.j2) ||
        !isfinite(m->grav.j3) || !isfinite(m->grav.j4) || !isfinite(m->atm.scale) ||
        !isfinite(m->omega_earth_rad_s) || !isfinite(m->cd) || !isfinite(m->area_m2) ||
        !fb_isfinite3(m->cop_body_m) || !fb_isfinite_n(m->inertia_kg_m2, 9)) {
        return FB_E_NONFINITE;
    }
    if (!(m->grav.gm_m3_s2 > 0.0) || !(m->grav.re_m > 0.0) || fabs(m->omega_earth_rad_s) > 1e-3 ||
        m->cd < 0.0 || m->area_m2 < 0.0 || m->atm.scale < 0.0) {
        return FB_E_RANGE;
    }
    for (i = 0; i < 3; ++i) {
        for (j = 0; j < i; ++j) {
            double a = m->inertia_kg_m2[3 * i + j], b = m->inertia_kg_m2[3 * j + i];
            if (fabs(a - b) > 1e-9 * (fabs(m->inertia_kg_m2[0]) + fabs(m->inertia_kg_m2[4]) +
                                      fabs(m->inertia_kg_m2[8]))) {
                return FB_E_RANGE;
            }
        }
    }
    if (!rb_inverse_spd(m->inertia_kg_m2, inv)) {
        return FB_E_RANGE;
    }
    return FB_OK;
}

static int rb_thrust_finite(const fb_rb_thrust *th)
{
    return fb_isfinite3(th->force_body_n) && fb_isfinite3(th->torque_body_nm) && isfinite(th->mdot_kg_s);
}

/* The derivative with the inverse inertia precomputed (no argument checks). */
static fb_status rb_deriv(const fb_rb_model *m, const double inv_i[9], const fb_rb_thrust *th, double t_s,
                          const double *y, double *dydt)
{
    const double *r = y, *v = y + 3, *q = y + 6, *w = y + 10;
    double mass = y[13], rn, a_g[3], d[9], a_ng_body[3], tau[3], iw[3], wxiw[3], tmp[3];
    fb_status st;
    int k;
    rn = fb_norm3(r);
    if (!(rn > RB_MIN_RADIUS_M) || !(mass > 0.0)) {
        return FB_E_RANGE;
    }
    if (!rb_dcm(q, d)) {
        return FB_E_RANGE;
    }
    if ((st = fb_grav_accel(&m->grav, r, a_g)) != FB_OK) {
        return st;
    }
    /* thrust: specific force in body axes, torque */
    fb_scale3(1.0 / mass, th->force_body_n, a_ng_body);
    fb_copy3(th->torque_body_nm, tau);
    /* drag and aerodynamic torque */
    if (m->drag_on && m->cd > 0.0 && m->area_m2 > 0.0 && m->atm.scale > 0.0) {
        double we = m->omega_earth_rad_s, v_rel[3], vr, h, rho, k_d, a_d[3], a_d_body[3], f_d_body[3];
        v_rel[0] = v[0] + we * r[1];
        v_rel[1] = v[1] - we * r[0];
        v_rel[2] = v[2];
        vr = fb_norm3(v_rel);
        if ((st = fb_frame_altitude_m(t_s, r, &h)) != FB_OK) {
            return st;
        }
        if ((st = fb_atm_density(&m->atm, t_s, r, h, &rho)) != FB_OK) {
            return st;
        }
        k_d = -0.5 * rho * m->cd * m->area_m2 / mass * vr;
        fb_scale3(k_d, v_rel, a_d);
        fb_mat3_mul_vec(d, a_d, a_d_body);
        fb_add3(a_ng_body, a_d_body, a_ng_body);
        fb_scale3(mass, a_d_body, f_d_body);
        fb_cross3(m->cop_body_m, f_d_body, tmp);
        fb_add3(tau, tmp, tau);
    }
    /* gravity-gradient torque */
    if (m->gravity_gradient_on) {
        double r_b[3], ir[3], c = 3.0 * m->grav.gm_m3_s2 / (rn * rn * rn * rn * rn);
        fb_mat3_mul_vec(d, r, r_b);
        fb_mat3_mul_vec(m->inertia_kg_m2, r_b, ir);
        fb_cross3(r_b, ir, tmp);
        fb_axpy3(tau, c, tmp, tau);
    }
    /* translation */
    dydt[0] = v[0];
    dydt[1] = v[1];
    dydt[2] = v[2];
    fb_mat3_tmul_vec(d, a_ng_body, tmp);
    dydt[3] = a_g[0] + tmp[0];
    dydt[4] = a_g[1] + tmp[1];
    dydt[5] = a_g[2] + tmp[2];
    /* attitude kinematics: q' = 1/2 [0, -w] (x) q */
    dydt[6] = 0.5 * (w[0] * q[1] + w[1] * q[2] + w[2] * q[3]);
    dydt[7] = 0.5 * (-w[0] * q[0] + w[2] * q[2] - w[1] * q[3]);
    dydt[8] = 0.5 * (-w[1] * q[0] - w[2] * q[1] + w[0] * q[3]);
    dydt[9] = 0.5 * (-w[2] * q[0] + w[1] * q[1] - w[0] * q[2]);
    /* Euler's equations */
    fb_mat3_mul_vec(m->inertia_kg_m2, w, iw);
    fb_cross3(w, iw, wxiw);
    fb_sub3(tau, wxiw, tmp);
    fb_mat3_mul_vec(inv_i, tmp, dydt + 10);
    dydt[13] = -th->mdot_kg_s;
    for (k = 0; k < 3; ++k) {
        dydt[14 + k] = w[k];
        dydt[17 + k] = a_ng_body[k];
    }
    return FB_OK;
}

fb_status fb_rb_deriv(const fb_rb_model *m, const fb_rb_thrust *th, double t_s, const double y[20],
                      double dydt[20])
{
    double inv[9];
    fb_status st;
    if (m == NULL || th == NULL || y == NULL || dydt == NULL) {
        return FB_E_NULL;
    }
    if ((st = fb_rb_check_model(m)) != FB_OK) {
        return st;
    }
    if (!isfinite(t_s) || !fb_isfinite_n(y, FB_RB_NSTATE) || !rb_thrust_finite(th)) {
        return FB_E_NONFINITE;
    }
    if (th->mdot_kg_s < 0.0) {
        return FB_E_RANGE;
    }
    rb_inverse_spd(m->inertia_kg_m2, inv);
    return rb_deriv(m, inv, th, t_s, y, dydt);
}

/* One RK4 step of length h from (t, y) into out (out may not alias y); quaternion renormalised. */
static fb_status rb_rk4_step(const fb_rb_model *m, const double inv[9], const fb_rb_thrust *th, double t,
                             const double *y, double h, double *out)
{
    double k1[FB_RB_NSTATE], k2[FB_RB_NSTATE], k3[FB_RB_NSTATE], k4[FB_RB_NSTATE], yt[FB_RB_NSTATE], qn;
    fb_status st;
    int i;
    if ((st = rb_deriv(m, inv, th, t, y, k1)) != FB_OK) {
        return st;
    }
    for (i = 0; i < FB_RB_NSTATE; ++i) {
        yt[i] = y[i] + 0.5 * h * k1[i];
    }
    if ((st = rb_deriv(m, inv, th, t + 0.5 * h, yt, k2)) != FB_OK) {
        return st;
    }
    for (i = 0; i < FB_RB_NSTATE; ++i) {
        yt[i] = y[i] + 0.5 * h * k2[i];
    }
    if ((st = rb_deriv(m, inv, th, t + 0.5 * h, yt, k3)) != FB_OK) {
        return st;
    }
    for (i = 0; i < FB_RB_NSTATE; ++i) {
        yt[i] = y[i] + h * k3[i];
    }
    if ((st = rb_deriv(m, inv, th, t + h, yt, k4)) != FB_OK) {
        return st;
    }
    for (i = 0; i < FB_RB_NSTATE; ++i) {
        out[i] = y[i] + h / 6.0 * (k1[i] + 2.0 * k2[i] + 2.0 * k3[i] + k4[i]);
    }
    qn = sqrt(out[6] * out[6] + out[7] * out[7] + out[8] * out[8] + out[9] * out[9]);
    if (!(qn > 0.0) || !fb_isfinite_n(out, FB_RB_NSTATE)) {
        return FB_E_NONFINITE;
    }
    for (i = 6; i < 10; ++i) {
        out[i] /= qn;
    }
    return FB_OK;
}

/* Integrate one constant-thrust span (arguments already checked; y1 may alias y0). */
static fb_status rb_integrate(const fb_rb_model *m, const double inv[9], const fb_rb_thrust *th, double t0_s,
                              const double *y0, double t1_s, double h_max_s, double h_stop_m, double *t_end_s,
                              double *y1, int *stopped)
{
    double y[FB_RB_NSTATE], yn[FB_RB_NSTATE], span, nd, h, t, alt;
    long n, k;
    int i, stop_on;
    fb_status st;
    span = t1_s - t0_s;
    nd = ceil(span / h_max_s);
    if (!(nd <= (double)FB_RB_MAX_STEPS)) {
        return FB_E_RANGE;
    }
    n = (long)nd;
    stop_on = isfinite(h_stop_m);
    for (i = 0; i < FB_RB_NSTATE; ++i) {
        y[i] = y0[i];
    }
    if (stop_on) {
        if ((st = fb_frame_altitude_m(t0_s, y, &alt)) != FB_OK) {
            return st;
        }
        if (alt < h_stop_m) {
            return FB_E_RANGE;
        }
    }
    *stopped = 0;
    t = t0_s;
    for (k = 0; k < n; ++k) {
        /* equal steps; the last one lands exactly on t1_s */
        double t_next = k + 1 == n ? t1_s : t0_s + span * (double)(k + 1) / (double)n;
        h = t_next - t;
        if ((st = rb_rk4_step(m, inv, th, t, y, h, yn)) != FB_OK) {
            return st;
        }
        if (stop_on) {
            if ((st = fb_frame_altitude_m(t_next, yn, &alt)) != FB_OK) {
                return st;
            }
            if (alt <= h_stop_m) {
                /* locate the crossing inside this step by bisection on the step length */
                double lo = 0.0, hi = h;
                int b;
                for (b = 0; b < RB_BISECT_MAX && hi - lo > RB_EVENT_TOL_S; ++b) {
                    double mid = 0.5 * (lo + hi), ym[FB_RB_NSTATE];
                    if ((st = rb_rk4_step(m, inv, th, t, y, mid, ym)) != FB_OK) {
                        return st;
                    }
                    if ((st = fb_frame_altitude_m(t + mid, ym, &alt)) != FB_OK) {
                        return st;
                    }
                    if (alt <= h_stop_m) {
                        hi = mid;
                    } else {
                        lo = mid;
                    }
                }
                if (hi < h) {
                    if ((st = rb_rk4_step(m, inv, th, t, y, hi, yn)) != FB_OK) {
                        return st;
                    }
                }
                for (i = 0; i < FB_RB_NSTATE; ++i) {
                    y1[i] = yn[i];
                }
                *t_end_s = t + hi;
                *stopped = 1;
                return FB_OK;
            }
        }
        for (i = 0; i < FB_RB_NSTATE; ++i) {
            y[i] = yn[i];
        }
        t = t_next;
    }
    for (i = 0; i < FB_RB_NSTATE; ++i) {
        y1[i] = y[i];
    }
    *t_end_s = t1_s;
    return FB_OK;
}

fb_status fb_rb_propagate(const fb_rb_model *m, const fb_rb_thrust *th, double t0_s, const double y0[20],
                          double t1_s, double h_max_s, double h_stop_m, double *t_end_s, double y1[20],
                          int *stopped)
{
    double inv[9];
    fb_status st;
    if (m == NULL || th == NULL || y0 == NULL || y1 == NULL || t_end_s == NULL || stopped == NULL) {
        return FB_E_NULL;
    }
    if ((st = fb_rb_check_model(m)) != FB_OK) {
        return st;
    }
    if (!isfinite(t0_s) || !isfinite(t1_s) || !isfinite(h_max_s) || isnan(h_stop_m) ||
        !fb_isfinite_n(y0, FB_RB_NSTATE) || !rb_thrust_finite(th)) {
        return FB_E_NONFINITE;
    }
    if (!(h_max_s > 0.0) || !(t1_s >= t0_s) || th->mdot_kg_s < 0.0) {
        return FB_E_RANGE;
    }
    rb_inverse_spd(m->inertia_kg_m2, inv);
    return rb_integrate(m, inv, th, t0_s, y0, t1_s, h_max_s, h_stop_m, t_end_s, y1, stopped);
}

fb_status fb_rb_check_thrusters(const fb_rb_thruster_set *ts)
{
    int i;
    if (ts == NULL) {
        return FB_E_NULL;
    }
    if (ts->n < 0 || ts->n > FB_RB_MAX_THRUSTERS) {
        return FB_E_RANGE;
    }
    for (i = 0; i < ts->n; ++i) {
        if (!fb_isfinite3(ts->force_body_n[i]) || !fb_isfinite3(ts->torque_body_nm[i]) ||
            !isfinite(ts->mdot_kg_s[i])) {
            return FB_E_NONFINITE;
        }
        if (ts->mdot_kg_s[i] < 0.0) {
            return FB_E_RANGE;
        }
    }
    return FB_OK;
}

fb_status fb_rb_propagate_valves(const fb_rb_model *m, const fb_rb_thruster_set *ts, const double *open_until_s,
                                 double dry_mass_kg, double t0_s, const double y0[20], double t1_s,
                                 double h_max_s, double h_stop_m, double *t_end_s, double y1[20], int *stopped,
                                 double *open_s)
{
    double inv[9], y[FB_RB_NSTATE], t;
    int i, seg;
    fb_status st;
    if (m == NULL || ts == NULL || y0 == NULL || y1 == NULL || t_end_s == NULL || stopped == NULL ||
        open_s == NULL || (ts->n > 0 && open_until_s == NULL)) {
        return FB_E_NULL;
    }
    if ((st = fb_rb_check_model(m)) != FB_OK || (st = fb_rb_check_thrusters(ts)) != FB_OK) {
        return st;
    }
    if (!isfinite(t0_s) || !isfinite(t1_s) || !isfinite(h_max_s) || isnan(h_stop_m) || !isfinite(dry_mass_kg) ||
        !fb_isfinite_n(y0, FB_RB_NSTATE)) {
        return FB_E_NONFINITE;
    }
    for (i = 0; i < ts->n; ++i) {
        if (isnan(open_until_s[i])) {
            return FB_E_NONFINITE;
        }
    }
    if (!(h_max_s > 0.0) || !(t1_s >= t0_s) || dry_mass_kg < 0.0) {
        return FB_E_RANGE;
    }
    rb_inverse_spd(m->inertia_kg_m2, inv);
    for (i = 0; i < FB_RB_NSTATE; ++i) {
        y[i] = y0[i];
    }
    t = t0_s;
    *stopped = 0;
    /* each segment ends at t1, at a valve closing, at propellant exhaustion or at the altitude stop; every
       closing ends at most one segment, so n + 2 segments always suffice */
    for (seg = 0; seg < ts->n + 2 && t < t1_s; ++seg) {
        fb_rb_thrust th;
        double t_seg = t1_s, t_reached, propellant = y[13] - dry_mass_kg;
        int any = 0, k;
        for (k = 0; k < 3; ++k) {
            th.force_body_n[k] = 0.0;
            th.torque_body_nm[k] = 0.0;
        }
        th.mdot_kg_s = 0.0;
        if (propellant > FB_RB_EMPTY_KG) {
            for (i = 0; i < ts->n; ++i) {
                if (open_until_s[i] > t) {
                    any = 1;
                    fb_add3(th.force_body_n, ts->force_body_n[i], th.force_body_n);
                    fb_add3(th.torque_body_nm, ts->torque_body_nm[i], th.torque_body_nm);
                    th.mdot_kg_s += ts->mdot_kg_s[i];
                    if (open_until_s[i] < t_seg) {
                        t_seg = open_until_s[i];
                    }
                }
            }
        }
        if (any && th.mdot_kg_s > 0.0 && t + propellant / th.mdot_kg_s < t_seg) {
            t_seg = t + propellant / th.mdot_kg_s;
            if (!(t_seg > t)) {
                /* less propellant than the flow burns in one tick of the time scale: none left */
                any = 0;
                for (k = 0; k < 3; ++k) {
                    th.force_body_n[k] = 0.0;
                    th.torque_body_nm[k] = 0.0;
                }
                th.mdot_kg_s = 0.0;
                t_seg = t1_s;
            }
        }
        if ((st = rb_integrate(m, inv, &th, t, y, t_seg, h_max_s, h_stop_m, &t_reached, y, stopped)) != FB_OK) {
            return st;
        }
        if (any) {
            for (i = 0; i < ts->n; ++i) {
                if (open_until_s[i] > t) {
                    open_s[i] += t_reached - t;
                }
            }
        }
        t = t_reached;
        if (*stopped) {
            break;
        }
    }
    if (!*stopped && t < t1_s) {
        return FB_E_NO_CONVERGENCE; /* cannot happen: the segment bound above is a safety net */
    }
    for (i = 0; i < FB_RB_NSTATE; ++i) {
        y1[i] = y[i];
    }
    *t_end_s = t;
    return FB_OK;
}

fb_status fb_rb_orbit_energy(const fb_grav_model *g, const double r_eci_m[3], const double v_eci_mps[3],
                             double *e_j_kg)
{
    double rn, u, q, p2, p3, p4, pot;
    if (g == NULL || r_eci_m == NULL || v_eci_mps == NULL || e_j_kg == NULL) {
        return FB_E_NULL;
    }
    if (!fb_isfinite3(r_eci_m) || !fb_isfinite3(v_eci_mps) || !isfinite(g->gm_m3_s2) || !isfinite(g->re_m) ||
        !isfinite(g->j2) || !isfinite(g->j3) || !isfinite(g->j4)) {
        return FB_E_NONFINITE;
    }
    rn = fb_norm3(r_eci_m);
    if (!(rn > RB_MIN_RADIUS_M) || !(g->gm_m3_s2 > 0.0) || !(g->re_m > 0.0)) {
        return FB_E_RANGE;
    }
    u = r_eci_m[2] / rn;
    q = g->re_m / rn;
    p2 = 0.5 * (3.0 * u * u - 1.0);
    p3 = 0.5 * (5.0 * u * u * u - 3.0 * u);
    p4 = 0.125 * (35.0 * u * u * u * u - 30.0 * u * u + 3.0);
    pot = -g->gm_m3_s2 / rn * (1.0 - g->j2 * q * q * p2 - g->j3 * q * q * q * p3 - g->j4 * q * q * q * q * p4);
    *e_j_kg = 0.5 * fb_dot3(v_eci_mps, v_eci_mps) + pot;
    return FB_OK;
}
