/*
 * cases_orbit.c - vector-runner adapters for the orbit area (fb_ode, fb_orbit, fb_entry, fb_target).
 */
#include <math.h>
#include <stddef.h>

#include "fb_entry.h"
#include "fb_ode.h"
#include "fb_orbit.h"
#include "fb_target.h"
#include "fbt.h"

/* y'' = -y as a first-order system, y(0) = 0, y'(0) = 1: y = sin t */
static fb_status oscillator(void *ctx, double t_s, const double *y, double *dydt)
{
    (void)ctx;
    (void)t_s;
    dydt[0] = y[1];
    dydt[1] = -y[0];
    return FB_OK;
}

static fb_status level_event(void *ctx, double t_s, const double *y, double *g)
{
    (void)t_s;
    *g = y[0] - *(const double *)ctx;
    return FB_OK;
}

/* in: t1, n_steps; out: y, y' at t1 */
FBT_CASE(orbit_rk4_oscillator)
{
    double y0[2] = {0.0, 1.0};
    FBT_ARITY(2, 2);
    return (int)fb_ode_rk4(oscillator, NULL, 2, 0.0, y0, in[0], (int)in[1], out);
}

/* in: rtol, level; out: time of the first falling crossing of y = level, y there */
FBT_CASE(orbit_dp54_event)
{
    double y0[2] = {0.0, 1.0}, level = in[1];
    fb_ode_options opt;
    fb_ode_result res = {0};
    fb_status st;
    FBT_ARITY(2, 2);
    fb_ode_default_options(&opt);
    opt.rtol = in[0];
    opt.atol[0] = opt.atol[1] = in[0];
    opt.event_tol_s = 1e-9;
    st = fb_ode_dp54(oscillator, &level, 2, 0.0, y0, 10.0, &opt, level_event, -1, &res);
    if (st != FB_OK) {
        return (int)st;
    }
    out[0] = res.event_found ? res.t_s : NAN;
    out[1] = res.y[0];
    return 0;
}

/* in: rtol, max_steps, t1; out: y, y' at t1 (no event) */
FBT_CASE(orbit_dp54_steps)
{
    double y0[2] = {0.0, 1.0};
    fb_ode_options opt;
    fb_ode_result res = {0};
    fb_status st;
    FBT_ARITY(3, 2);
    fb_ode_default_options(&opt);
    opt.rtol = in[0];
    opt.atol[0] = opt.atol[1] = 1e-12;
    opt.max_steps = (int)in[1];
    st = fb_ode_dp54(oscillator, NULL, 2, 0.0, y0, in[2], &opt, NULL, 0, &res);
    out[0] = res.y[0];
    out[1] = res.y[1];
    return (int)st;
}

static void two_body_model(fb_force_model *m)
{
    fb_orbit_default_model(m);
    m->grav.j2 = m->grav.j3 = m->grav.j4 = 0.0;
    m->drag_on = 0;
}

/* in: a, e, i, raan, argp, nu0, dt; out: r, v after dt (two-body, rtol 1e-12) */
FBT_CASE(orbit_two_body)
{
    fb_force_model m;
    fb_orbit_tol tol;
    double y0[7], y1[7];
    fb_status st;
    FBT_ARITY(7, 6);
    two_body_model(&m);
    fb_orbit_default_tol(&tol);
    tol.rtol = 1e-12;
    tol.atol_r_m = 1e-6;
    tol.atol_v_mps = 1e-9;
    if ((st = fb_orbit_state_from_elements(m.grav.gm_m3_s2, in, y0, y0 + 3)) != FB_OK) {
        return (int)st;
    }
    y0[6] = 1000.0;
    st = fb_orbit_propagate(&m, &tol, 0.0, y0, in[6], y1);
    for (int i = 0; i < 6; ++i) {
        out[i] = y1[i];
    }
    return (int)st;
}

/* in: t, r, v, mass, burn start, burn duration; out: dy/dt (default model) */
FBT_CASE(orbit_deriv)
{
    fb_force_model m;
    FBT_ARITY(10, 7);
    fb_orbit_default_model(&m);
    m.burn_start_s = in[8];
    m.burn_duration_s = in[9];
    return (int)fb_orbit_deriv(&m, in[0], in + 1, out);
}

/* in: t0, r, v, mass, t1; out: r, v, mass (default model, default tolerances) */
FBT_CASE(orbit_propagate)
{
    fb_force_model m;
    fb_orbit_tol tol;
    FBT_ARITY(9, 7);
    fb_orbit_default_model(&m);
    fb_orbit_default_tol(&tol);
    return (int)fb_orbit_propagate(&m, &tol, in[0], in + 1, in[8], out);
}

/* in: r, v; out: a_m (GM default) */
FBT_CASE(orbit_elements_a)
{
    double el[6];
    fb_status st;
    FBT_ARITY(6, 1);
    st = fb_orbit_elements_from_state(3.986004418e14, in, in + 3, el);
    out[0] = el[0];
    return (int)st;
}

/* in: r, v; out: e, i, raan, argp, nu */
FBT_CASE(orbit_elements_angles)
{
    double el[6];
    fb_status st;
    FBT_ARITY(6, 5);
    st = fb_orbit_elements_from_state(3.986004418e14, in, in + 3, el);
    for (int i = 0; i < 5; ++i) {
        out[i] = el[i + 1];
    }
    return (int)st;
}

/* in: a, e, i, raan, argp, nu; out: r, v */
FBT_CASE(orbit_state_from_elements)
{
    FBT_ARITY(6, 6);
    return (int)fb_orbit_state_from_elements(3.986004418e14, in, out, out + 3);
}

/* in: r, v; out: perigee and apogee altitude */
FBT_CASE(orbit_apsis)
{
    FBT_ARITY(6, 2);
    return (int)fb_orbit_apsis_altitudes(3.986004418e14, 6378137.0, in, in + 3, out, out + 1);
}

static fb_status predict(const double *in, fb_entry_result *r)
{
    fb_force_model m;
    fb_entry_config cfg;
    fb_orbit_default_model(&m);
    fb_entry_default_config(&cfg);
    m.burn_start_s = in[8];
    m.burn_duration_s = in[9];
    return fb_entry_predict(&m, &cfg, in[0], in + 1, r);
}

/* in: t0, r, v, mass, burn start, burn duration; out: interface and breakup times */
FBT_CASE(entry_times)
{
    fb_entry_result r = {0};
    fb_status st;
    FBT_ARITY(10, 2);
    st = predict(in, &r);
    out[0] = r.t_interface_s;
    out[1] = r.t_breakup_s;
    return (int)st;
}

/* same inputs; out: breakup, heel, toe and centre latitude and longitude */
FBT_CASE(entry_points)
{
    fb_entry_result r = {0};
    fb_status st;
    FBT_ARITY(10, 8);
    st = predict(in, &r);
    out[0] = r.breakup_lat_rad;
    out[1] = r.breakup_lon_rad;
    out[2] = r.heel_lat_rad;
    out[3] = r.heel_lon_rad;
    out[4] = r.toe_lat_rad;
    out[5] = r.toe_lon_rad;
    out[6] = r.centre_lat_rad;
    out[7] = r.centre_lon_rad;
    return (int)st;
}

/* same inputs; out: footprint length */
FBT_CASE(entry_length)
{
    fb_entry_result r = {0};
    fb_status st;
    FBT_ARITY(10, 1);
    st = predict(in, &r);
    out[0] = r.length_m;
    return (int)st;
}

/* in: 4 vertices (lat, lon pairs), point lat, lon; out: inside flag */
FBT_CASE(target_inside_zone)
{
    fb_zone z;
    int inside = -1;
    fb_status st;
    FBT_ARITY(10, 1);
    z.n = 4;
    for (int i = 0; i < 4; ++i) {
        z.lat_rad[i] = in[2 * i];
        z.lon_rad[i] = in[2 * i + 1];
    }
    st = fb_target_inside_zone(&z, in[8], in[9], &inside);
    out[0] = inside;
    return (int)st;
}

/* in: t0, r, v, mass, t_ignition, hp_target, max_duration; out: duration */
FBT_CASE(target_perigee_burn)
{
    fb_force_model m;
    fb_orbit_tol tol;
    fb_target_perigee_config cfg;
    fb_target_perigee_result res = {0};
    fb_status st;
    FBT_ARITY(11, 1);
    fb_orbit_default_model(&m);
    fb_orbit_default_tol(&tol);
    cfg.hp_target_m = in[9];
    cfg.max_duration_s = in[10];
    cfg.tol_duration_s = 1e-4;
    cfg.max_iterations = 200;
    st = fb_target_perigee_burn(&m, &tol, &cfg, in[0], in + 1, in[8], &res);
    out[0] = res.duration_s;
    return (int)st;
}
