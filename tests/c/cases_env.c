/* cases_env.c - vector-runner adapters for the environment area: time, frames, gravity, atmosphere. */
#include "fb_atmos.h"
#include "fb_frames.h"
#include "fb_gravity.h"
#include "fb_time.h"
#include "fbt.h"

/* year month day hour minute second -> jd_utc */
FBT_CASE(time_jd_from_utc)
{
    FBT_ARITY(6, 1);
    return (int)fb_time_jd_from_utc((int)in[0], (int)in[1], (int)in[2], (int)in[3], (int)in[4], in[5], &out[0]);
}

/* year month day hour minute second -> t_s */
FBT_CASE(time_j2000_s_from_utc)
{
    FBT_ARITY(6, 1);
    return (int)fb_time_j2000_s_from_utc((int)in[0], (int)in[1], (int)in[2], (int)in[3], (int)in[4], in[5],
                                         &out[0]);
}

/* t_s -> gmst_rad */
FBT_CASE(time_gmst_rad)
{
    FBT_ARITY(1, 1);
    return (int)fb_time_gmst_rad(in[0], &out[0]);
}

/* t_s r_eci[3] -> r_ecef[3] */
FBT_CASE(frame_ecef_from_eci)
{
    FBT_ARITY(4, 3);
    return (int)fb_frame_ecef_from_eci(in[0], &in[1], out);
}

/* t_s r_ecef[3] -> r_eci[3] */
FBT_CASE(frame_eci_from_ecef)
{
    FBT_ARITY(4, 3);
    return (int)fb_frame_eci_from_ecef(in[0], &in[1], out);
}

/* t_s -> dcm[9] (row-major, ECI to ECEF) */
FBT_CASE(frame_dcm_ecef_from_eci)
{
    FBT_ARITY(1, 9);
    return (int)fb_frame_dcm_ecef_from_eci(in[0], out);
}

/* t_s r_eci[3] v_eci[3] -> r_ecef[3] v_ecef[3] */
FBT_CASE(frame_ecef_state_from_eci)
{
    FBT_ARITY(7, 6);
    return (int)fb_frame_ecef_state_from_eci(in[0], &in[1], &in[4], &out[0], &out[3]);
}

/* t_s r_ecef[3] v_ecef[3] -> r_eci[3] v_eci[3] */
FBT_CASE(frame_eci_state_from_ecef)
{
    FBT_ARITY(7, 6);
    return (int)fb_frame_eci_state_from_ecef(in[0], &in[1], &in[4], &out[0], &out[3]);
}

/* r_ecef[3] -> lat_rad lon_rad h_m */
FBT_CASE(frame_geodetic_from_ecef)
{
    FBT_ARITY(3, 3);
    return (int)fb_frame_geodetic_from_ecef(in, out);
}

/* lat_rad lon_rad h_m -> r_ecef[3] */
FBT_CASE(frame_ecef_from_geodetic)
{
    FBT_ARITY(3, 3);
    return (int)fb_frame_ecef_from_geodetic(in, out);
}

/* t_s r_eci[3] -> h_m */
FBT_CASE(frame_altitude_m)
{
    FBT_ARITY(4, 1);
    return (int)fb_frame_altitude_m(in[0], &in[1], &out[0]);
}

/* r_eci[3] v_eci[3] -> dcm[9] (row-major) */
FBT_CASE(frame_dcm_lvlh_from_eci)
{
    FBT_ARITY(6, 9);
    return (int)fb_frame_dcm_lvlh_from_eci(&in[0], &in[3], out);
}

/* lat1 lon1 lat2 lon2 (rad) -> distance_m bearing_rad */
FBT_CASE(frame_great_circle)
{
    FBT_ARITY(4, 2);
    return (int)fb_frame_great_circle(in[0], in[1], in[2], in[3], &out[0], &out[1]);
}

/* -> gm re j2 j3 j4 */
FBT_CASE(grav_default)
{
    fb_grav_model m;
    fb_status st;
    (void)in;
    FBT_ARITY(0, 5);
    st = fb_grav_default(&m);
    out[0] = m.gm_m3_s2;
    out[1] = m.re_m;
    out[2] = m.j2;
    out[3] = m.j3;
    out[4] = m.j4;
    return (int)st;
}

/* gm re j2 j3 j4 r[3] -> a[3] */
FBT_CASE(grav_accel)
{
    fb_grav_model m;
    FBT_ARITY(8, 3);
    m.gm_m3_s2 = in[0];
    m.re_m = in[1];
    m.j2 = in[2];
    m.j3 = in[3];
    m.j4 = in[4];
    return (int)fb_grav_accel(&m, &in[5], out);
}

/* t_s -> u_sun[3] */
FBT_CASE(atm_sun_eci)
{
    FBT_ARITY(1, 3);
    return (int)fb_atm_sun_eci(in[0], out);
}

/* kind scale hp_n t_s r_eci[3] h_m -> rho_kg_m3 */
FBT_CASE(atm_density)
{
    fb_atm_model m;
    FBT_ARITY(8, 1);
    m.kind = (int)in[0];
    m.scale = in[1];
    m.hp_n = (int)in[2];
    return (int)fb_atm_density(&m, in[3], &in[4], in[7], &out[0]);
}

/* r_ecef[3] -> a lat_rad, a lon_rad, h_m with a = 6378137 m: latitude and longitude as arc lengths on the
   equatorial radius, so that one tolerance in metres applies to all three outputs */
FBT_CASE(frame_geodetic_from_ecef_m)
{
    fb_status st;
    FBT_ARITY(3, 3);
    st = fb_frame_geodetic_from_ecef(in, out);
    out[0] *= FB_WGS84_A_M;
    out[1] *= FB_WGS84_A_M;
    return (int)st;
}
