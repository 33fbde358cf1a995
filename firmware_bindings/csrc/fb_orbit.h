/*
 * fb_orbit.h - orbit propagation with gravity, drag and finite thrust; orbital elements.
 *
 * State: y = {r_eci_m[3], v_eci_mps[3], mass_kg}, seven components, t_s UTC seconds since J2000.
 * Force model (caller-owned fb_force_model):
 * - gravity: fb_grav_accel with the model's J2-J4 (zero a term to switch it off);
 * - drag: a = -rho Cd A / (2 m) |v_rel| v_rel with v_rel = v - omega x r (atmosphere co-rotating with the
 *   Earth, omega along +z), rho from fb_atm_density. The altitude handed to the atmosphere is the height
 *   above the WGS-84 ellipsoid measured along the geocentric radius, |r| - R(geocentric latitude), a closed
 *   form within 1 m of the geodetic height below 200 km; events use the exact geodetic altitude;
 * - thrust: during [burn_start_s, burn_start_s + burn_duration_s) a thrust of thrust_n along
 *   -v / |v| (FB_THRUST_RETRO_INERTIAL: opposite the ECI velocity) or -v_rel / |v_rel|
 *   (FB_THRUST_RETRO_RELATIVE: opposite the velocity relative to the rotating atmosphere), with mass flow
 *   dm/dt = -thrust_n / (isp_s g0), g0 = 9.80665 m/s^2. The adaptive propagator splits its integration at
 *   ignition and cutoff so that the discontinuities fall on step boundaries.
 * Orbital elements: {a_m, e, i_rad, raan_rad, argp_rad, nu_rad} (osculating, elliptic only). For a
 * circular orbit (e < 1e-11) argp is 0 and nu is the argument of latitude; for an equatorial orbit raan is
 * 0 and argp is measured from +x. Apsis altitudes are r_p - re_m and r_a - re_m (re_m the gravity model's
 * reference radius, the equatorial radius), the usual convention for perigee height.
 */
#ifndef FB_ORBIT_H
#define FB_ORBIT_H

#include "fb_atmos.h"
#include "fb_gravity.h"
#include "fb_ode.h"
#include "fb_status.h"

/* FB_CDEF_BEGIN */
enum { FB_ORBIT_NSTATE = 7 };

typedef enum {
    FB_THRUST_RETRO_INERTIAL = 0,
    FB_THRUST_RETRO_RELATIVE = 1
} fb_thrust_law;

typedef struct {
    fb_grav_model grav;
    fb_atm_model atm;
    double omega_earth_rad_s;    /* rotation rate of the Earth and its atmosphere */
    int drag_on;                 /* 0 switches drag off */
    double cd;                   /* drag coefficient */
    double area_m2;              /* drag reference area */
    double burn_start_s;         /* ignition, t_s */
    double burn_duration_s;      /* 0: no burn */
    double thrust_n;
    double isp_s;
    int thrust_law;              /* an fb_thrust_law */
    double dry_mass_kg;          /* a burn that would take the mass below this is rejected (FB_E_NO_SOLUTION) */
} fb_force_model;

typedef struct {
    double rtol;                 /* relative tolerance of the adaptive pair */
    double atol_r_m;             /* absolute tolerance on position components */
    double atol_v_mps;           /* absolute tolerance on velocity components */
    double atol_m_kg;            /* absolute tolerance on mass */
    double h_max_s;              /* largest step */
    int max_steps;               /* step budget of one propagation (every segment together) */
    double event_tol_s;          /* time tolerance of altitude events */
} fb_orbit_tol;

/* The campaign stack: default gravity (J2-J4), exponential atmosphere scale 1, omega 7.292115e-5 rad/s,
   drag on, Cd 2.2, area 2,500 m^2, no burn, thrust 12,000 N, Isp 300 s, inertial retrograde, dry mass 0. */
fb_status fb_orbit_default_model(fb_force_model *m);
/* rtol 1e-10, atol 1e-4 m, 1e-7 m/s, 1e-6 kg, h_max 600 s, 200,000 steps, event_tol 1e-5 s. */
fb_status fb_orbit_default_tol(fb_orbit_tol *tol);

/* Check a force model: finite, physically meaningful (FB_E_NONFINITE or FB_E_RANGE otherwise). */
fb_status fb_orbit_check_model(const fb_force_model *m);
/* State derivative dydt at (t_s, y). FB_E_RANGE for a position within 50 km of the Earth's centre or a
   mass that is not positive. */
fb_status fb_orbit_deriv(const fb_force_model *m, double t_s, const double y[7], double dydt[7]);

/* Adaptive propagation from (t0_s, y0) to t1_s >= t0_s. */
fb_status fb_orbit_propagate(const fb_force_model *m, const fb_orbit_tol *tol, double t0_s, const double y0[7],
                             double t1_s, double y1[7]);
/* Fixed-step RK4 propagation in n_steps equal steps (the thrust arc is not split: choose steps so that
   ignition and cutoff fall on step boundaries when that matters). */
fb_status fb_orbit_propagate_rk4(const fb_force_model *m, double t0_s, const double y0[7], double t1_s,
                                 int n_steps, double y1[7]);
/* Propagate until the geodetic altitude crosses h_target_m in the given direction (-1 descending, +1
   ascending, 0 either) or t_max_s is reached. found = 1 with the event time and state, or found = 0 with
   t_event_s = t_max_s and the state there. */
fb_status fb_orbit_propagate_to_altitude(const fb_force_model *m, const fb_orbit_tol *tol, double t0_s,
                                         const double y0[7], double t_max_s, double h_target_m, int direction,
                                         double *t_event_s, double y_event[7], int *found);

fb_status fb_orbit_elements_from_state(double gm_m3_s2, const double r_eci_m[3], const double v_eci_mps[3],
                                       double elements[6]);
fb_status fb_orbit_state_from_elements(double gm_m3_s2, const double elements[6], double r_eci_m[3],
                                       double v_eci_mps[3]);
/* Perigee and apogee altitudes (r_p - re_m, r_a - re_m) of the osculating ellipse. */
fb_status fb_orbit_apsis_altitudes(double gm_m3_s2, double re_m, const double r_eci_m[3],
                                   const double v_eci_mps[3], double *hp_m, double *ha_m);
/* Inertial flight-path angle (angle of v above the local horizontal), radians. */
fb_status fb_orbit_flight_path_angle(const double r_eci_m[3], const double v_eci_mps[3], double *fpa_rad);
/* FB_CDEF_END */

/* Internal to the core (not bound): the derivative without argument checks, thrust on or off as given. */
fb_status fb_orbit_deriv_fast(const fb_force_model *m, int thrust_on, double t_s, const double *y, double *dydt);
/* Height above the WGS-84 ellipsoid along the geocentric radius, the altitude handed to the atmosphere. */
double fb_orbit_radial_altitude_m(const double r_m[3]);

#endif
