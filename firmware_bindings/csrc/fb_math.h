/*
 * fb_math.h - small vector and matrix helpers shared by every area of the core.
 *
 * Header-only, static inline, no state. Vectors are double[3]; matrices are double[9] in row-major order
 * (m[3*i + j] is row i, column j). Output arguments may alias inputs unless a comment says otherwise.
 * This header is internal to the core and is not part of the cffi declarations.
 */
#ifndef FB_MATH_H
#define FB_MATH_H

#include <math.h>

#define FB_PI 3.14159265358979323846
#define FB_TWO_PI 6.28318530717958647692

static inline int fb_isfinite3(const double v[3])
{
    return isfinite(v[0]) && isfinite(v[1]) && isfinite(v[2]);
}

static inline int fb_isfinite_n(const double *v, int n)
{
    int i;
    for (i = 0; i < n; ++i) {
        if (!isfinite(v[i])) {
            return 0;
        }
    }
    return 1;
}

static inline double fb_dot3(const double a[3], const double b[3])
{
    return a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
}

static inline double fb_norm3(const double a[3])
{
    return sqrt(fb_dot3(a, a));
}

/* out = a x b; out must not alias a or b. */
static inline void fb_cross3(const double a[3], const double b[3], double out[3])
{
    out[0] = a[1] * b[2] - a[2] * b[1];
    out[1] = a[2] * b[0] - a[0] * b[2];
    out[2] = a[0] * b[1] - a[1] * b[0];
}

static inline void fb_add3(const double a[3], const double b[3], double out[3])
{
    out[0] = a[0] + b[0];
    out[1] = a[1] + b[1];
    out[2] = a[2] + b[2];
}

static inline void fb_sub3(const double a[3], const double b[3], double out[3])
{
    out[0] = a[0] - b[0];
    out[1] = a[1] - b[1];
    out[2] = a[2] - b[2];
}

static inline void fb_scale3(double s, const double a[3], double out[3])
{
    out[0] = s * a[0];
    out[1] = s * a[1];
    out[2] = s * a[2];
}

/* out = a + s * b */
static inline void fb_axpy3(const double a[3], double s, const double b[3], double out[3])
{
    out[0] = a[0] + s * b[0];
    out[1] = a[1] + s * b[1];
    out[2] = a[2] + s * b[2];
}

static inline void fb_copy3(const double a[3], double out[3])
{
    out[0] = a[0];
    out[1] = a[1];
    out[2] = a[2];
}

/* Unit vector along a; returns 0 when a is zero (out untouched), 1 otherwise. */
static inline int fb_unit3(const double a[3], double out[3])
{
    double n = fb_norm3(a);
    if (!(n > 0.0)) {
        return 0;
    }
    fb_scale3(1.0 / n, a, out);
    return 1;
}

/* out = m a (m row-major 3x3); out must not alias a. */
static inline void fb_mat3_mul_vec(const double m[9], const double a[3], double out[3])
{
    out[0] = m[0] * a[0] + m[1] * a[1] + m[2] * a[2];
    out[1] = m[3] * a[0] + m[4] * a[1] + m[5] * a[2];
    out[2] = m[6] * a[0] + m[7] * a[1] + m[8] * a[2];
}

/* out = m^T a; out must not alias a. */
static inline void fb_mat3_tmul_vec(const double m[9], const double a[3], double out[3])
{
    out[0] = m[0] * a[0] + m[3] * a[1] + m[6] * a[2];
    out[1] = m[1] * a[0] + m[4] * a[1] + m[7] * a[2];
    out[2] = m[2] * a[0] + m[5] * a[1] + m[8] * a[2];
}

/* out = a b; out must not alias a or b. */
static inline void fb_mat3_mul(const double a[9], const double b[9], double out[9])
{
    int i, j;
    for (i = 0; i < 3; ++i) {
        for (j = 0; j < 3; ++j) {
            out[3 * i + j] = a[3 * i] * b[j] + a[3 * i + 1] * b[3 + j] + a[3 * i + 2] * b[6 + j];
        }
    }
}

static inline double fb_clamp(double x, double lo, double hi)
{
    return x < lo ? lo : (x > hi ? hi : x);
}

#endif
