/*
 * fb_frames.c - ECI/ECEF rotation, WGS-84 geodesy, LVLH and great circles.
 *
 * Approximations (see fb_frames.h): ECEF = R3(gmst) ECI with GMST from fb_time (IAU 1982, UT1 = UTC), no
 * precession, nutation or polar motion. The velocity transform uses the WGS-84 rotation rate
 * omega = 7.292115e-5 rad/s for omega x r; the IAU 1982 sidereal rate differs from it by 8.6e-12 rad/s,
 * 6e-5 m/s at 7,000 km, far below anything the rig resolves.
 */
#include "fb_frames.h"

#include <math.h>
#include <stddef.h>

#include "fb_math.h"
#include "fb_time.h"

#define FB_FRAMES_E2 (FB_WGS84_F * (2.0 - FB_WGS84_F))   /* first eccentricity squared */
#define FB_FRAMES_R_MIN_M 50000.0                        /* geodetic: closest point to the centre */
#define FB_FRAMES_H_MIN_M (-1.0e6)                       /* ecef_from_geodetic: lowest altitude */
#define FB_FRAMES_R_MAX_M 1.0e10                         /* geodesy: farthest point (26 lunar distances) */

/* out = R3(theta) a (theta > 0 turns the x axis toward y); out must not alias a. */
static void fb_frames_r3(double theta, const double a[3], double out[3])
{
    double c = cos(theta), s = sin(theta);
    out[0] = c * a[0] + s * a[1];
    out[1] = -s * a[0] + c * a[1];
    out[2] = a[2];
}

fb_status fb_frame_ecef_from_eci(double t_s, const double r_eci_m[3], double r_ecef_m[3])
{
    double g, tmp[3];
    fb_status st;
    if (r_eci_m == NULL || r_ecef_m == NULL) {
        return FB_E_NULL;
    }
    if (!fb_isfinite3(r_eci_m)) {
        return FB_E_NONFINITE;
    }
    st = fb_time_gmst_rad(t_s, &g);
    if (st != FB_OK) {
        return st;
    }
    fb_frames_r3(g, r_eci_m, tmp);
    if (!fb_isfinite3(tmp)) {
        return FB_E_RANGE; /* components near the largest double overflow when turned */
    }
    fb_copy3(tmp, r_ecef_m);
    return FB_OK;
}

fb_status fb_frame_eci_from_ecef(double t_s, const double r_ecef_m[3], double r_eci_m[3])
{
    double g, tmp[3];
    fb_status st;
    if (r_eci_m == NULL || r_ecef_m == NULL) {
        return FB_E_NULL;
    }
    if (!fb_isfinite3(r_ecef_m)) {
        return FB_E_NONFINITE;
    }
    st = fb_time_gmst_rad(t_s, &g);
    if (st != FB_OK) {
        return st;
    }
    fb_frames_r3(-g, r_ecef_m, tmp);
    if (!fb_isfinite3(tmp)) {
        return FB_E_RANGE;
    }
    fb_copy3(tmp, r_eci_m);
    return FB_OK;
}

fb_status fb_frame_dcm_ecef_from_eci(double t_s, double dcm[9])
{
    double g, c, s;
    fb_status st;
    if (dcm == NULL) {
        return FB_E_NULL;
    }
    st = fb_time_gmst_rad(t_s, &g);
    if (st != FB_OK) {
        return st;
    }
    c = cos(g);
    s = sin(g);
    dcm[0] = c;
    dcm[1] = s;
    dcm[2] = 0.0;
    dcm[3] = -s;
    dcm[4] = c;
    dcm[5] = 0.0;
    dcm[6] = 0.0;
    dcm[7] = 0.0;
    dcm[8] = 1.0;
    return FB_OK;
}

fb_status fb_frame_ecef_state_from_eci(double t_s, const double r_eci_m[3], const double v_eci_mps[3],
                                       double r_ecef_m[3], double v_ecef_mps[3])
{
    double g, r[3], v[3];
    fb_status st;
    if (r_eci_m == NULL || v_eci_mps == NULL || r_ecef_m == NULL || v_ecef_mps == NULL) {
        return FB_E_NULL;
    }
    if (!fb_isfinite3(r_eci_m) || !fb_isfinite3(v_eci_mps)) {
        return FB_E_NONFINITE;
    }
    st = fb_time_gmst_rad(t_s, &g);
    if (st != FB_OK) {
        return st;
    }
    fb_frames_r3(g, r_eci_m, r);
    fb_frames_r3(g, v_eci_mps, v);
    /* v_ecef = R v_eci - omega x r_ecef, omega = (0, 0, w) */
    v[0] += FB_WGS84_OMEGA_RAD_S * r[1];
    v[1] -= FB_WGS84_OMEGA_RAD_S * r[0];
    if (!fb_isfinite3(r) || !fb_isfinite3(v)) {
        return FB_E_RANGE;
    }
    fb_copy3(r, r_ecef_m);
    fb_copy3(v, v_ecef_mps);
    return FB_OK;
}

fb_status fb_frame_eci_state_from_ecef(double t_s, const double r_ecef_m[3], const double v_ecef_mps[3],
                                       double r_eci_m[3], double v_eci_mps[3])
{
    double g, vi[3], r[3], v[3];
    fb_status st;
    if (r_eci_m == NULL || v_eci_mps == NULL || r_ecef_m == NULL || v_ecef_mps == NULL) {
        return FB_E_NULL;
    }
    if (!fb_isfinite3(r_ecef_m) || !fb_isfinite3(v_ecef_mps)) {
        return FB_E_NONFINITE;
    }
    st = fb_time_gmst_rad(t_s, &g);
    if (st != FB_OK) {
        return st;
    }
    /* v_eci = R^T (v_ecef + omega x r_ecef) */
    vi[0] = v_ecef_mps[0] - FB_WGS84_OMEGA_RAD_S * r_ecef_m[1];
    vi[1] = v_ecef_mps[1] + FB_WGS84_OMEGA_RAD_S * r_ecef_m[0];
    vi[2] = v_ecef_mps[2];
    fb_frames_r3(-g, r_ecef_m, r);
    fb_frames_r3(-g, vi, v);
    if (!fb_isfinite3(r) || !fb_isfinite3(v)) {
        return FB_E_RANGE;
    }
    fb_copy3(r, r_eci_m);
    fb_copy3(v, v_eci_mps);
    return FB_OK;
}

/*
 * Latitude and height from the distance to the axis p_m and the height above the equator plane z_m, by
 * the closed form of Vermeille (2004), "Computing geodetic coordinates from geocentric coordinates",
 * Journal of Geodesy 78, 94-95. The form is exact outside the evolute of the ellipse (a region within
 * about 43 km of the centre); callers keep points at least 50 km from the centre. All square-root
 * arguments are non-negative there; rounding leaves errors of order 1e-9 m over the rig's range.
 */
static void fb_frames_vermeille(double p_m, double z_m, double *lat_rad, double *h_m)
{
    const double a = FB_WGS84_A_M;
    const double e2 = FB_FRAMES_E2;
    const double e4 = e2 * e2;
    double pp = (p_m * p_m) / (a * a);
    double q = (1.0 - e2) * (z_m * z_m) / (a * a);
    double r = (pp + q - e4) / 6.0;
    double s = e4 * pp * q / (4.0 * r * r * r);
    double t = cbrt(1.0 + s + sqrt(s * (2.0 + s)));
    double u = r * (1.0 + t + 1.0 / t);
    double v = sqrt(u * u + e4 * q);
    double w = e2 * (u + v - q) / (2.0 * v);
    double k = sqrt(u + v + w * w) - w;
    double d = k * p_m / (k + e2);
    double dz = sqrt(d * d + z_m * z_m);
    *lat_rad = 2.0 * atan2(z_m, d + dz);
    *h_m = (k + e2 - 1.0) / k * dz;
}

fb_status fb_frame_geodetic_from_ecef(const double r_ecef_m[3], double lla[3])
{
    double p, lat, lon, h;
    if (r_ecef_m == NULL || lla == NULL) {
        return FB_E_NULL;
    }
    if (!fb_isfinite3(r_ecef_m)) {
        return FB_E_NONFINITE;
    }
    if (!(fb_norm3(r_ecef_m) >= FB_FRAMES_R_MIN_M) || !(fb_norm3(r_ecef_m) <= FB_FRAMES_R_MAX_M)) {
        return FB_E_RANGE;
    }
    p = hypot(r_ecef_m[0], r_ecef_m[1]);
    fb_frames_vermeille(p, r_ecef_m[2], &lat, &h);
    lon = atan2(r_ecef_m[1], r_ecef_m[0]);
    if (lon <= -FB_PI) {
        lon += FB_TWO_PI;
    }
    lla[0] = lat;
    lla[1] = lon;
    lla[2] = h;
    return FB_OK;
}

fb_status fb_frame_ecef_from_geodetic(const double lla[3], double r_ecef_m[3])
{
    double sl, cl, n, x, y, z;
    if (lla == NULL || r_ecef_m == NULL) {
        return FB_E_NULL;
    }
    if (!fb_isfinite3(lla)) {
        return FB_E_NONFINITE;
    }
    if (fabs(lla[0]) > 0.5 * FB_PI || lla[2] < FB_FRAMES_H_MIN_M || lla[2] > FB_FRAMES_R_MAX_M) {
        return FB_E_RANGE;
    }
    sl = sin(lla[0]);
    cl = cos(lla[0]);
    n = FB_WGS84_A_M / sqrt(1.0 - FB_FRAMES_E2 * sl * sl);
    x = (n + lla[2]) * cl * cos(lla[1]);
    y = (n + lla[2]) * cl * sin(lla[1]);
    z = (n * (1.0 - FB_FRAMES_E2) + lla[2]) * sl;
    r_ecef_m[0] = x;
    r_ecef_m[1] = y;
    r_ecef_m[2] = z;
    return FB_OK;
}

fb_status fb_frame_altitude_m(double t_s, const double r_eci_m[3], double *h_m)
{
    double lat, h;
    if (r_eci_m == NULL || h_m == NULL) {
        return FB_E_NULL;
    }
    if (!isfinite(t_s) || !fb_isfinite3(r_eci_m)) {
        return FB_E_NONFINITE;
    }
    if (fabs(t_s) > 1.0e10) {
        return FB_E_RANGE; /* the same time range as every other function of the area */
    }
    if (!(fb_norm3(r_eci_m) >= FB_FRAMES_R_MIN_M) || !(fb_norm3(r_eci_m) <= FB_FRAMES_R_MAX_M)) {
        return FB_E_RANGE;
    }
    /* the rotation about z keeps the distance to the axis and z, so the ECEF position is not needed */
    fb_frames_vermeille(hypot(r_eci_m[0], r_eci_m[1]), r_eci_m[2], &lat, &h);
    *h_m = h;
    return FB_OK;
}

fb_status fb_frame_dcm_lvlh_from_eci(const double r_eci_m[3], const double v_eci_mps[3], double dcm[9])
{
    double h[3], x[3], y[3], z[3], rn, hn;
    if (r_eci_m == NULL || v_eci_mps == NULL || dcm == NULL) {
        return FB_E_NULL;
    }
    if (!fb_isfinite3(r_eci_m) || !fb_isfinite3(v_eci_mps)) {
        return FB_E_NONFINITE;
    }
    rn = fb_norm3(r_eci_m);
    fb_cross3(r_eci_m, v_eci_mps, h);
    hn = fb_norm3(h);
    /* degenerate: zero position, or velocity parallel to it (to 1e-12 rad) so the orbit plane is undefined */
    if (!(rn > 0.0) || !(hn > 1.0e-12 * rn * fb_norm3(v_eci_mps))) {
        return FB_E_DEGENERATE;
    }
    z[0] = -r_eci_m[0] / rn;
    z[1] = -r_eci_m[1] / rn;
    z[2] = -r_eci_m[2] / rn;
    y[0] = -h[0] / hn;
    y[1] = -h[1] / hn;
    y[2] = -h[2] / hn;
    fb_cross3(y, z, x);
    if (!fb_isfinite3(x) || !fb_isfinite3(y) || !fb_isfinite3(z)) {
        return FB_E_RANGE; /* |r| or |r x v| overflowed */
    }
    dcm[0] = x[0];
    dcm[1] = x[1];
    dcm[2] = x[2];
    dcm[3] = y[0];
    dcm[4] = y[1];
    dcm[5] = y[2];
    dcm[6] = z[0];
    dcm[7] = z[1];
    dcm[8] = z[2];
    return FB_OK;
}

/*
 * Haversine distance on the sphere of radius FB_MEAN_RADIUS_M and the initial bearing of the great circle
 * (forward azimuth). The sphere differs from the ellipsoid by up to about 0.5 % in distance. At a pole the
 * bearing is that of the formula (north is undefined there); for coincident points it is 0.
 */
fb_status fb_frame_great_circle(double lat1_rad, double lon1_rad, double lat2_rad, double lon2_rad,
                                double *distance_m, double *bearing_rad)
{
    double dlat, dlon, sdlat, sdlon, hav, c1, c2, b;
    if (distance_m == NULL || bearing_rad == NULL) {
        return FB_E_NULL;
    }
    if (!isfinite(lat1_rad) || !isfinite(lon1_rad) || !isfinite(lat2_rad) || !isfinite(lon2_rad)) {
        return FB_E_NONFINITE;
    }
    if (fabs(lat1_rad) > 0.5 * FB_PI || fabs(lat2_rad) > 0.5 * FB_PI) {
        return FB_E_RANGE;
    }
    dlat = lat2_rad - lat1_rad;
    dlon = lon2_rad - lon1_rad;
    c1 = cos(lat1_rad);
    c2 = cos(lat2_rad);
    sdlat = sin(0.5 * dlat);
    sdlon = sin(0.5 * dlon);
    hav = fb_clamp(sdlat * sdlat + c1 * c2 * sdlon * sdlon, 0.0, 1.0);
    *distance_m = 2.0 * FB_MEAN_RADIUS_M * atan2(sqrt(hav), sqrt(1.0 - hav));
    b = atan2(sin(dlon) * c2, c1 * sin(lat2_rad) - sin(lat1_rad) * c2 * cos(dlon));
    if (b < 0.0) {
        b += FB_TWO_PI;
    }
    if (b >= FB_TWO_PI) {
        b = 0.0;
    }
    *bearing_rad = b;
    return FB_OK;
}

/* ---- batch entry points: n points, arrays of n x 3 (row-major) or n; the first failure's status ---- */

#define FB_FRAMES_BATCH_CHECK(cond)                                                                     \
    do {                                                                                                \
        if (n < 0) {                                                                                    \
            return FB_E_RANGE;                                                                          \
        }                                                                                               \
        if (n == 0) {                                                                                   \
            return FB_OK;                                                                               \
        }                                                                                               \
        if (cond) {                                                                                     \
            return FB_E_NULL;                                                                           \
        }                                                                                               \
    } while (0)

fb_status fb_frame_ecef_from_eci_n(int n, const double *t_s, const double *r_eci_m, double *r_ecef_m)
{
    int i;
    FB_FRAMES_BATCH_CHECK(t_s == NULL || r_eci_m == NULL || r_ecef_m == NULL);
    for (i = 0; i < n; ++i) {
        fb_status st = fb_frame_ecef_from_eci(t_s[i], &r_eci_m[3 * i], &r_ecef_m[3 * i]);
        if (st != FB_OK) {
            return st;
        }
    }
    return FB_OK;
}

fb_status fb_frame_eci_from_ecef_n(int n, const double *t_s, const double *r_ecef_m, double *r_eci_m)
{
    int i;
    FB_FRAMES_BATCH_CHECK(t_s == NULL || r_eci_m == NULL || r_ecef_m == NULL);
    for (i = 0; i < n; ++i) {
        fb_status st = fb_frame_eci_from_ecef(t_s[i], &r_ecef_m[3 * i], &r_eci_m[3 * i]);
        if (st != FB_OK) {
            return st;
        }
    }
    return FB_OK;
}

fb_status fb_frame_ecef_state_from_eci_n(int n, const double *t_s, const double *r_eci_m,
                                         const double *v_eci_mps, double *r_ecef_m, double *v_ecef_mps)
{
    int i;
    FB_FRAMES_BATCH_CHECK(t_s == NULL || r_eci_m == NULL || v_eci_mps == NULL || r_ecef_m == NULL ||
                          v_ecef_mps == NULL);
    for (i = 0; i < n; ++i) {
        fb_status st = fb_frame_ecef_state_from_eci(t_s[i], &r_eci_m[3 * i], &v_eci_mps[3 * i],
                                                    &r_ecef_m[3 * i], &v_ecef_mps[3 * i]);
        if (st != FB_OK) {
            return st;
        }
    }
    return FB_OK;
}

fb_status fb_frame_eci_state_from_ecef_n(int n, const double *t_s, const double *r_ecef_m,
                                         const double *v_ecef_mps, double *r_eci_m, double *v_eci_mps)
{
    int i;
    FB_FRAMES_BATCH_CHECK(t_s == NULL || r_eci_m == NULL || v_eci_mps == NULL || r_ecef_m == NULL ||
                          v_ecef_mps == NULL);
    for (i = 0; i < n; ++i) {
        fb_status st = fb_frame_eci_state_from_ecef(t_s[i], &r_ecef_m[3 * i], &v_ecef_mps[3 * i],
                                                    &r_eci_m[3 * i], &v_eci_mps[3 * i]);
        if (st != FB_OK) {
            return st;
        }
    }
    return FB_OK;
}

fb_status fb_frame_geodetic_from_ecef_n(int n, const double *r_ecef_m, double *lla)
{
    int i;
    FB_FRAMES_BATCH_CHECK(r_ecef_m == NULL || lla == NULL);
    for (i = 0; i < n; ++i) {
        fb_status st = fb_frame_geodetic_from_ecef(&r_ecef_m[3 * i], &lla[3 * i]);
        if (st != FB_OK) {
            return st;
        }
    }
    return FB_OK;
}

fb_status fb_frame_ecef_from_geodetic_n(int n, const double *lla, double *r_ecef_m)
{
    int i;
    FB_FRAMES_BATCH_CHECK(r_ecef_m == NULL || lla == NULL);
    for (i = 0; i < n; ++i) {
        fb_status st = fb_frame_ecef_from_geodetic(&lla[3 * i], &r_ecef_m[3 * i]);
        if (st != FB_OK) {
            return st;
        }
    }
    return FB_OK;
}

fb_status fb_frame_altitude_m_n(int n, const double *t_s, const double *r_eci_m, double *h_m)
{
    int i;
    FB_FRAMES_BATCH_CHECK(t_s == NULL || r_eci_m == NULL || h_m == NULL);
    for (i = 0; i < n; ++i) {
        fb_status st = fb_frame_altitude_m(t_s[i], &r_eci_m[3 * i], &h_m[i]);
        if (st != FB_OK) {
            return st;
        }
    }
    return FB_OK;
}

fb_status fb_frame_dcm_lvlh_from_eci_n(int n, const double *r_eci_m, const double *v_eci_mps, double *dcm)
{
    int i;
    FB_FRAMES_BATCH_CHECK(r_eci_m == NULL || v_eci_mps == NULL || dcm == NULL);
    for (i = 0; i < n; ++i) {
        fb_status st = fb_frame_dcm_lvlh_from_eci(&r_eci_m[3 * i], &v_eci_mps[3 * i], &dcm[9 * i]);
        if (st != FB_OK) {
            return st;
        }
    }
    return FB_OK;
}

fb_status fb_frame_dcm_ecef_from_eci_n(int n, const double *t_s, double *dcm)
{
    int i;
    FB_FRAMES_BATCH_CHECK(t_s == NULL || dcm == NULL);
    for (i = 0; i < n; ++i) {
        fb_status st = fb_frame_dcm_ecef_from_eci(t_s[i], &dcm[9 * i]);
        if (st != FB_OK) {
            return st;
        }
    }
    return FB_OK;
}

fb_status fb_frame_great_circle_n(int n, const double *lat1_rad, const double *lon1_rad,
                                  const double *lat2_rad, const double *lon2_rad, double *distance_m,
                                  double *bearing_rad)
{
    int i;
    FB_FRAMES_BATCH_CHECK(lat1_rad == NULL || lon1_rad == NULL || lat2_rad == NULL || lon2_rad == NULL ||
                          distance_m == NULL || bearing_rad == NULL);
    for (i = 0; i < n; ++i) {
        fb_status st = fb_frame_great_circle(lat1_rad[i], lon1_rad[i], lat2_rad[i], lon2_rad[i],
                                             &distance_m[i], &bearing_rad[i]);
        if (st != FB_OK) {
            return st;
        }
    }
    return FB_OK;
}
