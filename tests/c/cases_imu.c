/* Vector cases of the IMU error model (fb_imu.h). A model is given as its 75 members in the order of
 * fb_imu_model: gyro_matrix[9] accel_matrix[9] bias[6] bias_jump[6] gm_sigma[6] gm_state[6] walk[6] lsb[6]
 * remainder[6] burst_sigma[6] accum_prev[6] correlation_time_s gyro_range_rps accel_range_mps2. */
#include <stdint.h>

#include "fb_imu.h"
#include "fbt.h"

#define IMU_MODEL_DOUBLES 75

static void imu_copy(double *dst, const double *src, int n)
{
    int i;
    for (i = 0; i < n; ++i) {
        dst[i] = src[i];
    }
}

static void imu_read_model(const double *in, fb_imu_model *m)
{
    imu_copy(m->gyro_matrix, in, 9);
    imu_copy(m->accel_matrix, in + 9, 9);
    imu_copy(m->bias, in + 18, 6);
    imu_copy(m->bias_jump, in + 24, 6);
    imu_copy(m->gm_sigma, in + 30, 6);
    imu_copy(m->gm_state, in + 36, 6);
    imu_copy(m->walk, in + 42, 6);
    imu_copy(m->lsb, in + 48, 6);
    imu_copy(m->remainder, in + 54, 6);
    imu_copy(m->burst_sigma, in + 60, 6);
    imu_copy(m->accum_prev, in + 66, 6);
    m->correlation_time_s = in[72];
    m->gyro_range_rps = in[73];
    m->accel_range_mps2 = in[74];
}

static void imu_write_model(const fb_imu_model *m, double *out)
{
    imu_copy(out, m->gyro_matrix, 9);
    imu_copy(out + 9, m->accel_matrix, 9);
    imu_copy(out + 18, m->bias, 6);
    imu_copy(out + 24, m->bias_jump, 6);
    imu_copy(out + 30, m->gm_sigma, 6);
    imu_copy(out + 36, m->gm_state, 6);
    imu_copy(out + 42, m->walk, 6);
    imu_copy(out + 48, m->lsb, 6);
    imu_copy(out + 54, m->remainder, 6);
    imu_copy(out + 60, m->burst_sigma, 6);
    imu_copy(out + 66, m->accum_prev, 6);
    out[72] = m->correlation_time_s;
    out[73] = m->gyro_range_rps;
    out[74] = m->accel_range_mps2;
}

/* in: dt_s tau_s; out: phi k l11 l21 l22 */
FBT_CASE(imu_gm_transition)
{
    FBT_ARITY(2, 5);
    return (int)fb_imu_gm_transition(in[0], in[1], out);
}

/* in: gyro_matrix[9] accel_matrix[9] bias[6] gm_sigma[6] gm_state[6] walk[6] lsb[6] correlation_time_s
 * gyro_range_rps accel_range_mps2; out: the model (75) */
FBT_CASE(imu_init)
{
    fb_imu_model m;
    fb_status st;
    FBT_ARITY(51, IMU_MODEL_DOUBLES);
    st = fb_imu_init(in, in + 9, in + 18, in + 24, in + 30, in + 36, in + 42, in[48], in[49], in[50], &m);
    if (st == FB_OK) {
        imu_write_model(&m, out);
    }
    return (int)st;
}

/* in: model(75) dtheta_true_rad[3] dv_true_mps[3] dt_s z[18] burst_on burst_z[6];
 * out: out[6] gm_state[6] remainder[6] */
FBT_CASE(imu_measure)
{
    fb_imu_model m;
    fb_status st;
    FBT_ARITY(IMU_MODEL_DOUBLES + 32, 18);
    imu_read_model(in, &m);
    in += IMU_MODEL_DOUBLES;
    st = fb_imu_measure(in, in + 3, in[6], in + 7, in[25] != 0.0 ? in + 26 : NULL, &m, out);
    imu_copy(out + 6, m.gm_state, 6);
    imu_copy(out + 12, m.remainder, 6);
    return (int)st;
}

/* in: model(75) theta_cum_rad[3] vel_cum_mps[3] dt_s z[18] burst_on burst_z[6];
 * out: out[6] saturation gm_state[6] remainder[6] accum_prev[6] */
FBT_CASE(imu_output)
{
    fb_imu_model m;
    uint32_t saturation = 0;
    fb_status st;
    FBT_ARITY(IMU_MODEL_DOUBLES + 32, 25);
    imu_read_model(in, &m);
    in += IMU_MODEL_DOUBLES;
    st = fb_imu_output(in, in + 3, in[6], in + 7, in[25] != 0.0 ? in + 26 : NULL, &m, out, &saturation);
    out[6] = (double)saturation;
    imu_copy(out + 7, m.gm_state, 6);
    imu_copy(out + 13, m.remainder, 6);
    imu_copy(out + 19, m.accum_prev, 6);
    return (int)st;
}

/* in: which pointer is NULL (0..14); out: unused. Every call must refuse with FB_E_NULL. */
FBT_CASE(imu_null)
{
    static const double eye[9] = {1, 0, 0, 0, 1, 0, 0, 0, 1};
    static const double six[6] = {1e-3, 1e-3, 1e-3, 1e-3, 1e-3, 1e-3};
    double z[18] = {0}, o[6];
    const double *p[7];
    fb_imu_model m;
    uint32_t sat;
    int which, i;
    FBT_ARITY(1, 1);
    which = (int)in[0];
    out[0] = 0.0;
    if (fb_imu_init(eye, eye, six, six, six, six, six, 1.0, 1.0, 1.0, &m) != FB_OK) {
        return -2;
    }
    if (which < 8) {
        p[0] = eye;
        p[1] = eye;
        for (i = 2; i < 7; ++i) {
            p[i] = six;
        }
        if (which < 7) {
            p[which] = NULL;
        }
        return (int)fb_imu_init(p[0], p[1], p[2], p[3], p[4], p[5], p[6], 1.0, 1.0, 1.0,
                                which == 7 ? NULL : &m);
    }
    switch (which) {
    case 8:
        return (int)fb_imu_gm_transition(1.0, 1.0, NULL);
    case 9:
        return (int)fb_imu_measure(NULL, six, 0.1, z, NULL, &m, o);
    case 10:
        return (int)fb_imu_measure(six, six, 0.1, NULL, NULL, &m, o);
    case 11:
        return (int)fb_imu_measure(six, six, 0.1, z, NULL, NULL, o);
    case 12:
        return (int)fb_imu_output(six, NULL, 0.1, z, NULL, &m, o, &sat);
    case 13:
        return (int)fb_imu_output(six, six, 0.1, z, NULL, &m, NULL, &sat);
    default:
        return (int)fb_imu_output(six, six, 0.1, z, NULL, &m, o, NULL);
    }
}
