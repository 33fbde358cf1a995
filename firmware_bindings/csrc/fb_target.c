/*
 * fb_target.c - perigee and final-burn targeting, zone test (see fb_target.h).
 */
#include "fb_target.h"

#include <float.h>
#include <math.h>
#include <stddef.h>

#include "fb_frames.h"
#include "fb_math.h"

#define TARGET_G0_MPS2 9.80665
#define TARGET_BRACKET_MAX_M 5.0e6
#define TARGET_SLOPE_GUESS_MPS 7000.0
#define TARGET_SPHERE_RADIUS_M 6371008.8 /* the sphere of fb_frame_great_circle */

static double wrap_pi(double x)
{
    double w = fmod(x + FB_PI, FB_TWO_PI);
    if (w < 0.0) {
        w += FB_TWO_PI;
    }
    return w - FB_PI;
}

fb_status fb_target_inside_zone(const fb_zone *zone, double lat_rad, double lon_rad, int *inside)
{
    int i, j, in = 0, n;
    double lon0, x;
    if (zone == NULL || inside == NULL) {
        return FB_E_NULL;
    }
    n = zone->n;
    if (n < 3 || n > FB_ZONE_MAX_VERTICES) {
        return FB_E_RANGE;
    }
    if (!isfinite(lat_rad) || !isfinite(lon_rad) || !fb_isfinite_n(zone->lat_rad, n) ||
        !fb_isfinite_n(zone->lon_rad, n)) {
        return FB_E_NONFINITE;
    }
    lon0 = zone->lon_rad[0];
    x = lon0 + wrap_pi(lon_rad - lon0);
    for (i = 0, j = n - 1; i < n; j = i++) {
        double yi = zone->lat_rad[i], yj = zone->lat_rad[j];
        double xi = lon0 + wrap_pi(zone->lon_rad[i] - lon0), xj = lon0 + wrap_pi(zone->lon_rad[j] - lon0);
        if ((yi > lat_rad) != (yj > lat_rad)) {
            double x_cross = xi + (lat_rad - yi) / (yj - yi) * (xj - xi);
            if (x < x_cross) {
                in = !in;
            }
        }
    }
    *inside = in;
    return FB_OK;
}

static void unit_of(double lat, double lon, double u[3])
{
    u[0] = cos(lat) * cos(lon);
    u[1] = cos(lat) * sin(lon);
    u[2] = sin(lat);
}

fb_status fb_target_miss(const fb_entry_result *fp, double aim_lat_rad, double aim_lon_rad, double *miss_m,
                         double *along_m, double *cross_m)
{
    double c[3], a[3], north[3], east[3], dir[3], pole[3], ap[3], tmp[3], d, b, lat, lon, brg;
    fb_status st;
    if (fp == NULL || miss_m == NULL || along_m == NULL || cross_m == NULL) {
        return FB_E_NULL;
    }
    if (!isfinite(aim_lat_rad) || !isfinite(aim_lon_rad)) {
        return FB_E_NONFINITE;
    }
    lat = fp->centre_lat_rad;
    lon = fp->centre_lon_rad;
    brg = fp->centre_bearing_rad;
    if (!isfinite(lat) || !isfinite(lon) || !isfinite(brg)) {
        return FB_E_NONFINITE;
    }
    st = fb_frame_great_circle(aim_lat_rad, aim_lon_rad, lat, lon, &d, &b);
    if (st != FB_OK) {
        return st;
    }
    /* the ground-track great circle through the centre along its heel-to-toe bearing; pole = c x dir */
    unit_of(lat, lon, c);
    unit_of(aim_lat_rad, aim_lon_rad, a);
    north[0] = -sin(lat) * cos(lon);
    north[1] = -sin(lat) * sin(lon);
    north[2] = cos(lat);
    east[0] = -sin(lon);
    east[1] = cos(lon);
    east[2] = 0.0;
    fb_scale3(cos(brg), north, dir);
    fb_axpy3(dir, sin(brg), east, dir);
    fb_cross3(c, dir, pole);
    /* aim point projected on the track; along-track angle from it to the centre, positive downrange */
    fb_axpy3(a, -fb_dot3(a, pole), pole, ap);
    if (!fb_unit3(ap, ap)) {
        return FB_E_DEGENERATE; /* the aim point is a pole of the track */
    }
    fb_cross3(ap, c, tmp);
    *miss_m = d;
    *along_m = TARGET_SPHERE_RADIUS_M * atan2(fb_dot3(tmp, pole), fb_dot3(ap, c));
    *cross_m = TARGET_SPHERE_RADIUS_M * asin(fb_clamp(fb_dot3(a, pole), -1.0, 1.0));
    return FB_OK;
}

/* ---- scalar root finding ---------------------------------------------------------------------------- */

typedef fb_status (*scalar_fn)(void *ctx, double x, double *fx);

/* Brent's method on a bracket [a, b] with f(a) f(b) <= 0; at most max_iter evaluations. */
static fb_status brent(scalar_fn f, void *ctx, double a, double b, double fa, double fb, double xtol,
                       int max_iter, double *root, int *iters)
{
    double c = b, fc = fb, d = b - a, e = d;
    int it;
    fb_status st;
    for (it = 0; it <= max_iter; ++it) {
        double tol1, xm, p, q, r, s;
        if ((fb > 0.0) == (fc > 0.0)) {
            c = a;
            fc = fa;
            d = b - a;
            e = d;
        }
        if (fabs(fc) < fabs(fb)) {
            a = b;
            b = c;
            c = a;
            fa = fb;
            fb = fc;
            fc = fa;
        }
        tol1 = 2.0 * DBL_EPSILON * fabs(b) + 0.5 * xtol;
        xm = 0.5 * (c - b);
        if (fabs(xm) <= tol1 || fb == 0.0) {
            *root = b;
            *iters += it;
            return FB_OK;
        }
        if (it == max_iter) {
            break;
        }
        if (fabs(e) >= tol1 && fabs(fa) > fabs(fb)) {
            s = fb / fa;
            if (a == c) {
                p = 2.0 * xm * s;
                q = 1.0 - s;
            } else {
                q = fa / fc;
                r = fb / fc;
                p = s * (2.0 * xm * q * (q - r) - (b - a) * (r - 1.0));
                q = (q - 1.0) * (r - 1.0) * (s - 1.0);
            }
            if (p > 0.0) {
                q = -q;
            } else {
                p = -p;
            }
            if (2.0 * p < fmin(3.0 * xm * q - fabs(tol1 * q), fabs(e * q))) {
                e = d;
                d = p / q;
            } else {
                d = xm;
                e = d;
            }
        } else {
            d = xm;
            e = d;
        }
        a = b;
        fa = fb;
        b += fabs(d) > tol1 ? d : (xm > 0.0 ? tol1 : -tol1);
        if ((st = f(ctx, b, &fb)) != FB_OK) {
            return st;
        }
    }
    *iters += max_iter;
    return FB_E_NO_CONVERGENCE;
}

/* ---- perigee burn ------------------------------------------------------------------------------------ */

typedef struct {
    fb_force_model m;            /* burn fields set per trial */
    const fb_orbit_tol *tol;
    double t_ig;
    double y_ig[7];
    double hp_target_m;
    double y_cut[7];
    double hp_m, ha_m;
} perigee_ctx;

static fb_status perigee_fn(void *vctx, double d, double *f)
{
    perigee_ctx *c = (perigee_ctx *)vctx;
    fb_status st;
    int i;
    if (d > 0.0) {
        c->m.burn_start_s = c->t_ig;
        c->m.burn_duration_s = d;
        if ((st = fb_orbit_propagate(&c->m, c->tol, c->t_ig, c->y_ig, c->t_ig + d, c->y_cut)) != FB_OK) {
            return st;
        }
    } else {
        for (i = 0; i < FB_ORBIT_NSTATE; ++i) {
            c->y_cut[i] = c->y_ig[i];
        }
    }
    st = fb_orbit_apsis_altitudes(c->m.grav.gm_m3_s2, c->m.grav.re_m, c->y_cut, c->y_cut + 3, &c->hp_m, &c->ha_m);
    if (st != FB_OK) {
        return st;
    }
    *f = c->hp_m - c->hp_target_m;
    return FB_OK;
}

static fb_status check_perigee_cfg(const fb_target_perigee_config *cfg)
{
    if (!isfinite(cfg->hp_target_m) || !isfinite(cfg->max_duration_s) || !isfinite(cfg->tol_duration_s)) {
        return FB_E_NONFINITE;
    }
    if (cfg->hp_target_m < -6.0e6 || cfg->hp_target_m > 1e8 || !(cfg->max_duration_s > 0.0) ||
        cfg->max_duration_s > 1e7 || !(cfg->tol_duration_s > 0.0) || cfg->max_iterations < 1 ||
        cfg->max_iterations > 1000) {
        return FB_E_RANGE;
    }
    return FB_OK;
}

/* Solve the duration from the state at ignition. hint > 0 tries a narrow bracket around it first. */
static fb_status solve_perigee_at(perigee_ctx *c, const fb_target_perigee_config *cfg, double hint,
                                  fb_target_perigee_result *out)
{
    double d_max, f0, fmax_, lo, hi, flo, fhi, d;
    double mdot = c->m.thrust_n / (c->m.isp_s * TARGET_G0_MPS2);
    int its = 0, i;
    fb_status st;
    if (!(c->m.thrust_n > 0.0) || !(c->m.isp_s > 0.0)) {
        return FB_E_RANGE;
    }
    d_max = fmin(cfg->max_duration_s, (c->y_ig[6] - c->m.dry_mass_kg) / mdot * (1.0 - 1e-9));
    if (!(d_max > 0.0)) {
        return FB_E_NO_SOLUTION;
    }
    lo = 0.0;
    hi = d_max;
    flo = fhi = NAN;
    if (hint > 0.0 && hint < d_max) {
        double a = fmax(0.0, hint - 5.0 * cfg->tol_duration_s - 2.0), b = fmin(d_max, hint + 2.0);
        double fa, fb;
        if ((st = perigee_fn(c, a, &fa)) != FB_OK || (st = perigee_fn(c, b, &fb)) != FB_OK) {
            return st;
        }
        if (fa > 0.0 && fb <= 0.0) {
            lo = a;
            hi = b;
            flo = fa;
            fhi = fb;
        }
    }
    if (isnan(flo)) {
        if ((st = perigee_fn(c, 0.0, &f0)) != FB_OK) {
            return st;
        }
        if (!(f0 > 0.0)) {
            return FB_E_NO_SOLUTION; /* already at or below the target */
        }
        if ((st = perigee_fn(c, d_max, &fmax_)) != FB_OK) {
            return st;
        }
        if (fmax_ > 0.0) {
            return FB_E_NO_SOLUTION; /* the longest burn does not reach the target */
        }
        flo = f0;
        fhi = fmax_;
    }
    st = brent(perigee_fn, c, lo, hi, flo, fhi, cfg->tol_duration_s, cfg->max_iterations, &d, &its);
    if (st != FB_OK) {
        return st;
    }
    if ((st = perigee_fn(c, d, &f0)) != FB_OK) {
        return st;
    }
    out->duration_s = d;
    out->hp_after_m = c->hp_m;
    out->ha_after_m = c->ha_m;
    out->propellant_kg = c->y_ig[6] - c->y_cut[6];
    out->dv_mps = c->m.isp_s * TARGET_G0_MPS2 * log(c->y_ig[6] / c->y_cut[6]);
    for (i = 0; i < FB_ORBIT_NSTATE; ++i) {
        out->y_cutoff[i] = c->y_cut[i];
    }
    out->iterations = its;
    return FB_OK;
}

fb_status fb_target_perigee_burn(const fb_force_model *m, const fb_orbit_tol *tol,
                                 const fb_target_perigee_config *cfg, double t0_s, const double y0[7],
                                 double t_ignition_s, fb_target_perigee_result *out)
{
    perigee_ctx c;
    fb_status st;
    if (m == NULL || tol == NULL || cfg == NULL || y0 == NULL || out == NULL) {
        return FB_E_NULL;
    }
    if ((st = fb_orbit_check_model(m)) != FB_OK || (st = check_perigee_cfg(cfg)) != FB_OK) {
        return st;
    }
    if (!isfinite(t0_s) || !isfinite(t_ignition_s) || !fb_isfinite_n(y0, FB_ORBIT_NSTATE)) {
        return FB_E_NONFINITE;
    }
    if (t_ignition_s < t0_s) {
        return FB_E_RANGE;
    }
    c.m = *m;
    c.m.burn_duration_s = 0.0;
    c.tol = tol;
    c.t_ig = t_ignition_s;
    c.hp_target_m = cfg->hp_target_m;
    if ((st = fb_orbit_propagate(&c.m, tol, t0_s, y0, t_ignition_s, c.y_ig)) != FB_OK) {
        return st;
    }
    return solve_perigee_at(&c, cfg, 0.0, out);
}

/* ---- final burn ------------------------------------------------------------------------------------- */

typedef struct {
    const fb_force_model *m;
    fb_entry_config entry;       /* the search configuration (two fragments) */
    const fb_target_final_config *cfg;
    fb_target_perigee_config pcfg;
    double t_min;
    double y_min[7];
    double hint;
    int n_predictions;
    fb_target_perigee_result burn;
    fb_entry_result fp;
    double y_ig[7];
} final_ctx;

/* Solve the burn at ignition t_min + x and predict its footprint with entry configuration ecfg. */
static fb_status final_eval(final_ctx *c, double x, const fb_entry_config *ecfg, double *along)
{
    perigee_ctx pc;
    fb_force_model burn_model;
    double miss, cross;
    fb_status st;
    pc.m = *c->m;
    pc.m.burn_duration_s = 0.0;
    pc.tol = &c->entry.tol;
    pc.t_ig = c->t_min + x;
    pc.hp_target_m = c->cfg->hp_target_m;
    if ((st = fb_orbit_propagate(&pc.m, &c->entry.tol, c->t_min, c->y_min, pc.t_ig, pc.y_ig)) != FB_OK) {
        return st;
    }
    if ((st = solve_perigee_at(&pc, &c->pcfg, c->hint, &c->burn)) != FB_OK) {
        return st;
    }
    c->hint = c->burn.duration_s;
    burn_model = *c->m;
    burn_model.burn_start_s = pc.t_ig;
    burn_model.burn_duration_s = c->burn.duration_s;
    ++c->n_predictions;
    if ((st = fb_entry_predict(&burn_model, ecfg, pc.t_ig, pc.y_ig, &c->fp)) != FB_OK) {
        return st;
    }
    if ((st = fb_target_miss(&c->fp, c->cfg->aim_lat_rad, c->cfg->aim_lon_rad, &miss, along, &cross)) != FB_OK) {
        return st;
    }
    return FB_OK;
}

static fb_status final_fn(void *vctx, double x, double *f)
{
    final_ctx *c = (final_ctx *)vctx;
    return final_eval(c, x, &c->entry, f);
}

static fb_status check_final_cfg(const fb_target_final_config *c)
{
    const double v[] = {c->aim_lat_rad, c->aim_lon_rad, c->hp_target_m, c->t_ignition_min_s, c->t_ignition_max_s,
                        c->max_duration_s, c->tol_ignition_s, c->tol_duration_s};
    if (!fb_isfinite_n(v, 8)) {
        return FB_E_NONFINITE;
    }
    if (fabs(c->aim_lat_rad) > 0.5 * FB_PI || fabs(c->aim_lon_rad) > FB_TWO_PI ||
        c->t_ignition_max_s < c->t_ignition_min_s || c->t_ignition_max_s - c->t_ignition_min_s > 1e6 ||
        !(c->max_duration_s > 0.0) || c->max_duration_s > 1e7 || !(c->tol_ignition_s > 0.0) ||
        !(c->tol_duration_s > 0.0) || c->max_iterations < 1 || c->max_iterations > 1000 ||
        c->hp_target_m < -6.0e6 || c->hp_target_m > 1e8) {
        return FB_E_RANGE;
    }
    return FB_OK;
}

fb_status fb_target_final_burn(const fb_force_model *m, const fb_entry_config *entry,
                               const fb_target_final_config *cfg, const fb_zone *zone, double t0_s,
                               const double y0[7], fb_target_final_result *out)
{
    final_ctx c;
    fb_force_model coast;
    double span, xa, fa, xb, fb, slope = TARGET_SLOPE_GUESS_MPS, root = NAN, along;
    int it, k, its = 0, edge_hits = 0;
    fb_status st;

    if (m == NULL || entry == NULL || cfg == NULL || y0 == NULL || out == NULL) {
        return FB_E_NULL;
    }
    if ((st = fb_orbit_check_model(m)) != FB_OK || (st = fb_entry_check_config(entry)) != FB_OK ||
        (st = check_final_cfg(cfg)) != FB_OK) {
        return st;
    }
    if (!isfinite(t0_s) || !fb_isfinite_n(y0, FB_ORBIT_NSTATE)) {
        return FB_E_NONFINITE;
    }
    if (cfg->t_ignition_min_s < t0_s) {
        return FB_E_RANGE;
    }
    if (zone != NULL && (zone->n < 3 || zone->n > FB_ZONE_MAX_VERTICES)) {
        return FB_E_RANGE;
    }
    c.m = m;
    c.entry = *entry;
    c.entry.n_fragments = entry->n_fragments > 1 ? 2 : 1;
    c.cfg = cfg;
    c.pcfg.hp_target_m = cfg->hp_target_m;
    c.pcfg.max_duration_s = cfg->max_duration_s;
    c.pcfg.tol_duration_s = cfg->tol_duration_s;
    c.pcfg.max_iterations = 200;
    c.t_min = cfg->t_ignition_min_s;
    c.hint = 0.0;
    c.n_predictions = 0;
    coast = *m;
    coast.burn_duration_s = 0.0;
    {
        double h0;
        if ((st = fb_frame_altitude_m(t0_s, y0, &h0)) != FB_OK) {
            return st == FB_E_RANGE ? FB_E_BELOW_GROUND : st;
        }
        if (h0 < 0.0) {
            return FB_E_BELOW_GROUND;
        }
    }
    if ((st = fb_orbit_propagate(&coast, &c.entry.tol, t0_s, y0, c.t_min, c.y_min)) != FB_OK) {
        return st;
    }
    span = cfg->t_ignition_max_s - cfg->t_ignition_min_s;

    /* secant search for a bracket, starting mid-window */
    xa = 0.5 * span;
    if ((st = final_fn(&c, xa, &fa)) != FB_OK) {
        return st;
    }
    for (it = 0; it < cfg->max_iterations; ++it) {
        if (fabs(fa) / slope <= 0.5 * cfg->tol_ignition_s) {
            root = xa;
            break;
        }
        xb = fb_clamp(xa - fa / slope, 0.0, span);
        if (xb == xa) {
            /* pinned at an edge of the window and the root lies beyond it */
            if (++edge_hits >= 2) {
                return FB_E_NO_SOLUTION;
            }
            xb = fa > 0.0 ? fmax(0.0, xa - 0.25 * span) : fmin(span, xa + 0.25 * span);
            if (xb == xa) {
                return FB_E_NO_SOLUTION;
            }
        }
        if ((st = final_fn(&c, xb, &fb)) != FB_OK) {
            return st;
        }
        if ((fa > 0.0) != (fb > 0.0) && fabs(fa) < TARGET_BRACKET_MAX_M && fabs(fb) < TARGET_BRACKET_MAX_M) {
            double lo = xa < xb ? xa : xb, hi = xa < xb ? xb : xa;
            double flo = xa < xb ? fa : fb, fhi = xa < xb ? fb : fa;
            st = brent(final_fn, &c, lo, hi, flo, fhi, cfg->tol_ignition_s, cfg->max_iterations - it, &root, &its);
            if (st != FB_OK) {
                return st;
            }
            break;
        }
        {
            double s_new = (fb - fa) / (xb - xa);
            if (s_new > 1000.0 && s_new < 20000.0) {
                slope = s_new;
            }
        }
        xa = xb;
        fa = fb;
    }
    if (isnan(root)) {
        return FB_E_NO_CONVERGENCE;
    }
    /* full prediction at the solution */
    if ((st = final_eval(&c, root, entry, &along)) != FB_OK) {
        return st;
    }
    out->t_ignition_s = c.t_min + root;
    out->duration_s = c.burn.duration_s;
    out->dv_mps = c.burn.dv_mps;
    out->propellant_kg = c.burn.propellant_kg;
    out->hp_after_m = c.burn.hp_after_m;
    out->ha_after_m = c.burn.ha_after_m;
    out->footprint = c.fp;
    if ((st = fb_target_miss(&c.fp, cfg->aim_lat_rad, cfg->aim_lon_rad, &out->miss_m, &out->miss_along_m,
                             &out->miss_cross_m)) != FB_OK) {
        return st;
    }
    out->inside_zone = 0;
    if (zone != NULL) {
        int all = 1;
        for (k = 0; k < c.fp.n_impacts && all; ++k) {
            int in;
            if ((st = fb_target_inside_zone(zone, c.fp.impact_lat_rad[k], c.fp.impact_lon_rad[k], &in)) != FB_OK) {
                return st;
            }
            all = in;
        }
        out->inside_zone = all;
    }
    out->iterations = it + its + 1;
    out->n_predictions = c.n_predictions;
    return FB_OK;
}
