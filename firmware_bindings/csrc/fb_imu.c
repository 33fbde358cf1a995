#include "fb_imu.h"

#include <math.h>

#include "fb_math.h"

/* 2x - 3 + 4 e^-x - e^-2x, the integral's variance over sigma^2 T^2, accurate for small x (the closed form
   cancels catastrophically there, the series to x^5 is exact to rounding below 1e-3). */
static double imu_f_var(double x)
{
    if (x < 1e-3) {
        return x * x * x * (2.0 / 3.0 - x / 2.0 + 7.0 * x * x / 30.0);
    }
    return 2.0 * x + 4.0 * expm1(-x) - expm1(-2.0 * x);
}

/* coef = (phi, k, l11, l21, l22) for dt_s > 0, tau_s > 0 (checked by the callers); 0 when dt_s / tau_s
   is infinite or a coefficient is not finite (then coef is unspecified), 1 otherwise. */
static int imu_transition(double dt_s, double tau_s, double coef[5])
{
    const double x = dt_s / tau_s;
    const double one_minus_phi = -expm1(-x);
    const double c11 = -expm1(-2.0 * x);
    const double c12 = tau_s * (one_minus_phi * one_minus_phi);
    const double c22 = tau_s * tau_s * imu_f_var(x);
    const double a = sqrt(c11 > 0.0 ? c11 : 0.0);
    const double b = a > 0.0 ? c12 / a : 0.0;
    const double rest = c22 - b * b;
    coef[0] = exp(-x);
    coef[1] = tau_s * one_minus_phi;
    coef[2] = a;
    coef[3] = b;
    coef[4] = sqrt(rest > 0.0 ? rest : 0.0);
    return isfinite(x) && fb_isfinite_n(coef, 5) && !isnan(rest);
}

fb_status fb_imu_gm_transition(double dt_s, double tau_s, double coef[5])
{
    if (coef == NULL) {
        return FB_E_NULL;
    }
    if (isnan(dt_s) || isnan(tau_s)) {
        return FB_E_NONFINITE;
    }
    if (!(dt_s > 0.0 && tau_s > 0.0)) {
        return FB_E_RANGE;
    }
    if (!imu_transition(dt_s, tau_s, coef)) { /* an infinite interval, or dt_s / tau_s overflowing */
        return FB_E_RANGE;
    }
    return FB_OK;
}

static int all_nonnegative(const double *v, int n)
{
    int i;
    for (i = 0; i < n; ++i) {
        if (!(v[i] >= 0.0)) {
            return 0;
        }
    }
    return 1;
}

fb_status fb_imu_init(const double gyro_matrix[9], const double accel_matrix[9], const double bias[6],
                      const double gm_sigma[6], const double gm_state[6], const double walk[6],
                      const double lsb[6], double correlation_time_s, double gyro_range_rps,
                      double accel_range_mps2, fb_imu_model *model)
{
    int i;
    if (gyro_matrix == NULL || accel_matrix == NULL || bias == NULL || gm_sigma == NULL || gm_state == NULL
        || walk == NULL || lsb == NULL || model == NULL) {
        return FB_E_NULL;
    }
    if (!fb_isfinite_n(gyro_matrix, 9) || !fb_isfinite_n(accel_matrix, 9) || !fb_isfinite_n(bias, 6)
        || !fb_isfinite_n(gm_sigma, 6) || !fb_isfinite_n(gm_state, 6) || !fb_isfinite_n(walk, 6)
        || !fb_isfinite_n(lsb, 6) || !isfinite(correlation_time_s) || !isfinite(gyro_range_rps)
        || !isfinite(accel_range_mps2)) {
        return FB_E_NONFINITE;
    }
    if (!all_nonnegative(gm_sigma, 6) || !all_nonnegative(walk, 6) || !(correlation_time_s > 0.0)
        || !(gyro_range_rps > 0.0) || !(accel_range_mps2 > 0.0)) {
        return FB_E_RANGE;
    }
    for (i = 0; i < 6; ++i) {
        if (!(lsb[i] > 0.0)) {
            return FB_E_RANGE;
        }
    }
    for (i = 0; i < 9; ++i) {
        model->gyro_matrix[i] = gyro_matrix[i];
        model->accel_matrix[i] = accel_matrix[i];
    }
    for (i = 0; i < 6; ++i) {
        model->bias[i] = bias[i];
        model->bias_jump[i] = 0.0;
        model->gm_sigma[i] = gm_sigma[i];
        model->gm_state[i] = gm_state[i];
        model->walk[i] = walk[i];
        model->lsb[i] = lsb[i];
        model->remainder[i] = 0.0;
        model->burst_sigma[i] = 0.0;
        model->accum_prev[i] = 0.0;
    }
    model->correlation_time_s = correlation_time_s;
    model->gyro_range_rps = gyro_range_rps;
    model->accel_range_mps2 = accel_range_mps2;
    return FB_OK;
}

/* m @ u for a row-major 3x3 m, summed left to right as numpy's small matrix product does. */
static void imu_mat_vec(const double m[9], const double u[3], double out[3])
{
    int i;
    for (i = 0; i < 3; ++i) {
        out[i] = m[3 * i] * u[0] + m[3 * i + 1] * u[1] + m[3 * i + 2] * u[2];
    }
}

/* The measurement of one interval into out, the next Gauss-Markov state into gm_next and remainder into
   rem_next; the model is only read. FB_E_RANGE when dt_s over the correlation time overflows,
   FB_E_NONFINITE when a result is not finite. Inputs checked by the callers. */
static fb_status imu_step(const fb_imu_model *m, const double u_theta[3], const double u_vel[3], double dt_s,
                          const double z[18], const double *burst_z, double out[6], double gm_next[6],
                          double rem_next[6])
{
    double coef[5], y[6];
    double sqrt_dt;
    int a;
    if (!imu_transition(dt_s, m->correlation_time_s, coef)) {
        return FB_E_RANGE;
    }
    sqrt_dt = sqrt(dt_s);
    imu_mat_vec(m->gyro_matrix, u_theta, y);
    imu_mat_vec(m->accel_matrix, u_vel, y + 3);
    for (a = 0; a < 6; ++a) { /* the operation order of the numpy reference */
        const double noise = ((m->gm_sigma[a] * coef[3]) * z[a] + (m->gm_sigma[a] * coef[4]) * z[6 + a])
                             + (m->walk[a] * sqrt_dt) * z[12 + a];
        double total, q;
        y[a] += ((m->bias[a] + m->bias_jump[a]) * dt_s + coef[1] * m->gm_state[a]) + noise;
        gm_next[a] = coef[0] * m->gm_state[a] + (m->gm_sigma[a] * coef[2]) * z[a];
        if (burst_z != NULL) {
            y[a] += m->burst_sigma[a] * burst_z[a];
        }
        total = y[a] + m->remainder[a];
        q = rint(total / m->lsb[a]) * m->lsb[a];
        if (!isfinite(q) || !isfinite(gm_next[a])) {
            return FB_E_NONFINITE;
        }
        out[a] = q;
        rem_next[a] = total - q;
    }
    return FB_OK;
}

/* Checks shared by fb_imu_measure and fb_imu_output. */
static fb_status imu_check(const double u_theta[3], const double u_vel[3], double dt_s, const double z[18],
                           const double *burst_z, const fb_imu_model *model, const double *out)
{
    if (u_theta == NULL || u_vel == NULL || z == NULL || model == NULL || out == NULL) {
        return FB_E_NULL;
    }
    if (isnan(dt_s) || !fb_isfinite3(u_theta) || !fb_isfinite3(u_vel) || !fb_isfinite_n(z, 18)
        || (burst_z != NULL && !fb_isfinite_n(burst_z, 6))) {
        return FB_E_NONFINITE;
    }
    if (!(dt_s > 0.0 && dt_s < HUGE_VAL)) {
        return FB_E_RANGE;
    }
    return FB_OK;
}

static void imu_commit(fb_imu_model *model, const double gm_next[6], const double rem_next[6])
{
    int a;
    for (a = 0; a < 6; ++a) {
        model->gm_state[a] = gm_next[a];
        model->remainder[a] = rem_next[a];
    }
}

fb_status fb_imu_measure(const double dtheta_true_rad[3], const double dv_true_mps[3], double dt_s,
                         const double z[18], const double *burst_z, fb_imu_model *model, double out[6])
{
    double y[6], gm_next[6], rem_next[6];
    int a;
    fb_status st = imu_check(dtheta_true_rad, dv_true_mps, dt_s, z, burst_z, model, out);
    if (st != FB_OK) {
        return st;
    }
    st = imu_step(model, dtheta_true_rad, dv_true_mps, dt_s, z, burst_z, y, gm_next, rem_next);
    if (st != FB_OK) {
        return st;
    }
    imu_commit(model, gm_next, rem_next);
    for (a = 0; a < 6; ++a) {
        out[a] = y[a];
    }
    return FB_OK;
}

/* Clip v[0..3) to [-limit, limit]; 1 when a component lay beyond it. */
static int imu_clip3(double v[3], double limit)
{
    int i, hit = 0;
    for (i = 0; i < 3; ++i) {
        if (fabs(v[i]) > limit) {
            hit = 1;
        }
    }
    if (hit) {
        for (i = 0; i < 3; ++i) {
            v[i] = v[i] > limit ? limit : (v[i] < -limit ? -limit : v[i]);
        }
    }
    return hit;
}

fb_status fb_imu_output(const double theta_cum_rad[3], const double vel_cum_mps[3], double dt_s,
                        const double z[18], const double *burst_z, fb_imu_model *model, double out[6],
                        uint32_t *saturation)
{
    double u_theta[3], u_vel[3], y[6], gm_next[6], rem_next[6];
    uint32_t flags = 0;
    int a;
    fb_status st = imu_check(theta_cum_rad, vel_cum_mps, dt_s, z, burst_z, model, out);
    if (st != FB_OK) {
        return st;
    }
    if (saturation == NULL) {
        return FB_E_NULL;
    }
    fb_sub3(theta_cum_rad, model->accum_prev, u_theta);
    fb_sub3(vel_cum_mps, model->accum_prev + 3, u_vel);
    if (!fb_isfinite3(u_theta) || !fb_isfinite3(u_vel)) {
        return FB_E_NONFINITE;
    }
    st = imu_step(model, u_theta, u_vel, dt_s, z, burst_z, y, gm_next, rem_next);
    if (st != FB_OK) {
        return st;
    }
    imu_commit(model, gm_next, rem_next);
    for (a = 0; a < 3; ++a) {
        model->accum_prev[a] = theta_cum_rad[a];
        model->accum_prev[3 + a] = vel_cum_mps[a];
    }
    if (imu_clip3(y, model->gyro_range_rps * dt_s)) {
        flags |= FB_IMU_GYRO_SATURATED;
    }
    if (imu_clip3(y + 3, model->accel_range_mps2 * dt_s)) {
        flags |= FB_IMU_ACCEL_SATURATED;
    }
    for (a = 0; a < 6; ++a) {
        out[a] = y[a];
    }
    *saturation = flags;
    return FB_OK;
}
