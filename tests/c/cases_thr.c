/* Vector cases of the thruster board area (fb_thr.h): a script of board inputs at increasing times and
 * what the board answered to each.
 *
 * inputs: t0_s, then one operation per 7 numbers: op, dt_s (time step before it), then
 *   op 1 advance:  -          outputs: changed
 *   op 2 command:  cycle, command_id, mode, cycle_period_us, on_time_us (every thruster; 0: none)
 *                             outputs: reaction bits
 *   op 3 arm:      action, arm_code, command_id            outputs: reaction bits
 *   op 4 fault:    kind, thruster, factor                  outputs: reaction bits
 *   op 5 status:   -          outputs: armed_state, mode, valve bits low 32, valve bits high 32,
 *                             last_command_id, last_cycle, tank pressure Pa, propellant kg, flags,
 *                             commands rejected
 * The board is the default deorbit stack's (46 thrusters, 30 deorbit from index 16) with the figures below. */
#include <stddef.h>
#include <stdint.h>

#include "fb_thr.h"
#include "fbt.h"

#define THR_OP_WIDTH 7

static fb_thr_config thr_default_config(void)
{
    fb_thr_config c;
    c.thrust_n = 400.0;
    c.isp_s = 300.0;
    c.min_on_s = 0.02;
    c.max_on_s = 60.0;
    c.watchdog_s = 1.0;
    c.tank_pressure_pa = 1.7e6;
    c.propellant_kg = 50.0;
    c.ullage_fraction = 0.4;
    c.propellant_density_kg_m3 = 1190.0;
    c.low_pressure_fraction = 0.45;
    c.arm_confirm_timeout_s = 5.0;
    c.watchdog_cycles = 3.0;
    c.n_thrusters = 46;
    c.deorbit_first = 16;
    c.deorbit_count = 30;
    return c;
}

/* a non-negative integer below 2^32 given as a double, else -1 */
static int64_t thr_u32(double v)
{
    if (!(v >= 0.0 && v <= 4294967295.0) || v != (double)(int64_t)v) {
        return -1;
    }
    return (int64_t)v;
}

FBT_CASE(thr_script)
{
    fb_thr_config cfg = thr_default_config();
    fb_thr_board board;
    fb_status st;
    double t;
    int k, at = 0;
    if (n_in < 1 || (n_in - 1) % THR_OP_WIDTH != 0) {
        return FBT_BAD_ARITY;
    }
    t = in[0];
    st = fb_thr_init(&cfg, t, &board);
    if (st != FB_OK) {
        return st;
    }
    for (k = 1; k < n_in; k += THR_OP_WIDTH) {
        const double *op = in + k;
        int reaction = 0;
        t += op[1];
        if (op[0] == 1.0) {
            st = fb_thr_advance(&board, t, &reaction);
        } else if (op[0] == 2.0) {
            uint32_t on[FB_THR_MAX_THRUSTERS];
            int64_t cycle = thr_u32(op[2]), id = thr_u32(op[3]), period = thr_u32(op[5]), on_us = thr_u32(op[6]);
            uint32_t i;
            if (cycle < 0 || id < 0 || period < 0 || on_us < 0) {
                return FBT_BAD_ARITY;
            }
            for (i = 0; i < cfg.n_thrusters; ++i) {
                on[i] = (uint32_t)on_us;
            }
            st = fb_thr_command(&board, t, (uint32_t)cycle, (uint32_t)id, (int32_t)op[4], (uint32_t)period,
                                on_us != 0 ? on : NULL, &reaction);
        } else if (op[0] == 3.0) {
            int64_t code = thr_u32(op[3]), id = thr_u32(op[4]);
            if (code < 0 || id < 0) {
                return FBT_BAD_ARITY;
            }
            st = fb_thr_arm(&board, t, (int32_t)op[2], (uint32_t)code, (uint32_t)id, &reaction);
        } else if (op[0] == 4.0) {
            int64_t thruster = thr_u32(op[3]);
            if (thruster < 0) {
                return FBT_BAD_ARITY;
            }
            st = fb_thr_fault(&board, t, (int32_t)op[2], (uint32_t)thruster, op[4], &reaction);
        } else if (op[0] == 5.0) {
            fb_thr_status s;
            if (at + 10 > n_out) {
                return FBT_BAD_ARITY;
            }
            st = fb_thr_status_report(&board, &s);
            out[at++] = s.armed_state;
            out[at++] = s.mode;
            out[at++] = (double)(s.valve_states & 0xFFFFFFFFu);
            out[at++] = (double)(s.valve_states >> 32);
            out[at++] = s.last_command_id;
            out[at++] = s.last_cycle;
            out[at++] = s.tank_pressure_pa;
            out[at++] = s.propellant_kg;
            out[at++] = s.flags;
            out[at++] = (double)s.commands_rejected;
            if (st != FB_OK) {
                return st;
            }
            continue;
        } else {
            return FBT_BAD_ARITY;
        }
        if (st != FB_OK) {
            return st;
        }
        if (at >= n_out) {
            return FBT_BAD_ARITY;
        }
        out[at++] = reaction;
    }
    return at == n_out ? FB_OK : FBT_BAD_ARITY;
}
