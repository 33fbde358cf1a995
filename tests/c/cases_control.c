/* Vector cases of the control area (fb_control.h). */
#include <stddef.h>

#include "fb_control.h"
#include "fbt.h"

/* in: kp[3] kd[3] rate_limit torque_limit[3] q_body_from_eci[4] q_target_from_eci[4] omega[3] omega_ref[3]
 * out: torque[3] */
FBT_CASE(ctl_pd_torque)
{
    fb_ctl_pd_config cfg;
    int i;
    FBT_ARITY(24, 3);
    for (i = 0; i < 3; ++i) {
        cfg.kp_nm_per_rad[i] = in[i];
        cfg.kd_nms_per_rad[i] = in[3 + i];
        cfg.torque_limit_nm[i] = in[7 + i];
    }
    cfg.rate_limit_rps = in[6];
    return (int)fb_ctl_pd_torque(&cfg, in + 10, in + 14, in + 18, in + 21, out);
}

/* in: n, then per thruster r[3] dir[3] thrust, then cycle_s min_on_s force_weight_m reg_nm2 tol max_iter,
 *     torque_cmd[3] force_cmd[3]
 * out: torque[3] force[3], the count of on-times outside {0} and [min_on_s, cycle_s], then the n on-times
 *      (or no on-times, where the solution is not unique).
 * A count n that is out of range is passed through (the core must reject it) with no thrusters read. */
FBT_CASE(ctl_allocate)
{
    fb_ctl_thruster_layout layout;
    fb_ctl_alloc_config cfg;
    fb_ctl_alloc_result res;
    const double *p;
    int n, k, i, n_read, bad = 0;
    fb_status st;
    if (n_in < 1 || !(in[0] >= -1.0 && in[0] <= 1000.0)) {
        return FBT_BAD_ARITY;
    }
    n = (int)in[0];
    n_read = (n >= 1 && n <= FB_CTL_MAX_THRUSTERS) ? n : 0;
    if (n_in != 1 + 7 * n_read + 12 || (n_out != 7 && n_out != 7 + n_read)) {
        return FBT_BAD_ARITY;
    }
    layout.n = n;
    p = in + 1;
    for (k = 0; k < n_read; ++k) {
        for (i = 0; i < 3; ++i) {
            layout.r_body_m[k][i] = p[i];
            layout.dir_body[k][i] = p[3 + i];
        }
        layout.thrust_n[k] = p[6];
        p += 7;
    }
    cfg.cycle_s = p[0];
    cfg.min_on_s = p[1];
    cfg.force_weight_m = p[2];
    cfg.reg_nm2 = p[3];
    cfg.tol = p[4];
    cfg.max_iter = (p[5] >= 0.0 && p[5] <= 1e9) ? (int)p[5] : -1;
    st = fb_ctl_allocate(&layout, &cfg, p + 6, p + 9, &res);
    if (st != FB_OK) {
        return (int)st;
    }
    for (i = 0; i < 3; ++i) {
        out[i] = res.torque_body_nm[i];
        out[3 + i] = res.force_body_n[i];
    }
    for (k = 0; k < n_read; ++k) {
        double t = res.on_time_s[k];
        if (!(t == 0.0 || (t >= cfg.min_on_s && t <= cfg.cycle_s))) {
            ++bad;
        }
        if (n_out > 7) {
            out[7 + k] = t;
        }
    }
    out[6] = bad;
    return 0;
}

/* out: the statuses of both control functions given NULL arguments, summed. */
FBT_CASE(ctl_null_arguments)
{
    fb_ctl_pd_config cfg = {{1.0, 1.0, 1.0}, {1.0, 1.0, 1.0}, 1.0, {1.0, 1.0, 1.0}};
    fb_ctl_thruster_layout layout;
    fb_ctl_alloc_config acfg = {1.0, 0.0, 1.0, 0.0, 1e-9, 10};
    fb_ctl_alloc_result res;
    double q[4] = {1.0, 0.0, 0.0, 0.0}, v[3] = {0.0, 0.0, 0.0};
    (void)in;
    FBT_ARITY(0, 1);
    layout.n = 0;
    out[0] = (double)(fb_ctl_pd_torque(NULL, q, q, v, v, v) + fb_ctl_pd_torque(&cfg, q, q, v, v, NULL)
                      + fb_ctl_allocate(&layout, &acfg, v, v, NULL)
                      + fb_ctl_allocate(NULL, &acfg, v, v, &res));
    return 0;
}

/* in: r[3] v[3]; out: q_target_from_eci[4] omega_target_rps[3] */
FBT_CASE(ctl_retrograde_target)
{
    FBT_ARITY(6, 7);
    return (int)fb_ctl_retrograde_target(in, in + 3, out, out + 4);
}

/* in: kp[3] kd[3] rate_limit torque_limit[3] control q_body_from_eci[4] omega_body_rps[3] r[3] v[3]
 * out: q_target[4] omega_target[3] omega_ref_body[3] attitude_error axis_error torque_cmd[3]
 * The allocation runs over one thruster (its own cases are ctl_allocate's); a warm start is kept. */
FBT_CASE(ctl_attitude_step)
{
    fb_ctl_pd_config pd;
    fb_ctl_thruster_layout layout;
    fb_ctl_alloc_config acfg = {0.1, 0.0, 1.0, 1.0, 1e-10, 1000};
    fb_ctl_alloc_warm warm;
    fb_ctl_step_result res;
    double force[3] = {0.0, 0.0, 0.0};
    int i;
    fb_status st;
    FBT_ARITY(24, 15);
    for (i = 0; i < 3; ++i) {
        pd.kp_nm_per_rad[i] = in[i];
        pd.kd_nms_per_rad[i] = in[3 + i];
        pd.torque_limit_nm[i] = in[7 + i];
        layout.r_body_m[0][i] = (i == 1) ? 10.0 : 0.0;
        layout.dir_body[0][i] = (i == 2) ? 1.0 : 0.0;
    }
    pd.rate_limit_rps = in[6];
    layout.n = 1;
    layout.thrust_n[0] = 100.0;
    warm.n = 0;
    st = fb_ctl_attitude_step(&pd, &layout, &acfg, &warm, (in[10] >= 0.0 && in[10] <= 2.0) ? (int)in[10] : -1,
                              in + 11, in + 15, in + 18, in + 21, force, &res);
    if (st != FB_OK) {
        return (int)st;
    }
    for (i = 0; i < 4; ++i) {
        out[i] = res.q_target_from_eci[i];
    }
    for (i = 0; i < 3; ++i) {
        out[4 + i] = res.omega_target_rps[i];
        out[7 + i] = res.omega_ref_body_rps[i];
        out[12 + i] = res.torque_cmd_body_nm[i];
    }
    out[10] = res.attitude_error_rad;
    out[11] = res.thrust_axis_error_rad;
    return 0;
}
