/*
 * fb_batch.c - batch propagation and prediction over arrays of dispersed cases (see fb_batch.h).
 */
#include "fb_batch.h"

#include <math.h>
#include <stddef.h>

static void case_model(const fb_force_model *base, const fb_batch_dispersion *d, int i, fb_force_model *m)
{
    *m = *base;
    if (d == NULL) {
        return;
    }
    if (d->cd != NULL) {
        m->cd = d->cd[i];
    }
    if (d->area_m2 != NULL) {
        m->area_m2 = d->area_m2[i];
    }
    if (d->atm_scale != NULL) {
        m->atm.scale = d->atm_scale[i];
    }
    if (d->thrust_n != NULL) {
        m->thrust_n = d->thrust_n[i];
    }
    if (d->isp_s != NULL) {
        m->isp_s = d->isp_s[i];
    }
    if (d->burn_start_s != NULL) {
        m->burn_start_s = d->burn_start_s[i];
    }
    if (d->burn_duration_s != NULL) {
        m->burn_duration_s = d->burn_duration_s[i];
    }
}

fb_status fb_batch_propagate(const fb_force_model *base, const fb_batch_dispersion *disp, const fb_orbit_tol *tol,
                             int n, const double *t0_s, const double *y0, const double *t1_s, double *y1,
                             int *status)
{
    int i, k;
    if (base == NULL || tol == NULL || t0_s == NULL || y0 == NULL || t1_s == NULL || y1 == NULL ||
        status == NULL) {
        return FB_E_NULL;
    }
    if (n < 0 || n > FB_BATCH_MAX_CASES) {
        return FB_E_RANGE;
    }
    for (i = 0; i < n; ++i) {
        fb_force_model m;
        case_model(base, disp, i, &m);
        status[i] = (int)fb_orbit_propagate(&m, tol, t0_s[i], y0 + 7 * i, t1_s[i], y1 + 7 * i);
        if (status[i] != FB_OK) {
            for (k = 0; k < 7; ++k) {
                y1[7 * i + k] = NAN;
            }
        }
    }
    return FB_OK;
}

fb_status fb_batch_predict(const fb_force_model *base, const fb_batch_dispersion *disp, const fb_entry_config *cfg,
                           int n, const double *t0_s, const double *y0, double *summary, double *impacts,
                           int *status)
{
    int i, k, nf;
    fb_status st;
    if (base == NULL || cfg == NULL || t0_s == NULL || y0 == NULL || summary == NULL || impacts == NULL ||
        status == NULL) {
        return FB_E_NULL;
    }
    if (n < 0 || n > FB_BATCH_MAX_CASES) {
        return FB_E_RANGE;
    }
    if ((st = fb_entry_check_config(cfg)) != FB_OK) {
        return st;
    }
    nf = cfg->n_fragments;
    for (i = 0; i < n; ++i) {
        fb_force_model m;
        fb_entry_result r;
        double *s = summary + FB_BATCH_SUMMARY_LEN * i;
        double *imp = impacts + 3 * nf * i;
        case_model(base, disp, i, &m);
        status[i] = (int)fb_entry_predict(&m, cfg, t0_s[i], y0 + 7 * i, &r);
        if (status[i] != FB_OK) {
            for (k = 0; k < FB_BATCH_SUMMARY_LEN; ++k) {
                s[k] = NAN;
            }
            for (k = 0; k < 3 * nf; ++k) {
                imp[k] = NAN;
            }
            continue;
        }
        s[0] = r.t_interface_s;
        s[1] = r.fpa_interface_rad;
        s[2] = r.t_breakup_s;
        s[3] = r.breakup_lat_rad;
        s[4] = r.breakup_lon_rad;
        s[5] = r.heel_lat_rad;
        s[6] = r.heel_lon_rad;
        s[7] = r.toe_lat_rad;
        s[8] = r.toe_lon_rad;
        s[9] = r.length_m;
        s[10] = r.centre_lat_rad;
        s[11] = r.centre_lon_rad;
        s[12] = r.v_interface_mps;
        s[13] = r.centre_bearing_rad;
        for (k = 0; k < nf; ++k) {
            imp[3 * k] = r.impact_lat_rad[k];
            imp[3 * k + 1] = r.impact_lon_rad[k];
            imp[3 * k + 2] = r.impact_t_s[k];
        }
    }
    return FB_OK;
}
