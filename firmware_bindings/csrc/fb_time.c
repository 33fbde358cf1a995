/*
 * fb_time.c - calendar to Julian date and J2000 seconds; Greenwich mean sidereal time (IAU 1982).
 *
 * The day number uses the integer algorithm of Fliegel and Van Flandern (Communications of the ACM 11,
 * 1968, p. 657), exact for every Gregorian date; C99 integer division truncates toward zero as that
 * algorithm requires. Seconds since J2000 are formed from the integer day count and the time of day, not
 * from a Julian date, so no precision is lost to the large Julian day number.
 */
#include "fb_time.h"

#include <math.h>
#include <stddef.h>

#include "fb_math.h"

#define FB_TIME_JD_J2000 2451545L          /* Julian day number of 2000-01-01 (noon of that day) */
#define FB_TIME_DAY_S 86400.0
#define FB_TIME_CENTURY_S (36525.0 * 86400.0)
#define FB_TIME_T_MAX_S 1.0e10             /* |t_s| bound for sidereal time: about 317 years */

static int fb_time_is_leap(int year)
{
    return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

/* Checks the calendar fields and returns the Julian day number (the day beginning at noon). */
static fb_status fb_time_day_number(int year, int month, int day, int hour, int minute, double second,
                                    long *jdn)
{
    static const int days_in_month[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    long y, m, d, a;
    int dim;
    if (!isfinite(second)) {
        return FB_E_NONFINITE;
    }
    if (year < 1900 || year > 2199 || month < 1 || month > 12) {
        return FB_E_RANGE;
    }
    dim = days_in_month[month - 1] + ((month == 2 && fb_time_is_leap(year)) ? 1 : 0);
    /* second may reach 61 (exclusive) so that a leap second 23:59:60.x can be written */
    if (day < 1 || day > dim || hour < 0 || hour > 23 || minute < 0 || minute > 59 || !(second >= 0.0) ||
        !(second < 61.0)) {
        return FB_E_RANGE;
    }
    y = year;
    m = month;
    d = day;
    a = (m - 14) / 12;
    *jdn = (1461L * (y + 4800L + a)) / 4L + (367L * (m - 2L - 12L * a)) / 12L -
           (3L * ((y + 4900L + a) / 100L)) / 4L + d - 32075L;
    return FB_OK;
}

fb_status fb_time_jd_from_utc(int year, int month, int day, int hour, int minute, double second,
                              double *jd_utc)
{
    long jdn;
    fb_status st;
    if (jd_utc == NULL) {
        return FB_E_NULL;
    }
    st = fb_time_day_number(year, month, day, hour, minute, second, &jdn);
    if (st != FB_OK) {
        return st;
    }
    /* the Julian day number names the day that begins at noon; midnight before it is jdn - 0.5 */
    *jd_utc = ((double)jdn - 0.5) + (hour * 3600.0 + minute * 60.0 + second) / FB_TIME_DAY_S;
    return FB_OK;
}

fb_status fb_time_j2000_s_from_utc(int year, int month, int day, int hour, int minute, double second,
                                   double *t_s)
{
    long jdn;
    fb_status st;
    if (t_s == NULL) {
        return FB_E_NULL;
    }
    st = fb_time_day_number(year, month, day, hour, minute, second, &jdn);
    if (st != FB_OK) {
        return st;
    }
    *t_s = (double)(jdn - FB_TIME_JD_J2000) * FB_TIME_DAY_S + (double)((hour - 12) * 3600 + minute * 60) +
           second;
    return FB_OK;
}

/*
 * GMST (IAU 1982, Aoki et al. 1982) in seconds of time:
 *   67310.54841 + (876600 h + 8640184.812866 s) T + 0.093104 s T^2 - 6.2e-6 s T^3,
 * T in Julian centuries of UT1 from J2000. Since 876600 h is exactly one Julian century, the second term
 * is t_s itself; it is reduced modulo one day before the small terms are added, which keeps the full
 * double precision of t_s (about 1e-7 s, or 7e-12 rad, at t_s = 1e9 s).
 */
fb_status fb_time_gmst_rad(double t_s, double *gmst_rad)
{
    double tc, sec, ang;
    if (gmst_rad == NULL) {
        return FB_E_NULL;
    }
    if (!isfinite(t_s)) {
        return FB_E_NONFINITE;
    }
    if (fabs(t_s) > FB_TIME_T_MAX_S) {
        return FB_E_RANGE;
    }
    tc = t_s / FB_TIME_CENTURY_S;
    sec = fmod(t_s, FB_TIME_DAY_S) + 67310.54841 + tc * (8640184.812866 + tc * (0.093104 - 6.2e-6 * tc));
    sec = fmod(sec, FB_TIME_DAY_S);
    if (sec < 0.0) {
        sec += FB_TIME_DAY_S;
    }
    ang = sec * (FB_TWO_PI / FB_TIME_DAY_S);
    if (ang >= FB_TWO_PI) {
        ang -= FB_TWO_PI;
    }
    *gmst_rad = ang;
    return FB_OK;
}

fb_status fb_time_gmst_rad_n(int n, const double *t_s, double *gmst_rad)
{
    int i;
    if (n < 0) {
        return FB_E_RANGE;
    }
    if (n == 0) {
        return FB_OK;
    }
    if (t_s == NULL || gmst_rad == NULL) {
        return FB_E_NULL;
    }
    for (i = 0; i < n; ++i) {
        fb_status st = fb_time_gmst_rad(t_s[i], &gmst_rad[i]);
        if (st != FB_OK) {
            return st;
        }
    }
    return FB_OK;
}
