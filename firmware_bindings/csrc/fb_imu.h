/*
 * fb_imu.h - the error model of a strapdown IMU: what the sensor adds to the true delta-angle and
 * delta-velocity of one output interval.
 *
 * Per axis a (0-2 gyro: rad, rad/s; 3-5 accelerometer: m/s, m/s^2), for an output interval of dt_s seconds,
 * with true increments u (dtheta_true_rad, dv_true_mps) and 18 standard normal draws z[r][a] (row r, axis a,
 * row-major: z[6 r + a]):
 *
 *     y_a   = (M u)_a + (b_a + j_a) dt + k x_a + (s_a l21 z0_a + s_a l22 z1_a) + w_a sqrt(dt) z2_a
 *     x_a  <- phi x_a + s_a l11 z0_a
 *     y_a  += c_a e_a                        (noise burst only: e the six extra draws, c its sigma)
 *     q_a   = rint((y_a + r_a) / lsb_a) lsb_a,   r_a <- (y_a + r_a) - q_a
 *
 * M is the sensor matrix of the triad (identity plus scale factors on the diagonal and misalignments off
 * it), b the turn-on bias, j an injected bias jump, x the bias instability (a first-order Gauss-Markov
 * process of stationary sigma s and correlation time T), w the random walk coefficient (per sqrt(s)), r
 * the quantisation remainder carried from output to output, q the output.
 *
 * The Gauss-Markov process dx = -x/T dt + sqrt(2 s^2 / T) dW is advanced with its exact discrete solution
 * over dt: x1 = phi x0 + w1 and the integral over the interval k x0 + w2 with phi = exp(-dt/T),
 * k = T (1 - phi), and (w1, w2) zero-mean Gaussian of covariance s^2 C where, with x = dt/T,
 *     C11 = 1 - phi^2,  C12 = T (1 - phi)^2,  C22 = T^2 (2x - 3 + 4 phi - phi^2)
 * (C22 from its series x^3 (2/3 - x/2 + 7x^2/30) below x = 1e-3). (l11, 0; l21, l22) is the lower Cholesky
 * factor of C, computed so that a singular or nearly singular C gives zeros instead of NaN.
 * fb_imu_gm_transition returns (phi, k, l11, l21, l22).
 *
 * The numpy reference of every routine is tests/oracles/imu_model.py. Every function returns FB_OK,
 * FB_E_NULL (a required pointer is NULL), FB_E_NONFINITE (an input is NaN or infinite) or FB_E_RANGE (an
 * input outside its documented range); on an error the outputs and the model are left unchanged.
 */
#ifndef FB_IMU_H
#define FB_IMU_H

#include <stddef.h>
#include <stdint.h>

#include "fb_status.h"

/* FB_CDEF_BEGIN */
enum {
    FB_IMU_AXES = 6,              /* gyro x, y, z then accelerometer x, y, z */
    FB_IMU_DRAWS = 18,            /* standard normal draws per output: 3 rows of 6 */
    FB_IMU_GYRO_SATURATED = 1,    /* fb_imu_output saturation flags */
    FB_IMU_ACCEL_SATURATED = 2
};

/* One IMU's error model and its state, owned by the caller. Every member is a double, so the whole struct
   may be viewed as an array of doubles. Fill it with fb_imu_init; the state members (gm_state, remainder,
   accum_prev) and the fault members (bias_jump, burst_sigma) may be changed between outputs. */
typedef struct {
    double gyro_matrix[9];          /* row-major, dimensionless: measured = gyro_matrix @ true */
    double accel_matrix[9];
    double bias[6];                 /* turn-on bias: rad/s (0-2), m/s^2 (3-5) */
    double bias_jump[6];            /* injected bias jump, same units */
    double gm_sigma[6];             /* Gauss-Markov stationary sigma, same units */
    double gm_state[6];             /* Gauss-Markov state, same units */
    double walk[6];                 /* random walk: rad/sqrt(s) (0-2), m/s/sqrt(s) (3-5) */
    double lsb[6];                  /* quantum: rad (0-2), m/s (3-5) */
    double remainder[6];            /* quantisation remainder carried to the next output */
    double burst_sigma[6];          /* noise burst: extra white noise per output, rad or m/s */
    double accum_prev[6];           /* the cumulative true integrals at the last output (fb_imu_output) */
    double correlation_time_s;      /* Gauss-Markov correlation time T */
    double gyro_range_rps;          /* range of fb_imu_output's check */
    double accel_range_mps2;
} fb_imu_model;

/* The exact one-interval transition of a unit-sigma Gauss-Markov process of correlation time tau_s over
   dt_s: coef = (phi, k, l11, l21, l22) as above. FB_E_NONFINITE for a NaN; FB_E_RANGE unless dt_s > 0 and
   tau_s > 0, or when a coefficient is not finite (an infinite dt_s, or dt_s / tau_s overflowing). */
fb_status fb_imu_gm_transition(double dt_s, double tau_s, double coef[5]);

/* Fill *model: sensor matrices, turn-on bias, Gauss-Markov sigma, initial state and correlation time,
   random walk, LSBs and ranges; bias jump, burst sigma, remainder and accum_prev are set to zero.
   FB_E_NONFINITE for a non-finite value; FB_E_RANGE for a negative sigma or walk, a non-positive LSB,
   correlation time or range. */
fb_status fb_imu_init(const double gyro_matrix[9], const double accel_matrix[9], const double bias[6],
                      const double gm_sigma[6], const double gm_state[6], const double walk[6],
                      const double lsb[6], double correlation_time_s, double gyro_range_rps,
                      double accel_range_mps2, fb_imu_model *model);

/* One output interval of dt_s (> 0, finite) with true increments dtheta_true_rad and dv_true_mps: the
   quantised measurement out (rad 0-2, m/s 3-5), advancing model's Gauss-Markov state and remainder.
   z holds the 18 standard normal draws; burst_z the 6 draws of a noise burst, or NULL when no burst is
   active (then burst_sigma is not used). FB_E_NONFINITE when an input or the result is not finite (a
   huge increment or bias jump), FB_E_RANGE for a bad dt_s (also one whose ratio to the correlation time
   overflows). */
fb_status fb_imu_measure(const double dtheta_true_rad[3], const double dv_true_mps[3], double dt_s,
                         const double z[18], const double *burst_z, fb_imu_model *model, double out[6]);

/* The board's output step: the true increments are the cumulative integrals theta_cum_rad and
   vel_cum_mps less model->accum_prev (which then takes their values), measured as by fb_imu_measure;
   then a triad with a component beyond its range times dt_s (gyro_range_rps dt_s, accel_range_mps2 dt_s)
   is clipped to it and flagged in *saturation (FB_IMU_GYRO_SATURATED, FB_IMU_ACCEL_SATURATED). */
fb_status fb_imu_output(const double theta_cum_rad[3], const double vel_cum_mps[3], double dt_s,
                        const double z[18], const double *burst_z, fb_imu_model *model, double out[6],
                        uint32_t *saturation);
/* FB_CDEF_END */

#endif
