/*
 * fb_batch.h - batch entry points: propagate or predict N dispersed cases in one call.
 *
 * Every case starts from a copy of the base force model; each non-NULL array of the dispersion overrides
 * one field with its i-th value. States are rows of 7 (r_eci_m, v_eci_mps, mass_kg). A case that fails
 * writes its status code to status[i] and NaN to its outputs; the call itself returns FB_OK unless its
 * arguments are unusable (NULL, n out of range).
 *
 * Prediction summary row (FB_BATCH_SUMMARY_LEN = 14 values):
 *   0 t_interface_s, 1 fpa_interface_rad, 2 t_breakup_s, 3 breakup_lat_rad, 4 breakup_lon_rad,
 *   5 heel_lat_rad, 6 heel_lon_rad, 7 toe_lat_rad, 8 toe_lon_rad, 9 length_m, 10 centre_lat_rad,
 *   11 centre_lon_rad, 12 v_interface_mps, 13 centre_bearing_rad.
 * Impacts: n x n_fragments x 3 values (lat_rad, lon_rad, t_s), fragments in order of ballistic coefficient.
 */
#ifndef FB_BATCH_H
#define FB_BATCH_H

#include "fb_entry.h"
#include "fb_orbit.h"
#include "fb_status.h"

/* FB_CDEF_BEGIN */
enum { FB_BATCH_SUMMARY_LEN = 14, FB_BATCH_MAX_CASES = 100000000 };

typedef struct {
    const double *cd;
    const double *area_m2;
    const double *atm_scale;
    const double *thrust_n;
    const double *isp_s;
    const double *burn_start_s;
    const double *burn_duration_s;
} fb_batch_dispersion;

fb_status fb_batch_propagate(const fb_force_model *base, const fb_batch_dispersion *disp, const fb_orbit_tol *tol,
                             int n, const double *t0_s, const double *y0, const double *t1_s, double *y1,
                             int *status);
fb_status fb_batch_predict(const fb_force_model *base, const fb_batch_dispersion *disp, const fb_entry_config *cfg,
                           int n, const double *t0_s, const double *y0, double *summary, double *impacts,
                           int *status);
/* FB_CDEF_END */

#endif
