/*
 * fb_entry.h - re-entry and debris footprint prediction.
 *
 * From a state (and the optional planned burn held in the force model) the stack is propagated with the
 * full force model to the entry interface (geodetic altitude h_interface_m, descending) and on to breakup
 * (h_breakup_m, descending). At breakup n_fragments fragments start from the stack's state with ballistic
 * coefficients beta = m / (Cd A) log-spaced from beta_min to beta_max; each is propagated to the ground
 * (geodetic altitude 0, the WGS-84 ellipsoid) with a cheaper model: point mass plus J2 and drag (J3 and
 * J4 off, no thrust), at the looser tolerance fragment_tol.
 *
 * Footprint: impacts are ordered by their along-track distance from the breakup point (the great-circle
 * distance projected on the ground-track direction at breakup). The heel is the impact with the least
 * along-track distance (the light fragments), the toe the one with the greatest (the dense fragments),
 * the length is the great-circle distance from heel to toe, and the footprint centre is the great-circle
 * midpoint of heel and toe. Distances are on the sphere of fb_frame_great_circle (mean radius
 * 6,371,008.8 m) over geodetic latitude and longitude.
 * The flight-path angle at the interface is inertial (angle of the ECI velocity above the local
 * horizontal plane normal to the geocentric radius).
 */
#ifndef FB_ENTRY_H
#define FB_ENTRY_H

#include "fb_orbit.h"
#include "fb_status.h"

/* FB_CDEF_BEGIN */
enum { FB_ENTRY_MAX_FRAGMENTS = 64 };

typedef struct {
    double h_interface_m;        /* entry interface, default 120 km */
    double h_breakup_m;          /* main breakup, default 78 km; below h_interface_m */
    double beta_min_kg_m2;       /* lightest fragment, default 5 kg/m^2 */
    double beta_max_kg_m2;       /* densest fragment, default 2,000 kg/m^2 */
    int n_fragments;             /* 1 to 64, default 16 */
    double max_coast_s;          /* horizon from the start to the interface, and on to breakup; default 3 days */
    double max_fall_s;           /* horizon of each fragment from breakup to the ground; default 2 h */
    double terminal_drift_m;     /* terminal-phase switch (see above); default 10 m, 0 disables */
    fb_orbit_tol tol;            /* stack propagation */
    fb_orbit_tol fragment_tol;   /* fragment propagation */
} fb_entry_config;

typedef struct {
    double t_interface_s;
    double fpa_interface_rad;    /* inertial flight-path angle at the interface (negative descending) */
    double v_interface_mps;      /* inertial speed at the interface */
    double y_interface[7];       /* ECI state and mass at the interface */
    double t_breakup_s;
    double breakup_lat_rad, breakup_lon_rad, breakup_h_m;
    double y_breakup[7];
    double track_bearing_rad;    /* ground-track direction at breakup, clockwise from north */
    int n_impacts;
    double beta_kg_m2[64];
    double impact_t_s[64];
    double impact_lat_rad[64];
    double impact_lon_rad[64];
    double impact_along_m[64];   /* along-track distance from the breakup point */
    int heel_index, toe_index;
    double heel_lat_rad, heel_lon_rad;
    double toe_lat_rad, toe_lon_rad;
    double length_m;
    double centre_lat_rad, centre_lon_rad;
    double centre_bearing_rad;   /* heel-to-toe direction at the centre, clockwise from north */
} fb_entry_result;

/* Defaults as listed above; tol: rtol 1e-9, atol 1 mm and 1e-6 m/s, event_tol 1e-4 s, otherwise
   fb_orbit_default_tol; fragment_tol: rtol 1e-6, atol 1 mm and 1e-6 m/s, h_max 120 s, 20,000 steps,
   event_tol 1e-4 s. With these, impact points lie within about 100 m of a tight full integration
   (tests/verification/test_orbit_verification.py). */
fb_status fb_entry_default_config(fb_entry_config *cfg);
fb_status fb_entry_check_config(const fb_entry_config *cfg);
/* Predict interface, breakup and footprint. FB_E_BELOW_GROUND for a start below the ground, FB_E_RANGE for a
   start at or below the interface, FB_E_NO_SOLUTION when the stack does not reach the interface or breakup
   within max_coast_s or a burn exceeds the propellant (dry_mass_kg). */
fb_status fb_entry_predict(const fb_force_model *m, const fb_entry_config *cfg, double t0_s, const double y0[7],
                           fb_entry_result *out);
/* Great-circle midpoint of two points (geodetic latitude and longitude treated as spherical). */
fb_status fb_entry_midpoint(double lat1_rad, double lon1_rad, double lat2_rad, double lon2_rad, double *lat_rad,
                            double *lon_rad);
/* FB_CDEF_END */

#endif
