/*
 * fb_rigid.h - the coupled six-degree-of-freedom rigid-body step of the truth simulation (the plant).
 *
 * State y[FB_RB_NSTATE] (t_s: UTC seconds since J2000):
 *   y[0..2]   r_eci_m          position of the centre of mass, ECI
 *   y[3..5]   v_eci_mps        velocity, ECI
 *   y[6..9]   q_body_from_eci  attitude, [w, x, y, z] (the convention of fb_quat.h)
 *   y[10..12] omega_body_rps   body rate relative to ECI, body axes
 *   y[13]     mass_kg
 *   y[14..16] theta_body_rad   integral of omega_body_rps since the start (what a perfect gyro integrates)
 *   y[17..19] dv_body_mps      integral of the non-gravitational specific force (thrust and drag over
 *                              mass) in body axes (what a perfect accelerometer integrates)
 *
 * Dynamics (caller-owned fb_rb_model; thrust from fb_rb_thrust, constant over one fb_rb_propagate call, or
 * from the open valves of an fb_rb_thruster_set in fb_rb_propagate_valves):
 *   r' = v
 *   v' = g(r) + a_drag + dcm_eci_from_body f_thrust / m
 *        g: fb_grav_accel (J2-J4); a_drag = -rho Cd A / (2 m) |v_rel| v_rel, v_rel = v - omega_e x r (the
 *        atmosphere co-rotates with the Earth about +z); rho from fb_atm_density at the geodetic altitude
 *   q' = 1/2 [0, -omega] (x) q       (so that q(t + dt) = q_from_rotvec(-omega dt) (x) q(t), fb_quat.h)
 *   omega' = I^-1 (tau - omega x I omega),
 *        tau = tau_thrust + cop x f_drag_body + 3 GM / |r|^5 (r_b x I r_b)   (r_b = r in body axes)
 *   m' = -mdot
 *   theta' = omega;   dv' = f_thrust / m + a_drag_body
 * The inertia is constant (the propellant is 3.5 % of the mass of the stack; its inertia and centre of
 * mass shift are neglected). fb_rb_propagate holds the thrust force, torque and mass flow constant (the
 * caller splits at valve transitions); fb_rb_propagate_valves does the splitting itself, at every valve
 * closing and at propellant exhaustion, so that each RK4 step sees constant thrust.
 *
 * Integration: classical RK4 in equal steps no longer than h_max_s, the attitude quaternion renormalised
 * after each step. With h_stop_m finite the integration stops early where the geodetic altitude first falls
 * to h_stop_m: the step that crosses it is located by bisection on the step length (each trial one RK4 step
 * from the start of that step), to within 1e-6 s.
 */
#ifndef FB_RIGID_H
#define FB_RIGID_H

#include "fb_atmos.h"
#include "fb_gravity.h"
#include "fb_status.h"

/* FB_CDEF_BEGIN */
enum { FB_RB_NSTATE = 20, FB_RB_MAX_STEPS = 100000000, FB_RB_MAX_THRUSTERS = 64 };

typedef struct {
    fb_grav_model grav;
    fb_atm_model atm;
    double omega_earth_rad_s;    /* rotation rate of the Earth and its atmosphere, |.| <= 1e-3 */
    int drag_on;                 /* 0 switches drag and the aerodynamic torque off */
    int gravity_gradient_on;     /* 0 switches the gravity-gradient torque off */
    double cd;                   /* drag coefficient, >= 0 */
    double area_m2;              /* drag reference area, >= 0 */
    double cop_body_m[3];        /* centre of pressure from the centre of mass, body axes */
    double inertia_kg_m2[9];     /* about the centre of mass, body axes, row-major, symmetric positive definite */
} fb_rb_model;

typedef struct {
    double force_body_n[3];      /* total thrust force on the vehicle, body axes */
    double torque_body_nm[3];    /* its moment about the centre of mass, body axes */
    double mdot_kg_s;            /* propellant mass flow, >= 0 */
} fb_rb_thrust;

/* Thrusters, each with the force (N, body axes), the moment about the centre of mass (N m, body axes) and the
   propellant flow (kg/s, >= 0) it produces while its valve is open. */
typedef struct {
    int n;                       /* 0 to FB_RB_MAX_THRUSTERS */
    double force_body_n[64][3];
    double torque_body_nm[64][3];
    double mdot_kg_s[64];
} fb_rb_thruster_set;

/* Check a model: finite, cd and area >= 0, inertia symmetric (1e-9 relative) and positive definite. */
fb_status fb_rb_check_model(const fb_rb_model *m);
/* State derivative at (t_s, y). FB_E_RANGE for a position within 50 km of the centre, a mass that is not
   positive, a zero quaternion or a negative mass flow. */
fb_status fb_rb_deriv(const fb_rb_model *m, const fb_rb_thrust *th, double t_s, const double y[20],
                      double dydt[20]);
/* Integrate from (t0_s, y0) to t1_s >= t0_s (see above). t_end_s is t1_s, or the time where the altitude
   reached h_stop_m (stopped = 1; h_stop_m = -inf never stops). y1 may alias y0. FB_E_RANGE for
   h_max_s <= 0, t1 < t0, a negative mass flow, more than FB_RB_MAX_STEPS steps, a start below h_stop_m, or
   a state that leaves the domain of fb_rb_deriv. */
fb_status fb_rb_propagate(const fb_rb_model *m, const fb_rb_thrust *th, double t0_s, const double y0[20],
                          double t1_s, double h_max_s, double h_stop_m, double *t_end_s, double y1[20],
                          int *stopped);
/* Check a thruster set: n in range, finite, mass flows >= 0. */
fb_status fb_rb_check_thrusters(const fb_rb_thruster_set *ts);
/* Integrate from (t0_s, y0) to t1_s with thruster i producing its force, torque and flow while
   t < open_until_s[i] (n entries; -inf: closed), splitting the integration exactly at every valve closing
   and where the propellant (mass above dry_mass_kg) runs out, after which no thruster produces anything
   (less than 1e-6 kg, FB_RB_EMPTY_KG, counts as empty). Each segment is integrated as fb_rb_propagate does, with the
   same altitude stop. open_s[i] is increased by the time thruster i produced thrust. FB_E_RANGE as for
   fb_rb_propagate, or for a negative dry mass. */
fb_status fb_rb_propagate_valves(const fb_rb_model *m, const fb_rb_thruster_set *ts, const double *open_until_s,
                                 double dry_mass_kg, double t0_s, const double y0[20], double t1_s,
                                 double h_max_s, double h_stop_m, double *t_end_s, double y1[20], int *stopped,
                                 double *open_s);
/* Energy per unit mass (J/kg) of the translational state in the model's zonal field: |v|^2 / 2 + U(r), with
   U = -GM/r [1 - sum_{n=2..4} J_n (R/r)^n P_n(z/r)]. Conserved without drag and thrust. */
fb_status fb_rb_orbit_energy(const fb_grav_model *g, const double r_eci_m[3], const double v_eci_mps[3],
                             double *e_j_kg);
/* FB_CDEF_END */

#define FB_RB_EMPTY_KG 1e-6

#endif
