/*
 * fb_thr.c - the thruster board's firmware logic (see fb_thr.h).
 */
#include "fb_thr.h"

#include <math.h>
#include <stddef.h>

#define FB_THR_G0_MPS2 9.80665
#define FB_THR_US 1e-6
#define FB_THR_TRANSIENT_FLAGS                                                                           \
    ((uint32_t)(FB_THR_F_ON_TIME_CLAMPED | FB_THR_F_REJECTED_NOT_ARMED | FB_THR_F_REJECTED_STALE_CYCLE | \
                FB_THR_F_ARM_SEQUENCE_ERROR | FB_THR_F_BOARD_RESET))

static int thr_nonneg(double x) { return isfinite(x) && x >= 0.0; }

static double thr_watchdog_period(const fb_thr_board *b)
{
    return b->cycle_period_s > 0.0 ? b->cfg.watchdog_cycles * b->cycle_period_s : b->cfg.watchdog_s;
}

/* The actual schedule from the commanded one at t_s: stuck valves override it. */
static void thr_actual(fb_thr_board *b, double t_s)
{
    uint32_t i;
    double last = -INFINITY;
    for (i = 0; i < b->cfg.n_thrusters; ++i) {
        uint64_t bit = (uint64_t)1 << i;
        double u = b->commanded_until_s[i];
        if (b->stuck_closed & bit) {
            u = t_s;
        }
        if (b->stuck_open & bit) {
            u = INFINITY;
        }
        b->actual_until_s[i] = u;
        if (u > last) {
            last = u;
        }
    }
    b->actual_last_s = last;
}

/* Propellant used by the actual valves from the last accounting time to t_s. */
static void thr_account(fb_thr_board *b, double t_s)
{
    double t0 = b->accounted_s;
    if (b->actual_last_s > t0 && t_s > t0) {
        double open_s = 0.0;
        uint32_t i;
        for (i = 0; i < b->cfg.n_thrusters; ++i) {
            double end = b->actual_until_s[i] < t_s ? b->actual_until_s[i] : t_s;
            if (end > t0) {
                open_s += end - t0;
            }
        }
        b->propellant_kg -= open_s * b->mdot_kg_s;
        if (!(b->propellant_kg > 0.0)) {
            b->propellant_kg = 0.0;
        }
    }
    if (t_s > t0) {
        b->accounted_s = t_s;
    }
}

/* Every valve commanded closed at t_s (accounting first), mode ALL_OFF. */
static void thr_close_all(fb_thr_board *b, double t_s)
{
    uint32_t i;
    thr_account(b, t_s);
    for (i = 0; i < b->cfg.n_thrusters; ++i) {
        b->commanded_until_s[i] = t_s;
    }
    thr_actual(b, t_s);
    b->mode = FB_THR_ALL_OFF;
}

static void thr_reset_state(fb_thr_board *b, double t_s)
{
    uint32_t i;
    b->armed_state = FB_THR_DISARMED;
    b->mode = FB_THR_ALL_OFF;
    b->arm_code = 0;
    b->prepared_at_s = -INFINITY;
    b->last_cycle = 0;
    b->last_command_id = 0;
    b->cycle_period_s = 0.0;
    b->last_valid_s = t_s;
    b->watchdog_expired = 0;
    for (i = 0; i < b->cfg.n_thrusters; ++i) {
        b->commanded_until_s[i] = t_s;
    }
    thr_actual(b, t_s);
}

fb_status fb_thr_init(const fb_thr_config *cfg, double t0_s, fb_thr_board *b)
{
    uint32_t i;
    if (cfg == NULL || b == NULL) {
        return FB_E_NULL;
    }
    if (!isfinite(t0_s)) {
        return FB_E_NONFINITE;
    }
    if (!thr_nonneg(cfg->thrust_n) || !thr_nonneg(cfg->isp_s) || !thr_nonneg(cfg->min_on_s) ||
        !thr_nonneg(cfg->max_on_s) || !thr_nonneg(cfg->watchdog_s) || !thr_nonneg(cfg->tank_pressure_pa) ||
        !thr_nonneg(cfg->propellant_kg) || !thr_nonneg(cfg->propellant_density_kg_m3) ||
        !thr_nonneg(cfg->low_pressure_fraction) || !thr_nonneg(cfg->arm_confirm_timeout_s) ||
        !thr_nonneg(cfg->watchdog_cycles)) {
        return FB_E_RANGE;
    }
    if (cfg->thrust_n <= 0.0 || cfg->isp_s <= 0.0 || cfg->watchdog_s <= 0.0 || cfg->max_on_s <= 0.0 ||
        cfg->watchdog_cycles <= 0.0 || cfg->propellant_density_kg_m3 <= 0.0 ||
        !(cfg->ullage_fraction > 0.0 && cfg->ullage_fraction < 1.0)) {
        return FB_E_RANGE;
    }
    if (cfg->n_thrusters < 1 || cfg->n_thrusters > FB_THR_MAX_THRUSTERS ||
        cfg->deorbit_first > cfg->n_thrusters || cfg->deorbit_count > cfg->n_thrusters - cfg->deorbit_first) {
        return FB_E_RANGE;
    }
    b->cfg = *cfg;
    b->mdot_kg_s = cfg->thrust_n / (cfg->isp_s * FB_THR_G0_MPS2);
    b->t_s = t0_s;
    b->accounted_s = t0_s;
    b->propellant_kg = cfg->propellant_kg;
    b->flags = 0;
    b->commands_rejected = 0;
    b->commands_executed = 0;
    b->watchdog_expiries = 0;
    b->fault_changes = 0;
    b->stuck_open = 0;
    b->stuck_closed = 0;
    for (i = 0; i < FB_THR_MAX_THRUSTERS; ++i) {
        b->thrust_factor[i] = 1.0;
        b->commanded_until_s[i] = t0_s;
        b->actual_until_s[i] = t0_s;
    }
    thr_reset_state(b, t0_s);
    return FB_OK;
}

/* advance without the argument checks; returns 1 when worth a status */
static int thr_advance(fb_thr_board *b, double t_s)
{
    int changed = 0;
    double expiry;
    if (t_s < b->t_s) {
        t_s = b->t_s;
    }
    if (b->armed_state == FB_THR_PREPARED && t_s - b->prepared_at_s > b->cfg.arm_confirm_timeout_s) {
        b->armed_state = FB_THR_DISARMED;
        b->flags |= FB_THR_F_ARM_SEQUENCE_ERROR;
        changed = 1;
    }
    expiry = b->last_valid_s + thr_watchdog_period(b);
    if (b->armed_state == FB_THR_ARMED && !b->watchdog_expired && t_s >= expiry) {
        thr_close_all(b, expiry);
        b->watchdog_expired = 1;
        b->watchdog_expiries += 1;
        b->armed_state = FB_THR_SAFED;
        changed = 1;
    }
    thr_account(b, t_s);
    b->t_s = t_s;
    return changed;
}

fb_status fb_thr_advance(fb_thr_board *b, double t_s, int *changed)
{
    if (b == NULL || changed == NULL) {
        return FB_E_NULL;
    }
    if (isnan(t_s)) {
        return FB_E_NONFINITE;
    }
    *changed = thr_advance(b, t_s);
    return FB_OK;
}

static int thr_reject(fb_thr_board *b, uint32_t flag)
{
    b->flags |= flag;
    b->commands_rejected += 1;
    return FB_THR_R_SEND_STATUS;
}

fb_status fb_thr_command(fb_thr_board *b, double t_s, uint32_t cycle, uint32_t command_id, int32_t mode,
                         uint32_t cycle_period_us, const uint32_t *on_time_us, int *reaction)
{
    uint32_t i, n;
    int pulses = 0, main_burn, opens;
    double t, period_s;
    if (b == NULL || reaction == NULL) {
        return FB_E_NULL;
    }
    if (isnan(t_s)) {
        return FB_E_NONFINITE;
    }
    if (mode < FB_THR_ALL_OFF || mode > FB_THR_MAIN_BURN) {
        return FB_E_RANGE;
    }
    n = b->cfg.n_thrusters;
    thr_advance(b, t_s);
    t = b->t_s;
    if (cycle <= b->last_cycle || (b->commands_executed > 0 && command_id == b->last_command_id)) {
        *reaction = thr_reject(b, FB_THR_F_REJECTED_STALE_CYCLE) | FB_THR_R_HELD;
        return FB_OK;
    }
    period_s = (double)cycle_period_us * FB_THR_US;
    if (mode != FB_THR_ALL_OFF && on_time_us != NULL) {
        for (i = 0; i < n; ++i) {
            if (on_time_us[i] != 0) {
                pulses = 1;
                break;
            }
        }
    }
    main_burn = mode == FB_THR_MAIN_BURN;
    opens = main_burn || pulses;
    if (opens && b->armed_state != FB_THR_ARMED) {
        *reaction = thr_reject(b, FB_THR_F_REJECTED_NOT_ARMED) | FB_THR_R_HELD;
        return FB_OK;
    }
    b->last_cycle = cycle;
    b->last_command_id = command_id;
    b->cycle_period_s = period_s;
    b->last_valid_s = t;
    b->watchdog_expired = 0;
    b->mode = mode; /* propellant is accounted to t (thr_advance): the new schedule starts there */
    if (pulses) {
        double bound = period_s < b->cfg.max_on_s ? period_s : b->cfg.max_on_s;
        for (i = 0; i < n; ++i) {
            double on_s = (double)on_time_us[i] * FB_THR_US;
            if (on_s > bound) {
                b->flags |= FB_THR_F_ON_TIME_CLAMPED;
                on_s = bound;
            }
            if (on_s < b->cfg.min_on_s) {
                on_s = 0.0;
            }
            b->commanded_until_s[i] = t + on_s;
        }
    } else {
        for (i = 0; i < n; ++i) {
            b->commanded_until_s[i] = t;
        }
    }
    if (main_burn) {
        double until = t + thr_watchdog_period(b);
        for (i = b->cfg.deorbit_first; i < b->cfg.deorbit_first + b->cfg.deorbit_count; ++i) {
            b->commanded_until_s[i] = until;
        }
    }
    thr_actual(b, t);
    b->commands_executed += 1;
    *reaction = FB_THR_R_SEND_STATUS | FB_THR_R_VALVES_CHANGED | FB_THR_R_ACCEPTED | FB_THR_R_HELD;
    return FB_OK;
}

fb_status fb_thr_arm(fb_thr_board *b, double t_s, int32_t action, uint32_t arm_code, uint32_t command_id,
                     int *reaction)
{
    double t;
    if (b == NULL || reaction == NULL) {
        return FB_E_NULL;
    }
    if (isnan(t_s)) {
        return FB_E_NONFINITE;
    }
    if (action < FB_THR_ARM_PREPARE || action > FB_THR_DISARM) {
        return FB_E_RANGE;
    }
    thr_advance(b, t_s);
    t = b->t_s;
    if (action == FB_THR_DISARM) {
        thr_close_all(b, t);
        b->armed_state = FB_THR_DISARMED;
        b->watchdog_expired = 0;
        b->last_command_id = command_id;
        *reaction = FB_THR_R_SEND_STATUS | FB_THR_R_VALVES_CHANGED | FB_THR_R_ACCEPTED;
        return FB_OK;
    }
    if (action == FB_THR_ARM_PREPARE) {
        if ((b->armed_state != FB_THR_DISARMED && b->armed_state != FB_THR_PREPARED) || arm_code == 0) {
            *reaction = thr_reject(b, FB_THR_F_ARM_SEQUENCE_ERROR);
            return FB_OK;
        }
        b->armed_state = FB_THR_PREPARED;
        b->arm_code = arm_code;
        b->prepared_at_s = t;
        b->last_command_id = command_id;
        *reaction = FB_THR_R_SEND_STATUS | FB_THR_R_ACCEPTED;
        return FB_OK;
    }
    if (!(b->armed_state == FB_THR_PREPARED && arm_code == b->arm_code &&
          t - b->prepared_at_s <= b->cfg.arm_confirm_timeout_s)) {
        if (b->armed_state != FB_THR_SAFED) { /* only DISARM leaves SAFED */
            thr_close_all(b, t);
            b->armed_state = FB_THR_DISARMED;
        }
        *reaction = thr_reject(b, FB_THR_F_ARM_SEQUENCE_ERROR) | FB_THR_R_VALVES_CHANGED;
        return FB_OK;
    }
    b->armed_state = FB_THR_ARMED;
    b->last_valid_s = t; /* the watchdog runs from the moment of arming */
    b->watchdog_expired = 0;
    b->last_command_id = command_id;
    *reaction = FB_THR_R_SEND_STATUS | FB_THR_R_ACCEPTED;
    return FB_OK;
}

fb_status fb_thr_fault(fb_thr_board *b, double t_s, int32_t kind, uint32_t thruster, double factor,
                       int *reaction)
{
    uint64_t bit;
    double t;
    uint32_t i;
    if (b == NULL || reaction == NULL) {
        return FB_E_NULL;
    }
    if (isnan(t_s)) {
        return FB_E_NONFINITE;
    }
    if (kind < FB_THR_FAULT_CLEAR || kind > FB_THR_FAULT_BOARD_RESET) {
        return FB_E_RANGE;
    }
    if ((kind == FB_THR_FAULT_STUCK_CLOSED || kind == FB_THR_FAULT_STUCK_OPEN || kind == FB_THR_FAULT_DEGRADED) &&
        thruster >= b->cfg.n_thrusters) {
        return FB_E_RANGE;
    }
    if (kind == FB_THR_FAULT_DEGRADED && !(factor >= 0.0 && factor <= 2.0)) {
        return isnan(factor) ? FB_E_NONFINITE : FB_E_RANGE;
    }
    thr_advance(b, t_s); /* accounts propellant to t under the faults before the change */
    t = b->t_s;
    bit = (uint64_t)1 << (thruster % FB_THR_MAX_THRUSTERS);
    switch (kind) {
    case FB_THR_FAULT_CLEAR:
        b->stuck_open = 0;
        b->stuck_closed = 0;
        for (i = 0; i < FB_THR_MAX_THRUSTERS; ++i) {
            b->thrust_factor[i] = 1.0;
        }
        break;
    case FB_THR_FAULT_STUCK_CLOSED:
        b->stuck_open &= ~bit;
        b->stuck_closed |= bit;
        break;
    case FB_THR_FAULT_STUCK_OPEN:
        b->stuck_closed &= ~bit;
        b->stuck_open |= bit;
        break;
    case FB_THR_FAULT_DEGRADED:
        b->thrust_factor[thruster] = factor;
        break;
    default: /* board reset: the volatile state goes, the hardware faults stay */
        thr_reset_state(b, t);
        b->flags = FB_THR_F_BOARD_RESET;
        break;
    }
    thr_actual(b, t);
    b->fault_changes += 1;
    *reaction = FB_THR_R_SEND_STATUS | FB_THR_R_VALVES_CHANGED | FB_THR_R_ACCEPTED;
    return FB_OK;
}

static double thr_tank_pressure(const fb_thr_board *b)
{
    const fb_thr_config *c = &b->cfg;
    double v_prop0 = c->propellant_kg / c->propellant_density_kg_m3;
    double v_gas0 = v_prop0 * c->ullage_fraction / (1.0 - c->ullage_fraction);
    double used_m3 = (c->propellant_kg - b->propellant_kg) / c->propellant_density_kg_m3;
    return v_gas0 > 0.0 ? c->tank_pressure_pa * v_gas0 / (v_gas0 + used_m3) : 0.0;
}

static uint32_t thr_flags(const fb_thr_board *b)
{
    uint32_t f = b->flags;
    uint32_t i;
    int degraded = 0;
    for (i = 0; i < b->cfg.n_thrusters; ++i) {
        if (b->thrust_factor[i] != 1.0) {
            degraded = 1;
            break;
        }
    }
    if (b->watchdog_expired) {
        f |= FB_THR_F_WATCHDOG_EXPIRED;
    }
    if (b->stuck_open || b->stuck_closed) {
        f |= FB_THR_F_VALVE_FAULT;
    }
    if (b->stuck_open) {
        f |= FB_THR_F_VALVE_STUCK_OPEN;
    }
    if (b->stuck_closed) {
        f |= FB_THR_F_VALVE_STUCK_CLOSED;
    }
    if (b->stuck_open || b->stuck_closed || degraded) {
        f |= FB_THR_F_FAULT_INJECTED;
    }
    if (thr_tank_pressure(b) < b->cfg.low_pressure_fraction * b->cfg.tank_pressure_pa) {
        f |= FB_THR_F_LOW_PRESSURE;
    }
    return f;
}

static uint64_t thr_valve_bits(const fb_thr_board *b, double t_s)
{
    uint64_t bits = 0;
    uint32_t i;
    if (!(b->actual_last_s > t_s)) {
        return 0;
    }
    for (i = 0; i < b->cfg.n_thrusters; ++i) {
        if (b->actual_until_s[i] > t_s) {
            bits |= (uint64_t)1 << i;
        }
    }
    return bits;
}

fb_status fb_thr_status_report(fb_thr_board *b, fb_thr_status *out)
{
    double p;
    if (b == NULL || out == NULL) {
        return FB_E_NULL;
    }
    p = thr_tank_pressure(b);
    out->armed_state = b->armed_state;
    out->mode = b->mode;
    out->valve_states = thr_valve_bits(b, b->t_s);
    out->last_command_id = b->last_command_id;
    out->last_cycle = b->last_cycle;
    out->tank_pressure_pa = p < 65535000.0 ? p : 65535000.0;
    out->propellant_kg = b->propellant_kg > 0.0 ? b->propellant_kg : 0.0;
    out->flags = thr_flags(b);
    out->commands_rejected = b->commands_rejected;
    b->flags &= ~FB_THR_TRANSIENT_FLAGS;
    return FB_OK;
}

fb_status fb_thr_status_flags(const fb_thr_board *b, uint32_t *flags)
{
    if (b == NULL || flags == NULL) {
        return FB_E_NULL;
    }
    *flags = thr_flags(b);
    return FB_OK;
}

fb_status fb_thr_tank_pressure(const fb_thr_board *b, double *pressure_pa)
{
    if (b == NULL || pressure_pa == NULL) {
        return FB_E_NULL;
    }
    *pressure_pa = thr_tank_pressure(b);
    return FB_OK;
}

fb_status fb_thr_valve_bits(const fb_thr_board *b, double t_s, uint64_t *bits)
{
    if (b == NULL || bits == NULL) {
        return FB_E_NULL;
    }
    if (isnan(t_s)) {
        return FB_E_NONFINITE;
    }
    *bits = thr_valve_bits(b, t_s);
    return FB_OK;
}

fb_status fb_thr_watchdog_period(const fb_thr_board *b, double *period_s)
{
    if (b == NULL || period_s == NULL) {
        return FB_E_NULL;
    }
    *period_s = thr_watchdog_period(b);
    return FB_OK;
}
