/* Vector cases of the rigid-body area (fb_rigid.h). */
#include <stddef.h>

#include "fb_rigid.h"
#include "fbt.h"

/* model (25): gm re j2 j3 j4 atm_kind atm_scale hp_n omega_e drag_on gg_on cd area cop[3] inertia[9] */
static void rb_read_model(const double *in, fb_rb_model *m)
{
    int i;
    m->grav.gm_m3_s2 = in[0];
    m->grav.re_m = in[1];
    m->grav.j2 = in[2];
    m->grav.j3 = in[3];
    m->grav.j4 = in[4];
    m->atm.kind = (int)in[5];
    m->atm.scale = in[6];
    m->atm.hp_n = (int)in[7];
    m->omega_earth_rad_s = in[8];
    m->drag_on = (int)in[9];
    m->gravity_gradient_on = (int)in[10];
    m->cd = in[11];
    m->area_m2 = in[12];
    for (i = 0; i < 3; ++i) {
        m->cop_body_m[i] = in[13 + i];
    }
    for (i = 0; i < 9; ++i) {
        m->inertia_kg_m2[i] = in[16 + i];
    }
}

/* thrust (7): force[3] torque[3] mdot */
static void rb_read_thrust(const double *in, fb_rb_thrust *th)
{
    int i;
    for (i = 0; i < 3; ++i) {
        th->force_body_n[i] = in[i];
        th->torque_body_nm[i] = in[3 + i];
    }
    th->mdot_kg_s = in[6];
}

/* in: model(25) thrust(7) t_s y[20]; out: dydt[20] */
FBT_CASE(rb_deriv)
{
    fb_rb_model m;
    fb_rb_thrust th;
    FBT_ARITY(53, 20);
    rb_read_model(in, &m);
    rb_read_thrust(in + 25, &th);
    return (int)fb_rb_deriv(&m, &th, in[32], in + 33, out);
}

/* in: model(25) thrust(7) t0_s y0[20] t1_s h_max_s h_stop_m; out: t_end_s stopped y1[20] */
FBT_CASE(rb_propagate)
{
    fb_rb_model m;
    fb_rb_thrust th;
    int stopped = 0;
    fb_status st;
    FBT_ARITY(56, 22);
    rb_read_model(in, &m);
    rb_read_thrust(in + 25, &th);
    st = fb_rb_propagate(&m, &th, in[32], in + 33, in[53], in[54], in[55], &out[0], out + 2, &stopped);
    out[1] = (double)stopped;
    return (int)st;
}

/* in: gm re j2 j3 j4 r[3] v[3]; out: energy */
FBT_CASE(rb_orbit_energy)
{
    fb_grav_model g;
    FBT_ARITY(11, 1);
    g.gm_m3_s2 = in[0];
    g.re_m = in[1];
    g.j2 = in[2];
    g.j3 = in[3];
    g.j4 = in[4];
    return (int)fb_rb_orbit_energy(&g, in + 5, in + 8, out);
}

/* in: model(25) n, n x (force[3] torque[3] mdot), open_until[n], dry_mass t0 y0[20] t1 h_max h_stop;
 * out: t_end stopped y1[20] open_s[n]. A count out of range is passed through with no thrusters read. */
FBT_CASE(rb_propagate_valves)
{
    fb_rb_model m;
    fb_rb_thruster_set ts;
    const double *p;
    int n, n_read, i, k, stopped = 0;
    double open_s[FB_RB_MAX_THRUSTERS];
    fb_status st;
    if (n_in < 26 || !(in[25] >= -1.0 && in[25] <= 1000.0)) {
        return FBT_BAD_ARITY;
    }
    n = (int)in[25];
    n_read = (n >= 0 && n <= FB_RB_MAX_THRUSTERS) ? n : 0;
    if (n_in != 26 + 8 * n_read + 25 || n_out != 22 + n_read) {
        return FBT_BAD_ARITY;
    }
    rb_read_model(in, &m);
    ts.n = n;
    p = in + 26;
    for (k = 0; k < n_read; ++k) {
        for (i = 0; i < 3; ++i) {
            ts.force_body_n[k][i] = p[i];
            ts.torque_body_nm[k][i] = p[3 + i];
        }
        ts.mdot_kg_s[k] = p[6];
        open_s[k] = 0.0;
        p += 7;
    }
    st = fb_rb_propagate_valves(&m, &ts, p, p[n_read], p[n_read + 1], p + n_read + 2, p[n_read + 22],
                                p[n_read + 23], p[n_read + 24], &out[0], out + 2, &stopped, open_s);
    out[1] = (double)stopped;
    for (k = 0; k < n_read; ++k) {
        out[22 + k] = open_s[k];
    }
    return (int)st;
}
