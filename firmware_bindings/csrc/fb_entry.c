/*
 * fb_entry.c - re-entry and debris footprint prediction (see fb_entry.h).
 */
#include "fb_entry.h"

#include <math.h>
#include <stddef.h>

#include "fb_frames.h"
#include "fb_math.h"

fb_status fb_entry_default_config(fb_entry_config *cfg)
{
    fb_status st;
    if (cfg == NULL) {
        return FB_E_NULL;
    }
    cfg->h_interface_m = 120e3;
    cfg->h_breakup_m = 78e3;
    cfg->beta_min_kg_m2 = 5.0;
    cfg->beta_max_kg_m2 = 2000.0;
    cfg->n_fragments = 16;
    cfg->max_coast_s = 3.0 * 86400.0;
    cfg->max_fall_s = 7200.0;
    cfg->terminal_drift_m = 10.0;
    if ((st = fb_orbit_default_tol(&cfg->tol)) != FB_OK) {
        return st;
    }
    cfg->tol.rtol = 1e-9;
    cfg->tol.atol_r_m = 1e-3;
    cfg->tol.atol_v_mps = 1e-6;
    cfg->tol.event_tol_s = 1e-4;
    if ((st = fb_orbit_default_tol(&cfg->fragment_tol)) != FB_OK) {
        return st;
    }
    cfg->fragment_tol.rtol = 1e-6;
    cfg->fragment_tol.atol_r_m = 1e-3;
    cfg->fragment_tol.atol_v_mps = 1e-6;
    cfg->fragment_tol.h_max_s = 120.0;
    cfg->fragment_tol.max_steps = 20000;
    cfg->fragment_tol.event_tol_s = 1e-4;
    return FB_OK;
}

fb_status fb_entry_check_config(const fb_entry_config *c)
{
    const double v[] = {c->h_interface_m, c->h_breakup_m, c->beta_min_kg_m2, c->beta_max_kg_m2, c->max_coast_s,
                        c->max_fall_s, c->terminal_drift_m};
    if (!fb_isfinite_n(v, 7)) {
        return FB_E_NONFINITE;
    }
    if (!(c->h_interface_m > c->h_breakup_m) || !(c->h_breakup_m > 0.0) || c->h_interface_m > 1e6 ||
        !(c->beta_min_kg_m2 > 0.0) || c->beta_max_kg_m2 < c->beta_min_kg_m2 || c->beta_max_kg_m2 > 1e6 ||
        c->n_fragments < 1 || c->n_fragments > FB_ENTRY_MAX_FRAGMENTS || !(c->max_coast_s > 0.0) ||
        c->max_coast_s > 1e8 || !(c->max_fall_s > 0.0) || c->max_fall_s > 1e6 || c->terminal_drift_m < 0.0) {
        return FB_E_RANGE;
    }
    return FB_OK;
}

fb_status fb_entry_midpoint(double lat1_rad, double lon1_rad, double lat2_rad, double lon2_rad, double *lat_rad,
                            double *lon_rad)
{
    double u1[3], u2[3], m[3];
    if (lat_rad == NULL || lon_rad == NULL) {
        return FB_E_NULL;
    }
    if (!isfinite(lat1_rad) || !isfinite(lon1_rad) || !isfinite(lat2_rad) || !isfinite(lon2_rad)) {
        return FB_E_NONFINITE;
    }
    u1[0] = cos(lat1_rad) * cos(lon1_rad);
    u1[1] = cos(lat1_rad) * sin(lon1_rad);
    u1[2] = sin(lat1_rad);
    u2[0] = cos(lat2_rad) * cos(lon2_rad);
    u2[1] = cos(lat2_rad) * sin(lon2_rad);
    u2[2] = sin(lat2_rad);
    fb_add3(u1, u2, m);
    if (!fb_unit3(m, m) || fb_norm3(m) < 0.5) {
        return FB_E_DEGENERATE; /* antipodal points: the midpoint is undefined */
    }
    *lat_rad = asin(fb_clamp(m[2], -1.0, 1.0));
    *lon_rad = atan2(m[1], m[0]);
    return FB_OK;
}

/* Ground-track bearing of an ECI state: direction of the Earth-relative velocity in the local horizon. */
static fb_status track_bearing(double t_s, const double y[7], double lat, double lon, double *bearing)
{
    double r_ecef[3], v_ecef[3], north[3], east[3], vn, ve;
    fb_status st = fb_frame_ecef_state_from_eci(t_s, y, y + 3, r_ecef, v_ecef);
    if (st != FB_OK) {
        return st;
    }
    north[0] = -sin(lat) * cos(lon);
    north[1] = -sin(lat) * sin(lon);
    north[2] = cos(lat);
    east[0] = -sin(lon);
    east[1] = cos(lon);
    east[2] = 0.0;
    vn = fb_dot3(v_ecef, north);
    ve = fb_dot3(v_ecef, east);
    if (!(vn * vn + ve * ve > 0.0)) {
        return FB_E_DEGENERATE;
    }
    *bearing = atan2(ve, vn);
    if (*bearing < 0.0) {
        *bearing += FB_TWO_PI;
    }
    return FB_OK;
}

static fb_status geodetic_of(double t_s, const double r_eci[3], double lla[3])
{
    double r_ecef[3];
    fb_status st = fb_frame_ecef_from_eci(t_s, r_eci, r_ecef);
    if (st != FB_OK) {
        return st;
    }
    return fb_frame_geodetic_from_ecef(r_ecef, lla);
}

#define ENTRY_G0_MPS2 9.80665
#define ENTRY_FALL_STEPS 32

typedef struct {
    const fb_force_model *m;
    double drift_m;
} fragment_ctx;

static fb_status fragment_deriv(void *ctx, double t_s, const double *y, double *dydt)
{
    const fragment_ctx *c = (const fragment_ctx *)ctx;
    return fb_orbit_deriv_fast(c->m, 0, t_s, y, dydt);
}

/* Earth-relative velocity and its horizontal part (normal to the geocentric radius), ECI components. */
static void relative_velocity(const fb_force_model *m, const double *y, double v_rel[3], double v_h[3])
{
    double u[3], w = m->omega_earth_rad_s;
    v_rel[0] = y[3] + w * y[1];
    v_rel[1] = y[4] - w * y[0];
    v_rel[2] = y[5];
    fb_scale3(1.0 / fb_norm3(y), y, u);
    fb_axpy3(v_rel, -fb_dot3(v_rel, u), u, v_h);
}

/* Event: the ground, or the terminal phase (estimated drift below drift_m), whichever comes first. */
static fb_status fragment_event(void *ctx, double t_s, const double *y, double *g)
{
    const fragment_ctx *c = (const fragment_ctx *)ctx;
    double h, v_rel[3], v_h[3];
    fb_status st = fb_frame_altitude_m(t_s, y, &h);
    if (st != FB_OK) {
        return st;
    }
    *g = h;
    if (c->drift_m > 0.0) {
        double drift;
        relative_velocity(c->m, y, v_rel, v_h);
        drift = fb_norm3(v_h) * fb_norm3(v_rel) / ENTRY_G0_MPS2;
        *g = fmin(h, drift - c->drift_m);
    }
    return FB_OK;
}

/* Fall time at terminal velocity from altitude h_m straight down (trapezoid over altitude). */
static fb_status terminal_fall_s(const fb_force_model *m, double t_s, const double y[7], double h_m, double *dt)
{
    double u[3], r[3], sum = 0.0, prev = 0.0;
    double beta = y[6] / (m->cd * m->area_m2);
    double rn = fb_norm3(y);
    int k;
    fb_status st;
    fb_scale3(1.0 / rn, y, u);
    for (k = 0; k <= ENTRY_FALL_STEPS; ++k) {
        double hk = h_m * (double)k / ENTRY_FALL_STEPS;
        double rk = rn - h_m + hk, rho, g, inv_v;
        fb_scale3(rk, u, r);
        if ((st = fb_atm_density(&m->atm, t_s, r, fb_orbit_radial_altitude_m(r), &rho)) != FB_OK) {
            return st;
        }
        g = m->grav.gm_m3_s2 / (rk * rk);
        inv_v = sqrt(rho / (2.0 * beta * g)); /* 1 / terminal velocity */
        if (k > 0) {
            sum += 0.5 * (prev + inv_v) * (h_m / ENTRY_FALL_STEPS);
        }
        prev = inv_v;
    }
    *dt = sum;
    return FB_OK;
}

/* Propagate one fragment from breakup to the ground; impact time and geodetic point. */
static fb_status fragment_impact(const fb_force_model *frag, const fb_entry_config *cfg, double t_b,
                                 const double y_b[7], double *t_imp, double lla[3])
{
    fragment_ctx ctx;
    fb_ode_options opt;
    fb_ode_result res;
    double r[3], r_ecef[3], h;
    int i, terminal;
    fb_status st;
    ctx.m = frag;
    ctx.drift_m = cfg->terminal_drift_m;
    fb_ode_default_options(&opt);
    opt.rtol = cfg->fragment_tol.rtol;
    for (i = 0; i < 3; ++i) {
        opt.atol[i] = cfg->fragment_tol.atol_r_m;
        opt.atol[3 + i] = cfg->fragment_tol.atol_v_mps;
    }
    opt.atol[6] = cfg->fragment_tol.atol_m_kg;
    opt.h_min_s = 0.0;
    opt.h_max_s = cfg->fragment_tol.h_max_s;
    opt.max_steps = cfg->fragment_tol.max_steps;
    opt.event_tol_s = cfg->fragment_tol.event_tol_s;
    st = fb_ode_dp54(fragment_deriv, &ctx, FB_ORBIT_NSTATE, t_b, y_b, t_b + cfg->max_fall_s, &opt, fragment_event,
                     -1, &res);
    if (st != FB_OK) {
        return st;
    }
    if (!res.event_found) {
        return FB_E_NO_SOLUTION;
    }
    if ((st = fb_frame_altitude_m(res.t_s, res.y, &h)) != FB_OK) {
        return st;
    }
    fb_copy3(res.y, r);
    *t_imp = res.t_s;
    terminal = 0;
    if (cfg->terminal_drift_m > 0.0) {
        /* which side of the event function stopped the fragment: the drift or the ground */
        double v_rel[3], v_h[3];
        relative_velocity(frag, res.y, v_rel, v_h);
        terminal = fb_norm3(v_h) * fb_norm3(v_rel) / ENTRY_G0_MPS2 - cfg->terminal_drift_m < h;
    }
    if (terminal && h > 0.0) {
        /* terminal phase: drift on by v_h tau, then fall straight down */
        double v_rel[3], v_h[3], dt;
        relative_velocity(frag, res.y, v_rel, v_h);
        fb_axpy3(r, fb_norm3(v_rel) / ENTRY_G0_MPS2, v_h, r);
        if ((st = terminal_fall_s(frag, res.t_s, res.y, h, &dt)) != FB_OK) {
            return st;
        }
        *t_imp += dt;
    }
    if ((st = fb_frame_ecef_from_eci(res.t_s, r, r_ecef)) != FB_OK) {
        return st;
    }
    return fb_frame_geodetic_from_ecef(r_ecef, lla);
}

fb_status fb_entry_predict(const fb_force_model *m, const fb_entry_config *cfg, double t0_s, const double y0[7],
                           fb_entry_result *out)
{
    double h0, t_ev, y_ev[7], lla[3], t_b;
    fb_force_model frag;
    int found, k, n;
    fb_status st;

    if (m == NULL || cfg == NULL || y0 == NULL || out == NULL) {
        return FB_E_NULL;
    }
    if ((st = fb_orbit_check_model(m)) != FB_OK || (st = fb_entry_check_config(cfg)) != FB_OK) {
        return st;
    }
    if (!isfinite(t0_s) || !fb_isfinite_n(y0, FB_ORBIT_NSTATE)) {
        return FB_E_NONFINITE;
    }
    if (!(y0[6] > 0.0)) {
        return FB_E_RANGE;
    }
    if ((st = fb_frame_altitude_m(t0_s, y0, &h0)) != FB_OK) {
        return st == FB_E_RANGE ? FB_E_BELOW_GROUND : st;
    }
    if (h0 < 0.0) {
        return FB_E_BELOW_GROUND;
    }
    if (!(h0 > cfg->h_interface_m)) {
        return FB_E_RANGE;
    }

    /* stack: start to interface */
    st = fb_orbit_propagate_to_altitude(m, &cfg->tol, t0_s, y0, t0_s + cfg->max_coast_s, cfg->h_interface_m, -1,
                                        &t_ev, y_ev, &found);
    if (st != FB_OK) {
        return st;
    }
    if (!found) {
        return FB_E_NO_SOLUTION;
    }
    out->t_interface_s = t_ev;
    for (k = 0; k < FB_ORBIT_NSTATE; ++k) {
        out->y_interface[k] = y_ev[k];
    }
    if ((st = fb_orbit_flight_path_angle(y_ev, y_ev + 3, &out->fpa_interface_rad)) != FB_OK) {
        return st;
    }
    out->v_interface_mps = fb_norm3(y_ev + 3);

    /* stack: interface to breakup */
    st = fb_orbit_propagate_to_altitude(m, &cfg->tol, t_ev, out->y_interface, t_ev + cfg->max_coast_s,
                                        cfg->h_breakup_m, -1, &t_b, y_ev, &found);
    if (st != FB_OK) {
        return st;
    }
    if (!found) {
        return FB_E_NO_SOLUTION;
    }
    out->t_breakup_s = t_b;
    for (k = 0; k < FB_ORBIT_NSTATE; ++k) {
        out->y_breakup[k] = y_ev[k];
    }
    if ((st = geodetic_of(t_b, y_ev, lla)) != FB_OK) {
        return st;
    }
    out->breakup_lat_rad = lla[0];
    out->breakup_lon_rad = lla[1];
    out->breakup_h_m = lla[2];
    if ((st = track_bearing(t_b, y_ev, lla[0], lla[1], &out->track_bearing_rad)) != FB_OK) {
        return st;
    }

    /* fragments: point mass + J2 + drag, no thrust; the state's mass is beta with Cd A = 1 m^2 */
    frag = *m;
    frag.grav.j3 = 0.0;
    frag.grav.j4 = 0.0;
    frag.drag_on = 1;
    frag.cd = 1.0;
    frag.area_m2 = 1.0;
    frag.burn_duration_s = 0.0;
    frag.dry_mass_kg = 0.0;
    n = cfg->n_fragments;
    out->n_impacts = n;
    out->heel_index = 0;
    out->toe_index = 0;
    for (k = 0; k < n; ++k) {
        double yf[7], t_i, d, b;
        double frac = n > 1 ? (double)k / (double)(n - 1) : 0.5;
        double beta = cfg->beta_min_kg_m2 * pow(cfg->beta_max_kg_m2 / cfg->beta_min_kg_m2, frac);
        fb_copy3(out->y_breakup, yf);
        fb_copy3(out->y_breakup + 3, yf + 3);
        yf[6] = beta;
        if ((st = fragment_impact(&frag, cfg, t_b, yf, &t_i, lla)) != FB_OK) {
            return st;
        }
        out->beta_kg_m2[k] = beta;
        out->impact_t_s[k] = t_i;
        out->impact_lat_rad[k] = lla[0];
        out->impact_lon_rad[k] = lla[1];
        st = fb_frame_great_circle(out->breakup_lat_rad, out->breakup_lon_rad, lla[0], lla[1], &d, &b);
        if (st != FB_OK) {
            return st;
        }
        out->impact_along_m[k] = d * cos(b - out->track_bearing_rad);
        if (out->impact_along_m[k] < out->impact_along_m[out->heel_index]) {
            out->heel_index = k;
        }
        if (out->impact_along_m[k] > out->impact_along_m[out->toe_index]) {
            out->toe_index = k;
        }
    }
    for (k = n; k < FB_ENTRY_MAX_FRAGMENTS; ++k) {
        out->beta_kg_m2[k] = NAN;
        out->impact_t_s[k] = NAN;
        out->impact_lat_rad[k] = NAN;
        out->impact_lon_rad[k] = NAN;
        out->impact_along_m[k] = NAN;
    }
    out->heel_lat_rad = out->impact_lat_rad[out->heel_index];
    out->heel_lon_rad = out->impact_lon_rad[out->heel_index];
    out->toe_lat_rad = out->impact_lat_rad[out->toe_index];
    out->toe_lon_rad = out->impact_lon_rad[out->toe_index];
    {
        double bearing;
        st = fb_frame_great_circle(out->heel_lat_rad, out->heel_lon_rad, out->toe_lat_rad, out->toe_lon_rad,
                                   &out->length_m, &bearing);
        if (st != FB_OK) {
            return st;
        }
        st = fb_entry_midpoint(out->heel_lat_rad, out->heel_lon_rad, out->toe_lat_rad, out->toe_lon_rad,
                               &out->centre_lat_rad, &out->centre_lon_rad);
        if (st != FB_OK) {
            return st;
        }
        if (out->length_m > 1.0) {
            double d;
            st = fb_frame_great_circle(out->centre_lat_rad, out->centre_lon_rad, out->toe_lat_rad,
                                       out->toe_lon_rad, &d, &out->centre_bearing_rad);
            if (st != FB_OK) {
                return st;
            }
        } else {
            out->centre_bearing_rad = out->track_bearing_rad;
        }
    }
    return FB_OK;
}
