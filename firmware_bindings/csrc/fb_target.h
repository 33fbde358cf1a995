/*
 * fb_target.h - burn targeting: a perigee-lowering burn to a target perigee, and the final deorbit burn
 * whose predicted footprint centre lands on an aim point along the ground track; target zone test.
 *
 * Burns are retrograde (the force model's thrust law) with the model's thrust, Isp and dry mass; the
 * model's own burn fields are ignored and replaced by the solved burn.
 * Perigee burn: for a given ignition time, the burn duration d in [0, max_duration_s] whose osculating
 * perigee altitude at cutoff (fb_orbit_apsis_altitudes) equals hp_target_m; bracketed on [0, max] and
 * solved with Brent's method to tol_duration_s. FB_E_NO_SOLUTION when the perigee at ignition is already
 * at or below the target or the longest burn does not reach it.
 * Final burn: for every trial ignition time t the duration is the perigee solution for hp_target_m, and
 * F(t) is the along-track miss of the predicted footprint centre from the aim point: the ground track is
 * taken as the great circle through the centre along its heel-to-toe bearing; the along-track miss is the
 * arc from the aim point's projection on it to the centre (positive when the centre lies downrange), the
 * cross-track miss the aim point's distance from it (positive when the aim point lies to the left of the
 * track, that is when the footprint passes to its right). F grows with t at about the ground speed. The solver steps by secant from the middle of the window
 * [t_ignition_min_s, t_ignition_max_s] until it brackets a sign change of F within 5,000 km of the aim
 * point, then refines with Brent's method to tol_ignition_s. During the search the footprint uses two
 * fragments (beta_min and beta_max: heel and toe); the reported footprint is a full prediction at the
 * solution. FB_E_NO_SOLUTION when the window holds no solution, FB_E_NO_CONVERGENCE when the iteration
 * bound is reached.
 * Zone: a polygon of at most 64 vertices in geodetic latitude and longitude, not enclosing a pole and
 * spanning less than 180 deg of longitude; longitudes are unwrapped about the first vertex.
 */
#ifndef FB_TARGET_H
#define FB_TARGET_H

#include "fb_entry.h"
#include "fb_orbit.h"
#include "fb_status.h"

/* FB_CDEF_BEGIN */
enum { FB_ZONE_MAX_VERTICES = 64 };

typedef struct {
    int n;                       /* 3 to 64 vertices */
    double lat_rad[64];
    double lon_rad[64];
} fb_zone;

typedef struct {
    double hp_target_m;          /* perigee altitude after the burn */
    double max_duration_s;       /* longest burn allowed */
    double tol_duration_s;       /* duration tolerance, > 0 */
    int max_iterations;          /* 1 to 1000 */
} fb_target_perigee_config;

typedef struct {
    double duration_s;
    double hp_after_m, ha_after_m;
    double dv_mps;               /* ideal rocket equation: Isp g0 ln(m0 / m1) */
    double propellant_kg;
    double y_cutoff[7];          /* state at cutoff */
    int iterations;
} fb_target_perigee_result;

typedef struct {
    double aim_lat_rad, aim_lon_rad;
    double hp_target_m;          /* perigee target of the final burn, about 50 km */
    double t_ignition_min_s, t_ignition_max_s;
    double max_duration_s;
    double tol_ignition_s;       /* ignition-time tolerance, > 0 */
    double tol_duration_s;
    int max_iterations;          /* bound on outer iterations, 1 to 1000 */
} fb_target_final_config;

typedef struct {
    double t_ignition_s;
    double duration_s;
    double dv_mps;
    double propellant_kg;
    double hp_after_m, ha_after_m;
    double miss_m;               /* great-circle distance from aim point to footprint centre */
    double miss_along_m;         /* along-track miss (positive: centre downrange of the aim point) */
    double miss_cross_m;         /* cross-track miss (positive: aim point left of the track) */
    int inside_zone;             /* 1 when every impact lies inside the zone (0 when no zone was given) */
    int iterations;
    int n_predictions;
    fb_entry_result footprint;
} fb_target_final_result;

fb_status fb_target_inside_zone(const fb_zone *zone, double lat_rad, double lon_rad, int *inside);
/* Distance, along-track and cross-track miss of the footprint centre from an aim point. */
fb_status fb_target_miss(const fb_entry_result *fp, double aim_lat_rad, double aim_lon_rad, double *miss_m,
                         double *along_m, double *cross_m);
fb_status fb_target_perigee_burn(const fb_force_model *m, const fb_orbit_tol *tol,
                                 const fb_target_perigee_config *cfg, double t0_s, const double y0[7],
                                 double t_ignition_s, fb_target_perigee_result *out);
fb_status fb_target_final_burn(const fb_force_model *m, const fb_entry_config *entry,
                               const fb_target_final_config *cfg, const fb_zone *zone, double t0_s,
                               const double y0[7], fb_target_final_result *out);
/* FB_CDEF_END */

#endif
