/*
 * fb_quat.c - quaternion algebra and attitude kinematics. Conventions are stated once in fb_quat.h.
 */
#include "fb_quat.h"

#include <math.h>
#include <stddef.h>

#include "fb_math.h"

/* Below this angle (rad) sin(x/2)/x and atan(s)/s are evaluated by their Taylor series. The first term
 * left out is of order x^6 / 3e5 < 1e-29 relative, far below double precision. */
#define QUAT_SERIES_RAD 1e-4
/* Squared norms below this are treated as zero (they would underflow when normalised). */
#define QUAT_MIN_NORM2 1e-200
/* A matrix is accepted as a rotation when M^T M - I and det M - 1 are within this, elementwise. */
#define QUAT_DCM_TOL 1e-6
/* Two directions are parallel when the sine of the angle between them is below this. */
#define QUAT_PARALLEL_SIN 1e-12

static int quat_isfinite(const double q[4])
{
    return isfinite(q[0]) && isfinite(q[1]) && isfinite(q[2]) && isfinite(q[3]);
}

/* out = a (x) b; out must not alias a or b. */
static void quat_mul(const double a[4], const double b[4], double out[4])
{
    out[0] = a[0] * b[0] - a[1] * b[1] - a[2] * b[2] - a[3] * b[3];
    out[1] = a[0] * b[1] + a[1] * b[0] + a[2] * b[3] - a[3] * b[2];
    out[2] = a[0] * b[2] - a[1] * b[3] + a[2] * b[0] + a[3] * b[1];
    out[3] = a[0] * b[3] + a[1] * b[2] - a[2] * b[1] + a[3] * b[0];
}

static void quat_conj(const double q[4], double out[4])
{
    out[0] = q[0];
    out[1] = -q[1];
    out[2] = -q[2];
    out[3] = -q[3];
}

/* Checked unit quaternion of q (may alias). */
static fb_status quat_unit(const double q[4], double out[4])
{
    double n2, s;
    if (!quat_isfinite(q)) {
        return FB_E_NONFINITE;
    }
    n2 = q[0] * q[0] + q[1] * q[1] + q[2] * q[2] + q[3] * q[3];
    if (!isfinite(n2)) {
        return FB_E_RANGE;
    }
    if (!(n2 > QUAT_MIN_NORM2)) {
        return FB_E_DEGENERATE;
    }
    s = 1.0 / sqrt(n2);
    out[0] = s * q[0];
    out[1] = s * q[1];
    out[2] = s * q[2];
    out[3] = s * q[3];
    return FB_OK;
}

static void quat_canonical(double q[4])
{
    if (q[0] < 0.0) {
        q[0] = -q[0];
        q[1] = -q[1];
        q[2] = -q[2];
        q[3] = -q[3];
    }
}

/* Unit quaternion of a finite rotation vector. */
static void quat_of_rotvec(const double rv[3], double q[4])
{
    double angle = fb_norm3(rv);
    double k; /* sin(angle/2) / angle */
    if (angle < QUAT_SERIES_RAD) {
        double a2 = angle * angle;
        k = 0.5 * (1.0 - a2 / 24.0 * (1.0 - a2 / 80.0));
        q[0] = 1.0 - a2 / 8.0 * (1.0 - a2 / 48.0);
    } else {
        k = sin(0.5 * angle) / angle;
        q[0] = cos(0.5 * angle);
    }
    q[1] = k * rv[0];
    q[2] = k * rv[1];
    q[3] = k * rv[2];
}

/* Rotation vector of a unit quaternion (w >= 0 representative, angle in [0, pi]). */
static void rotvec_of_quat(const double q_in[4], double rv[3])
{
    double q[4], s, k;
    q[0] = q_in[0];
    q[1] = q_in[1];
    q[2] = q_in[2];
    q[3] = q_in[3];
    quat_canonical(q);
    s = sqrt(q[1] * q[1] + q[2] * q[2] + q[3] * q[3]);
    if (s < QUAT_SERIES_RAD * q[0]) {
        /* 2 atan(s/w) / s = (2/w) (1 - r^2/3 + r^4/5), r = s/w */
        double r2 = (s / q[0]) * (s / q[0]);
        k = 2.0 / q[0] * (1.0 - r2 / 3.0 + r2 * r2 / 5.0);
    } else {
        k = 2.0 * atan2(s, q[0]) / s;
    }
    rv[0] = k * q[1];
    rv[1] = k * q[2];
    rv[2] = k * q[3];
}

/* dcm of a unit quaternion. */
static void dcm_of_quat(const double q[4], double m[9])
{
    double w = q[0], x = q[1], y = q[2], z = q[3];
    m[0] = 1.0 - 2.0 * (y * y + z * z);
    m[1] = 2.0 * (x * y - w * z);
    m[2] = 2.0 * (x * z + w * y);
    m[3] = 2.0 * (x * y + w * z);
    m[4] = 1.0 - 2.0 * (x * x + z * z);
    m[5] = 2.0 * (y * z - w * x);
    m[6] = 2.0 * (x * z - w * y);
    m[7] = 2.0 * (y * z + w * x);
    m[8] = 1.0 - 2.0 * (x * x + y * y);
}

static int dcm_is_rotation(const double m[9])
{
    int i, j, k;
    double det;
    for (i = 0; i < 3; ++i) {
        for (j = 0; j < 3; ++j) {
            double s = 0.0;
            for (k = 0; k < 3; ++k) {
                s += m[3 * k + i] * m[3 * k + j];
            }
            if (fabs(s - (i == j ? 1.0 : 0.0)) > QUAT_DCM_TOL) {
                return 0;
            }
        }
    }
    det = m[0] * (m[4] * m[8] - m[5] * m[7]) - m[1] * (m[3] * m[8] - m[5] * m[6])
        + m[2] * (m[3] * m[7] - m[4] * m[6]);
    return fabs(det - 1.0) <= QUAT_DCM_TOL;
}

/* Shepperd (1978): take the largest of 4w^2, 4x^2, 4y^2, 4z^2 from the diagonal, then the other three
 * components from the off-diagonal sums and differences divided by it. */
static void quat_of_dcm(const double m[9], double q[4])
{
    double tr = m[0] + m[4] + m[8];
    double f;
    if (tr >= m[0] && tr >= m[4] && tr >= m[8]) {
        q[0] = 0.5 * sqrt(fmax(1.0 + tr, 0.0));
        f = 0.25 / q[0];
        q[1] = (m[7] - m[5]) * f;
        q[2] = (m[2] - m[6]) * f;
        q[3] = (m[3] - m[1]) * f;
    } else if (m[0] >= m[4] && m[0] >= m[8]) {
        q[1] = 0.5 * sqrt(fmax(1.0 + m[0] - m[4] - m[8], 0.0));
        f = 0.25 / q[1];
        q[0] = (m[7] - m[5]) * f;
        q[2] = (m[1] + m[3]) * f;
        q[3] = (m[2] + m[6]) * f;
    } else if (m[4] >= m[8]) {
        q[2] = 0.5 * sqrt(fmax(1.0 - m[0] + m[4] - m[8], 0.0));
        f = 0.25 / q[2];
        q[0] = (m[2] - m[6]) * f;
        q[1] = (m[1] + m[3]) * f;
        q[3] = (m[5] + m[7]) * f;
    } else {
        q[3] = 0.5 * sqrt(fmax(1.0 - m[0] - m[4] + m[8], 0.0));
        f = 0.25 / q[3];
        q[0] = (m[3] - m[1]) * f;
        q[1] = (m[2] + m[6]) * f;
        q[2] = (m[5] + m[7]) * f;
    }
    quat_canonical(q);
}

fb_status fb_quat_multiply(int n, const double *a, const double *b, double *out)
{
    int i;
    if (a == NULL || b == NULL || out == NULL) {
        return FB_E_NULL;
    }
    if (n < 0) {
        return FB_E_RANGE;
    }
    for (i = 0; i < n; ++i) {
        double r[4];
        if (!quat_isfinite(a + 4 * i) || !quat_isfinite(b + 4 * i)) {
            return FB_E_NONFINITE;
        }
        quat_mul(a + 4 * i, b + 4 * i, r);
        out[4 * i] = r[0];
        out[4 * i + 1] = r[1];
        out[4 * i + 2] = r[2];
        out[4 * i + 3] = r[3];
    }
    return FB_OK;
}

fb_status fb_quat_conjugate(int n, const double *q, double *out)
{
    int i;
    if (q == NULL || out == NULL) {
        return FB_E_NULL;
    }
    if (n < 0) {
        return FB_E_RANGE;
    }
    for (i = 0; i < n; ++i) {
        if (!quat_isfinite(q + 4 * i)) {
            return FB_E_NONFINITE;
        }
        quat_conj(q + 4 * i, out + 4 * i);
    }
    return FB_OK;
}

fb_status fb_quat_normalize(int n, const double *q, double *out)
{
    int i;
    if (q == NULL || out == NULL) {
        return FB_E_NULL;
    }
    if (n < 0) {
        return FB_E_RANGE;
    }
    for (i = 0; i < n; ++i) {
        fb_status st = quat_unit(q + 4 * i, out + 4 * i);
        if (st != FB_OK) {
            return st;
        }
    }
    return FB_OK;
}

fb_status fb_quat_rotate(int n, const double *q_a_from_b, const double *v_b, double *v_a)
{
    int i;
    if (q_a_from_b == NULL || v_b == NULL || v_a == NULL) {
        return FB_E_NULL;
    }
    if (n < 0) {
        return FB_E_RANGE;
    }
    for (i = 0; i < n; ++i) {
        double q[4], t[3], u[3], c[3];
        const double *v = v_b + 3 * i;
        fb_status st = quat_unit(q_a_from_b + 4 * i, q);
        if (st != FB_OK) {
            return st;
        }
        if (!fb_isfinite3(v)) {
            return FB_E_NONFINITE;
        }
        /* v' = v + 2 w (u x v) + 2 u x (u x v), u the vector part */
        u[0] = q[1];
        u[1] = q[2];
        u[2] = q[3];
        fb_cross3(u, v, c);
        fb_scale3(2.0, c, c);
        fb_cross3(u, c, t);
        v_a[3 * i] = v[0] + q[0] * c[0] + t[0];
        v_a[3 * i + 1] = v[1] + q[0] * c[1] + t[1];
        v_a[3 * i + 2] = v[2] + q[0] * c[2] + t[2];
    }
    return FB_OK;
}

fb_status fb_quat_to_dcm(int n, const double *q_a_from_b, double *dcm_a_from_b)
{
    int i;
    if (q_a_from_b == NULL || dcm_a_from_b == NULL) {
        return FB_E_NULL;
    }
    if (n < 0) {
        return FB_E_RANGE;
    }
    for (i = 0; i < n; ++i) {
        double q[4];
        fb_status st = quat_unit(q_a_from_b + 4 * i, q);
        if (st != FB_OK) {
            return st;
        }
        dcm_of_quat(q, dcm_a_from_b + 9 * i);
    }
    return FB_OK;
}

fb_status fb_quat_from_dcm(int n, const double *dcm_a_from_b, double *q_a_from_b)
{
    int i;
    if (dcm_a_from_b == NULL || q_a_from_b == NULL) {
        return FB_E_NULL;
    }
    if (n < 0) {
        return FB_E_RANGE;
    }
    for (i = 0; i < n; ++i) {
        const double *m = dcm_a_from_b + 9 * i;
        double q[4];
        fb_status st;
        if (!fb_isfinite_n(m, 9)) {
            return FB_E_NONFINITE;
        }
        if (!dcm_is_rotation(m)) {
            return FB_E_RANGE;
        }
        quat_of_dcm(m, q);
        st = quat_unit(q, q_a_from_b + 4 * i);
        if (st != FB_OK) {
            return st;
        }
    }
    return FB_OK;
}

fb_status fb_quat_from_axis_angle(int n, const double *axis, const double *angle_rad, double *q)
{
    int i;
    if (axis == NULL || angle_rad == NULL || q == NULL) {
        return FB_E_NULL;
    }
    if (n < 0) {
        return FB_E_RANGE;
    }
    for (i = 0; i < n; ++i) {
        double u[3], h, s;
        if (!fb_isfinite3(axis + 3 * i) || !isfinite(angle_rad[i])) {
            return FB_E_NONFINITE;
        }
        if (!fb_unit3(axis + 3 * i, u) || !fb_isfinite3(u)) {
            return FB_E_DEGENERATE;
        }
        h = 0.5 * angle_rad[i];
        s = sin(h);
        q[4 * i] = cos(h);
        q[4 * i + 1] = s * u[0];
        q[4 * i + 2] = s * u[1];
        q[4 * i + 3] = s * u[2];
    }
    return FB_OK;
}

fb_status fb_quat_from_rotvec(int n, const double *rotvec_rad, double *q)
{
    int i;
    if (rotvec_rad == NULL || q == NULL) {
        return FB_E_NULL;
    }
    if (n < 0) {
        return FB_E_RANGE;
    }
    for (i = 0; i < n; ++i) {
        if (!fb_isfinite3(rotvec_rad + 3 * i)) {
            return FB_E_NONFINITE;
        }
        if (!isfinite(fb_norm3(rotvec_rad + 3 * i))) {
            return FB_E_RANGE;
        }
        quat_of_rotvec(rotvec_rad + 3 * i, q + 4 * i);
    }
    return FB_OK;
}

fb_status fb_quat_to_rotvec(int n, const double *q, double *rotvec_rad)
{
    int i;
    if (q == NULL || rotvec_rad == NULL) {
        return FB_E_NULL;
    }
    if (n < 0) {
        return FB_E_RANGE;
    }
    for (i = 0; i < n; ++i) {
        double u[4];
        fb_status st = quat_unit(q + 4 * i, u);
        if (st != FB_OK) {
            return st;
        }
        rotvec_of_quat(u, rotvec_rad + 3 * i);
    }
    return FB_OK;
}

fb_status fb_quat_error(int n, const double *q_body_from_eci, const double *q_target_from_eci,
                        double *q_target_from_body)
{
    int i;
    if (q_body_from_eci == NULL || q_target_from_eci == NULL || q_target_from_body == NULL) {
        return FB_E_NULL;
    }
    if (n < 0) {
        return FB_E_RANGE;
    }
    for (i = 0; i < n; ++i) {
        double qb[4], qt[4], qbc[4], e[4];
        fb_status st = quat_unit(q_body_from_eci + 4 * i, qb);
        if (st == FB_OK) {
            st = quat_unit(q_target_from_eci + 4 * i, qt);
        }
        if (st != FB_OK) {
            return st;
        }
        quat_conj(qb, qbc);
        quat_mul(qt, qbc, e);
        quat_canonical(e);
        st = quat_unit(e, q_target_from_body + 4 * i);
        if (st != FB_OK) {
            return st;
        }
    }
    return FB_OK;
}

fb_status fb_quat_propagate(int n, const double *q_body_from_eci, const double *dtheta_body_rad,
                            double *q_body_from_eci_next)
{
    int i;
    if (q_body_from_eci == NULL || dtheta_body_rad == NULL || q_body_from_eci_next == NULL) {
        return FB_E_NULL;
    }
    if (n < 0) {
        return FB_E_RANGE;
    }
    for (i = 0; i < n; ++i) {
        double q[4], d[4], r[4], minus[3];
        fb_status st = quat_unit(q_body_from_eci + 4 * i, q);
        if (st != FB_OK) {
            return st;
        }
        if (!fb_isfinite3(dtheta_body_rad + 3 * i)) {
            return FB_E_NONFINITE;
        }
        if (!isfinite(fb_norm3(dtheta_body_rad + 3 * i))) {
            return FB_E_RANGE;
        }
        fb_scale3(-1.0, dtheta_body_rad + 3 * i, minus);
        quat_of_rotvec(minus, d);
        quat_mul(d, q, r);
        st = quat_unit(r, q_body_from_eci_next + 4 * i);
        if (st != FB_OK) {
            return st;
        }
    }
    return FB_OK;
}

fb_status fb_quat_slerp(int n, const double *q0, const double *q1, const double *t, double *q)
{
    int i;
    if (q0 == NULL || q1 == NULL || t == NULL || q == NULL) {
        return FB_E_NULL;
    }
    if (n < 0) {
        return FB_E_RANGE;
    }
    for (i = 0; i < n; ++i) {
        double a[4], b[4], ac[4], d[4], rv[3], step[4], r[4];
        fb_status st = quat_unit(q0 + 4 * i, a);
        if (st == FB_OK) {
            st = quat_unit(q1 + 4 * i, b);
        }
        if (st != FB_OK) {
            return st;
        }
        if (!isfinite(t[i])) {
            return FB_E_NONFINITE;
        }
        /* relative rotation conj(q0) (x) q1 on the shorter arc: rotvec_of_quat takes w >= 0 */
        quat_conj(a, ac);
        quat_mul(ac, b, d);
        rotvec_of_quat(d, rv);
        fb_scale3(t[i], rv, rv);
        if (!isfinite(fb_norm3(rv))) {
            return FB_E_RANGE; /* t so large that t times the arc overflows */
        }
        quat_of_rotvec(rv, step);
        quat_mul(a, step, r);
        st = quat_unit(r, q + 4 * i);
        if (st != FB_OK) {
            return st;
        }
    }
    return FB_OK;
}

/* Orthonormal triad (columns t1, t2, t3) of a primary and a secondary direction; 0 when degenerate. */
static int quat_triad(const double u[3], const double v[3], double t1[3], double t2[3], double t3[3])
{
    double c[3];
    if (!fb_unit3(u, t1) || !fb_isfinite3(t1)) {
        return 0;
    }
    fb_cross3(u, v, c);
    if (!(fb_norm3(c) > QUAT_PARALLEL_SIN * fb_norm3(u) * fb_norm3(v)) || !fb_unit3(c, t2)
        || !fb_isfinite3(t2)) {
        return 0;
    }
    fb_cross3(t1, t2, t3);
    return 1;
}

fb_status fb_quat_from_two_axes(int n, const double *u_b, const double *v_b, const double *u_a,
                                const double *v_a, double *q_a_from_b)
{
    int i;
    if (u_b == NULL || v_b == NULL || u_a == NULL || v_a == NULL || q_a_from_b == NULL) {
        return FB_E_NULL;
    }
    if (n < 0) {
        return FB_E_RANGE;
    }
    for (i = 0; i < n; ++i) {
        double b1[3], b2[3], b3[3], a1[3], a2[3], a3[3], m[9], q[4];
        int r, c;
        if (!fb_isfinite3(u_b + 3 * i) || !fb_isfinite3(v_b + 3 * i) || !fb_isfinite3(u_a + 3 * i)
            || !fb_isfinite3(v_a + 3 * i)) {
            return FB_E_NONFINITE;
        }
        if (!quat_triad(u_b + 3 * i, v_b + 3 * i, b1, b2, b3)
            || !quat_triad(u_a + 3 * i, v_a + 3 * i, a1, a2, a3)) {
            return FB_E_DEGENERATE;
        }
        /* dcm_a_from_b = [a1 a2 a3] [b1 b2 b3]^T */
        for (r = 0; r < 3; ++r) {
            for (c = 0; c < 3; ++c) {
                m[3 * r + c] = a1[r] * b1[c] + a2[r] * b2[c] + a3[r] * b3[c];
            }
        }
        quat_of_dcm(m, q);
        {
            fb_status st = quat_unit(q, q_a_from_b + 4 * i);
            if (st != FB_OK) {
                return st;
            }
        }
    }
    return FB_OK;
}

fb_status fb_quat_imu_step(int n, const double *q_body_from_eci, const double *dtheta_body_rad,
                           const double *v_body, double *q_body_from_eci_next, double *v_eci)
{
    int i;
    if (q_body_from_eci == NULL || dtheta_body_rad == NULL || v_body == NULL || q_body_from_eci_next == NULL
        || v_eci == NULL) {
        return FB_E_NULL;
    }
    if (n < 0) {
        return FB_E_RANGE;
    }
    for (i = 0; i < n; ++i) {
        double half[3], q_mid[4];
        fb_status st;
        if (!fb_isfinite3(v_body + 3 * i)) {
            return FB_E_NONFINITE;
        }
        st = fb_quat_propagate(1, q_body_from_eci + 4 * i, dtheta_body_rad + 3 * i, q_body_from_eci_next + 4 * i);
        if (st != FB_OK) {
            return st;
        }
        fb_scale3(0.5, dtheta_body_rad + 3 * i, half);
        st = fb_quat_propagate(1, q_body_from_eci + 4 * i, half, q_mid);
        if (st != FB_OK) {
            return st;
        }
        q_mid[1] = -q_mid[1];
        q_mid[2] = -q_mid[2];
        q_mid[3] = -q_mid[3];
        st = fb_quat_rotate(1, q_mid, v_body + 3 * i, v_eci + 3 * i);
        if (st != FB_OK) {
            return st;
        }
    }
    return FB_OK;
}
