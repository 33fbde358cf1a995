/*
 * fb_control.h - attitude control law and thruster allocation (symbol prefix fb_ctl_).
 *
 * Quaternion and frame conventions are those of fb_quat.h. All torques and forces are in body axes about
 * (through) the centre of mass; thruster geometry is given relative to the centre of mass.
 *
 * PD law (fb_ctl_pd_torque), a rate-limited quaternion-feedback PD:
 *     e      = rotvec(q_target_from_body)                          attitude error, rad (fb_quat_error)
 *     w_corr = -(kp_i / kd_i) e_i per axis, then scaled as a whole so |w_corr| <= rate_limit_rps
 *     w_cmd  = omega_ref_body_rps + w_corr                         commanded body rate
 *     tau_i  = kd_i (w_cmd_i - omega_body_rps_i)
 *     tau    = s tau, s = min(1, min_i torque_limit_nm_i / |tau_i|)
 * Below the rate limit this is tau = -kp e - kd (omega - omega_ref). A large error therefore slews at no
 * more than rate_limit_rps (plus the reference rate). The torque limit is per axis, applied by scaling the
 * whole vector (its direction is kept), so every |tau_i| <= torque_limit_nm_i.
 *
 * Allocation (fb_ctl_allocate): thruster k, fired for t_k seconds within a control cycle of cycle_s,
 * gives the cycle-average force f_k (t_k / T) d_k and torque (r_k x f_k d_k)(t_k / T). With u = t / T the
 * solver minimises
 *     |tau(u) - tau_cmd|^2 + force_weight_m^2 |F(u) - F_cmd|^2 + reg_nm2 |u|^2,   0 <= u_k <= 1
 * by accelerated projected gradient (FISTA with adaptive restart) with a step from the largest eigenvalue
 * of the 6x6 normal matrix (backtracking if that estimate is low), stopped when one projected step changes
 * the weighted output [tau; force_weight_m F] by less than tol * sqrt(lambda_max(A A^T)) (tol relative to
 * the largest output of a unit on-fraction vector) or after max_iter iterations. reg_nm2 (a small
 * positive number, N^2 m^2) makes the solution unique (the smallest on-times in the least-squares sense
 * among equally good ones). Minimum on-time: pulses shorter than min_on_s are ROUNDED, one decision at a
 * time. The longest short pulse (the first in layout order of those within 1e-12 of the longest
 * on-fraction, so that a symmetric layout's equal pulses are not told apart by rounding noise) goes to whichever of min_on_s and 0 gives the smaller objective with the
 * other on-times held, and is fixed there; the problem is then re-solved over the thrusters not yet fixed
 * (to the relative tolerance max(tol, 1e-8)), and once no short pulse is left, solved a last time to tol:
 * at most n + 2 solves in all. So every returned on-time is 0 or within [min_on_s, cycle_s], and the
 * thrusters left free compensate the rounding as far as they can (a greedy rounding, not the best
 * combination). Should the rounded result miss the command by more than firing nothing would, every
 * on-time is set to 0. The achieved torque and force are computed from the returned on-times.
 *
 * Each solve with reg_nm2 > 0 is first made exactly by a primal-dual active-set method: with the thrusters
 * at a bound held there, the optimum of the free ones is u_F = A_F^T y, (A_F A_F^T + reg I) y = b - A_B u_B
 * (a 6x6 system whatever the count of thrusters), and the next active set follows A^T y (a thruster
 * beyond its bound is bound there, a bound one whose gradient points into the box is freed); an unchanged
 * set meets the optimality conditions, so the result is the unique minimiser to rounding (tol then plays
 * no part). Should the sets not settle within 12 iterations (they can cycle among alike thrusters),
 * a primal active-set method (feasible iterates: a step towards the free optimum stops at the first
 * bound met; otherwise the bound thruster whose gradient points furthest into the box is freed) goes on
 * from that iterate for at most 3 n + 10 iterations; should that not end either (or reg_nm2 be 0, where
 * the minimiser need not be unique), the projected-gradient solve above goes on. An iteration is one 6x6
 * solve or one gradient step; max_iter caps each solve's sum.
 *
 * Warm start (fb_ctl_allocate_warm): the caller keeps an fb_ctl_alloc_warm between cycles, zeroed at
 * first (n = 0: no history). The first solve starts from its active set when its n equals the layout's,
 * and the set that solve ends on is stored back. The solution does not depend on the start (it is
 * unique), only the iterations it takes: one or two when the command changes little from cycle to cycle.
 *
 * Attitude step (fb_ctl_attitude_step), one control cycle of the flight software in one call:
 *   target   q_target_from_eci with +x body along -v_eci (retrograde) and +z body as near nadir (-r_eci)
 *            as that allows (rows of dcm_target_from_eci: x = -v/|v|, z = unit(n - (n.x) x) with
 *            n = -r/|r|, y = z cross x); its inertial rate omega_eci = (r x v) / |r|^2, in target axes
 *   errors   attitude_error_rad = |rotvec(q_target_from_body)|; thrust_axis_error_rad = the angle between
 *            +x body and the target's +x (atan2 of the cross and dot products)
 *   control  omega_ref_body = the target rate turned into body axes by the error rotation,
 *            torque = fb_ctl_pd_torque(q, q_target, omega_body, omega_ref_body), allocated with the given
 *            force command (warm-started when warm is not NULL)
 * With control = 0 only the target and the errors are computed (torque, on-times and the allocation's
 * outputs zero). FB_E_DEGENERATE when r or v is zero or they are parallel.
 */
#ifndef FB_CONTROL_H
#define FB_CONTROL_H

#include "fb_quat.h"
#include "fb_status.h"

/* FB_CDEF_BEGIN */
enum { FB_CTL_MAX_THRUSTERS = 64 };

typedef struct {
    double kp_nm_per_rad[3];   /* proportional gain per body axis, > 0 */
    double kd_nms_per_rad[3];  /* derivative gain per body axis, > 0 */
    double rate_limit_rps;     /* largest corrective body rate commanded, > 0 */
    double torque_limit_nm[3]; /* largest |torque| per body axis, > 0 */
} fb_ctl_pd_config;

typedef struct {
    int n;                          /* thrusters in use, 1..FB_CTL_MAX_THRUSTERS */
    double r_body_m[64][3];         /* position from the centre of mass, body axes, m */
    double dir_body[64][3];         /* unit thrust direction (force on the vehicle), body axes */
    double thrust_n[64];            /* thrust when on, N, > 0 */
} fb_ctl_thruster_layout;

typedef struct {
    double cycle_s;        /* control cycle T, s, > 0 */
    double min_on_s;       /* shortest pulse, s, in [0, T] */
    double force_weight_m; /* length that weighs force errors against torque errors, m, >= 0 */
    double reg_nm2;        /* Tikhonov weight on (t/T)^2, N^2 m^2, >= 0 */
    double tol;            /* relative stopping tolerance of each solve (see above), in (0, 1) */
    int max_iter;          /* iteration cap of each solve, 1..100000 */
} fb_ctl_alloc_config;

typedef struct {
    double on_time_s[64];          /* per thruster, 0 or in [min_on_s, cycle_s] */
    double torque_body_nm[3];      /* cycle-average torque achieved by on_time_s */
    double force_body_n[3];        /* cycle-average force achieved by on_time_s */
    double torque_residual_nm[3];  /* achieved minus commanded torque */
    double force_residual_n[3];    /* achieved minus commanded force */
    int iterations;                /* iterations used by all solves together */
    int converged;                 /* 1 when the first and the last solve met tol before max_iter */
} fb_ctl_alloc_result;

typedef struct {
    int n;        /* thrusters the stored set is for; 0: none (a cold start) */
    int set[64];  /* per thruster: -1 at its lower bound, 0 free, +1 at its upper bound */
} fb_ctl_alloc_warm;

typedef struct {
    double q_target_from_eci[4];    /* the retrograde target attitude, w >= 0 */
    double omega_target_rps[3];     /* the target frame's inertial rate in target axes */
    double omega_ref_body_rps[3];   /* the same rate in body axes (the PD law's reference rate) */
    double attitude_error_rad;      /* full angle between body and target, [0, pi] */
    double thrust_axis_error_rad;   /* angle between +x body and the target's +x, [0, pi] */
    double torque_cmd_body_nm[3];   /* the PD torque (zero without control) */
    fb_ctl_alloc_result alloc;      /* the allocation (zeroed without control) */
} fb_ctl_step_result;

/* Commanded body torque (N m) of the PD law above; FB_E_RANGE for a gain or limit that is not > 0. */
fb_status fb_ctl_pd_torque(const fb_ctl_pd_config *cfg, const double q_body_from_eci[4],
                           const double q_target_from_eci[4], const double omega_body_rps[3],
                           const double omega_ref_body_rps[3], double torque_body_nm[3]);

/* Thruster on-times for a commanded cycle-average body torque (N m) and force (N); see above.
 * FB_E_RANGE for a bad count, thrust, cycle, minimum on-time, weight, tolerance or cap, and for a weighted
 * command more than 1e6 times sqrt(lambda_max(A A^T)) (a million times the whole layout's output);
 * FB_E_DEGENERATE for a thrust direction that is not a unit vector within 1e-6. */
fb_status fb_ctl_allocate(const fb_ctl_thruster_layout *layout, const fb_ctl_alloc_config *cfg,
                          const double torque_cmd_body_nm[3], const double force_cmd_body_n[3],
                          fb_ctl_alloc_result *result);

/* fb_ctl_allocate warm-started from and storing into warm (see above; NULL: a cold start). FB_E_RANGE for a
 * warm n outside 0..FB_CTL_MAX_THRUSTERS or a set value outside -1..1. */
fb_status fb_ctl_allocate_warm(const fb_ctl_thruster_layout *layout, const fb_ctl_alloc_config *cfg,
                               fb_ctl_alloc_warm *warm, const double torque_cmd_body_nm[3],
                               const double force_cmd_body_n[3], fb_ctl_alloc_result *result);

/* The retrograde target attitude and its rate in target axes (see above). */
fb_status fb_ctl_retrograde_target(const double r_eci_m[3], const double v_eci_mps[3],
                                   double q_target_from_eci[4], double omega_target_rps[3]);

/* One control cycle (see above): target, errors and, when control is 1, PD torque and allocation. The
 * status of the first part that fails; FB_E_RANGE for control other than 0 or 1. */
fb_status fb_ctl_attitude_step(const fb_ctl_pd_config *pd, const fb_ctl_thruster_layout *layout,
                               const fb_ctl_alloc_config *alloc, fb_ctl_alloc_warm *warm, int control,
                               const double q_body_from_eci[4], const double omega_body_rps[3],
                               const double r_eci_m[3], const double v_eci_mps[3],
                               const double force_cmd_body_n[3], fb_ctl_step_result *result);
/* FB_CDEF_END */

#endif
