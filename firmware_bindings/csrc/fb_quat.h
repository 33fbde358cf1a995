/*
 * fb_quat.h - quaternion algebra and attitude kinematics (symbol prefix fb_quat_).
 *
 * Convention, fixed for the whole project:
 *
 *   - A quaternion is double[4] = [w, x, y, z], scalar first. Products are Hamilton products
 *     (i*j = k, i*j*k = -1).
 *   - q_a_from_b takes components in frame b to components in frame a:
 *         [0, v_a] = q_a_from_b (x) [0, v_b] (x) conj(q_a_from_b)
 *     and composes left to right as frames chain: q_a_from_c = q_a_from_b (x) q_b_from_c.
 *   - dcm_a_from_b is double[9], row-major (m[3*i + j] is row i, column j), with v_a = dcm_a_from_b v_b.
 *     It is the matrix of q_a_from_b (the same matrix as scipy's Rotation.from_quat([x, y, z, w])).
 *   - A rotation vector (axis times angle, rad) rv gives q = [cos(|rv|/2), sin(|rv|/2) rv/|rv|]. Frame b
 *     is frame a turned by the right-hand angle |rv| about rv (components of rv are the same in a and b).
 *   - Body rate omega_body_rps is the rate of the body frame relative to the inertial (ECI) frame, in body
 *     components. Over an interval in which the body turns by the delta-angle dtheta_body_rad (body
 *     components; for a constant rate, omega_body_rps * dt_s):
 *         q_body_from_eci(t + dt) = q_from_rotvec(-dtheta_body_rad) (x) q_body_from_eci(t)
 *     equivalently q_eci_from_body(t + dt) = q_eci_from_body(t) (x) q_from_rotvec(dtheta_body_rad), the
 *     exact solution of dq_eci_from_body/dt = 1/2 q_eci_from_body (x) [0, omega_body_rps] for a constant
 *     rate.
 *   - Functions that return a rotation (from_dcm, error, from_rotvec, from_axis_angle, propagate, slerp,
 *     normalise) return a unit quaternion; from_dcm and error return the representative with w >= 0.
 *
 * Every function works on n elements at once (n >= 0; arrays are n consecutive quaternions, vectors or
 * matrices) and returns FB_OK or the first error met; on an error the outputs are unspecified. Inputs
 * that stand for a rotation (rotate, to_dcm, to_rotvec, error, propagate, slerp) may have any finite,
 * non-zero norm and are normalised first; a quaternion whose squared norm is zero or underflows is
 * FB_E_DEGENERATE, one whose squared norm overflows FB_E_RANGE (as is a rotation vector whose norm
 * overflows). NaN or infinity anywhere in an input is FB_E_NONFINITE; a negative n is FB_E_RANGE.
 * multiply and conjugate are plain algebra and do not normalise. Outputs may not alias inputs unless a
 * function says so.
 */
#ifndef FB_QUAT_H
#define FB_QUAT_H

#include "fb_status.h"

/* FB_CDEF_BEGIN */
/* out = a (x) b (Hamilton product). */
fb_status fb_quat_multiply(int n, const double *a, const double *b, double *out);

/* out = conj(q) = [w, -x, -y, -z]. */
fb_status fb_quat_conjugate(int n, const double *q, double *out);

/* out = q / |q|; FB_E_DEGENERATE for a zero quaternion. */
fb_status fb_quat_normalize(int n, const double *q, double *out);

/* v_a = q_a_from_b applied to v_b (q normalised first). */
fb_status fb_quat_rotate(int n, const double *q_a_from_b, const double *v_b, double *v_a);

/* dcm_a_from_b (row-major 3x3) of q_a_from_b (q normalised first). */
fb_status fb_quat_to_dcm(int n, const double *q_a_from_b, double *dcm_a_from_b);

/* q_a_from_b (w >= 0) of dcm_a_from_b by Shepperd's method (the best-conditioned of four formulas).
 * FB_E_RANGE unless the matrix is a rotation within 1e-6 (max |M^T M - I| and |det M - 1|). */
fb_status fb_quat_from_dcm(int n, const double *dcm_a_from_b, double *q_a_from_b);

/* Rotation by angle_rad (right-handed) about axis (any non-zero length; FB_E_DEGENERATE if zero). */
fb_status fb_quat_from_axis_angle(int n, const double *axis, const double *angle_rad, double *q);

/* q of a rotation vector (rad); a series is used below 1e-4 rad, so it is smooth through zero. */
fb_status fb_quat_from_rotvec(int n, const double *rotvec_rad, double *q);

/* Rotation vector (rad, angle in [0, pi]) of q (normalised, sign chosen so that w >= 0). */
fb_status fb_quat_to_rotvec(int n, const double *q, double *rotvec_rad);

/* Error quaternion q_target_from_body = q_target_from_eci (x) conj(q_body_from_eci), with w >= 0. Its
 * rotation vector e is the attitude error: the body frame is the target frame turned by e (components of e
 * are the same in both frames), so a body turning at omega_body_rps away from the target for dt has
 * e = omega_body_rps * dt, and a controller turns the body by -e. */
fb_status fb_quat_error(int n, const double *q_body_from_eci, const double *q_target_from_eci,
                        double *q_target_from_body);

/* q_body_from_eci after the body turns by the delta-angle dtheta_body_rad (see the convention above). */
fb_status fb_quat_propagate(int n, const double *q_body_from_eci, const double *dtheta_body_rad,
                            double *q_body_from_eci_next);

/* One IMU interval in one call: q_body_from_eci_next as fb_quat_propagate, and a vector measured over the
 * interval in body axes (a delta-velocity) in ECI components, rotated with the mid-interval attitude
 * q_mid = fb_quat_propagate(q, dtheta / 2): v_eci = conj(q_mid) applied to v_body. */
fb_status fb_quat_imu_step(int n, const double *q_body_from_eci, const double *dtheta_body_rad,
                           const double *v_body, double *q_body_from_eci_next, double *v_eci);

/* Spherical interpolation from q0 (t = 0) to q1 (t = 1) along the shorter arc at a constant angular rate:
 * q0 (x) q_from_rotvec(t * rotvec(conj(q0) (x) q1)), with the sign of q1 chosen so the arc is <= 180 deg.
 * t may be any finite number (outside [0, 1] it extrapolates at the same rate; FB_E_RANGE if t times the
 * arc overflows). */
fb_status fb_quat_slerp(int n, const double *q0, const double *q1, const double *t, double *q);

/* q_a_from_b (w >= 0) from two directions known in both frames (TRIAD): the primary u_b is carried exactly
 * onto the direction of u_a, and the secondary v_b into the half-plane spanned by u_a and v_a on v_a's
 * side. Vectors may have any non-zero length; FB_E_DEGENERATE when a primary and its secondary are parallel
 * (sine of their angle below 1e-12) or zero. For a burn attitude: u_b = +x body, u_a = the thrust
 * direction in ECI, giving q_eci_from_body. */
fb_status fb_quat_from_two_axes(int n, const double *u_b, const double *v_b, const double *u_a,
                                const double *v_a, double *q_a_from_b);
/* FB_CDEF_END */

#endif
