/*
 * fb_thr.h - the thruster board's firmware logic: arming, valve schedule, watchdog, on-time bounds, tank
 * model, injected faults and status (docs/icd.md section 8.2).
 *
 * A board is one caller-owned fb_thr_board, set up by fb_thr_init from an fb_thr_config. Every entry point
 * takes the board's time t_s (spacecraft seconds; the board never reads a clock) and a time earlier than
 * the board's own is taken as the board's own (time never goes back). Packets are decoded by the caller;
 * the entry points take the decoded fields of THRUSTER_COMMAND, THRUSTER_ARM and THRUSTER_FAULT_INJECT.
 *
 * The valve schedule is one time per thruster: thruster i is open until open_until_s[i] (a time at or
 * before now: closed). The commanded schedule is what the commands asked for; the actual schedule is what
 * the valves do: a valve stuck closed ends at the time of the change, a valve stuck open never ends
 * (+infinity). Safety rules:
 *  - no valve is commanded open unless the board is ARMED (two steps: ARM_PREPARE with a non-zero code,
 *    then ARM_CONFIRM repeating it within arm_confirm_timeout_s);
 *  - a PULSE on-time is clamped to min(cycle period, max_on_s) (ON_TIME_CLAMPED); on-times below
 *    min_on_s are not fired; in MAIN_BURN the deorbit valves stay open until the watchdog deadline, and
 *    each valid command moves it on;
 *  - watchdog: watchdog_cycles cycle periods after the last executed command (watchdog_s after arming,
 *    before any command) every valve closes, WATCHDOG_EXPIRED is set and an ARMED board goes to SAFED,
 *    which only DISARM leaves.
 * Propellant is accounted from the actual schedule at nominal flow (thrust / (Isp g0) per open valve);
 * tank pressure follows an isothermal blowdown of the ullage gas.
 *
 * Status codes: FB_E_NULL for a NULL pointer, FB_E_NONFINITE for a NaN time or factor, FB_E_RANGE for an
 * out-of-range input (a thruster index, an action, a kind or mode outside its enumeration, a bad config).
 * On an error the board is unchanged.
 */
#ifndef FB_THR_H
#define FB_THR_H

#include <stdint.h>

#include "fb_status.h"

/* FB_CDEF_BEGIN */
enum { FB_THR_MAX_THRUSTERS = 64 };

/* The values of hil.protocol.catalogue's ArmedState, ThrusterMode, ArmAction, ThrusterFaultKind and
   ThrusterFlags. */
enum {
    FB_THR_DISARMED = 0, FB_THR_PREPARED = 1, FB_THR_ARMED = 2, FB_THR_SAFED = 3
};
enum {
    FB_THR_ALL_OFF = 0, FB_THR_PULSE = 1, FB_THR_MAIN_BURN = 2
};
enum {
    FB_THR_ARM_PREPARE = 1, FB_THR_ARM_CONFIRM = 2, FB_THR_DISARM = 3
};
enum {
    FB_THR_FAULT_CLEAR = 0, FB_THR_FAULT_STUCK_CLOSED = 1, FB_THR_FAULT_STUCK_OPEN = 2,
    FB_THR_FAULT_DEGRADED = 3, FB_THR_FAULT_BOARD_RESET = 4
};
enum {
    FB_THR_F_WATCHDOG_EXPIRED = 1, FB_THR_F_ON_TIME_CLAMPED = 2, FB_THR_F_REJECTED_NOT_ARMED = 4,
    FB_THR_F_REJECTED_STALE_CYCLE = 8, FB_THR_F_ARM_SEQUENCE_ERROR = 16, FB_THR_F_VALVE_FAULT = 32,
    FB_THR_F_LOW_PRESSURE = 64, FB_THR_F_BOARD_RESET = 128, FB_THR_F_FAULT_INJECTED = 256,
    FB_THR_F_VALVE_STUCK_OPEN = 512, FB_THR_F_VALVE_STUCK_CLOSED = 1024
};

/* What an entry point did (bits of *reaction). */
enum {
    FB_THR_R_SEND_STATUS = 1,     /* worth a THRUSTER_STATUS now */
    FB_THR_R_VALVES_CHANGED = 2,  /* the schedule (or the faults acting on it) changed */
    FB_THR_R_ACCEPTED = 4,        /* the command was executed */
    FB_THR_R_HELD = 8             /* a THRUSTER_COMMAND was taken in (executed or rejected): lockstep gate */
};

typedef struct {
    double thrust_n;                  /* nominal thrust of one thruster */
    double isp_s;
    double min_on_s;                  /* shortest pulse fired */
    double max_on_s;                  /* longest pulse */
    double watchdog_s;                /* watchdog period before the first command */
    double tank_pressure_pa;          /* initial */
    double propellant_kg;             /* initial */
    double ullage_fraction;           /* gas share of the tank volume at start, in (0, 1) */
    double propellant_density_kg_m3;
    double low_pressure_fraction;     /* LOW_PRESSURE below this share of the initial pressure */
    double arm_confirm_timeout_s;
    double watchdog_cycles;           /* watchdog period in cycle periods of the last command */
    uint32_t n_thrusters;             /* 1..FB_THR_MAX_THRUSTERS */
    uint32_t deorbit_first;           /* the deorbit thrusters: [deorbit_first, deorbit_first + deorbit_count) */
    uint32_t deorbit_count;
} fb_thr_config;

typedef struct {
    fb_thr_config cfg;
    double mdot_kg_s;                 /* nominal flow of one thruster */
    double t_s;                       /* board time */
    double accounted_s;               /* propellant is accounted up to here */
    double propellant_kg;
    int32_t armed_state;
    int32_t mode;
    uint32_t arm_code;
    double prepared_at_s;
    uint32_t last_cycle;
    uint32_t last_command_id;
    double cycle_period_s;            /* of the last executed command; 0 before the first */
    double last_valid_s;
    int32_t watchdog_expired;
    uint32_t flags;                   /* latched flags (transient ones cleared once reported) */
    uint64_t commands_rejected;
    uint64_t commands_executed;
    uint64_t watchdog_expiries;
    uint64_t fault_changes;
    uint64_t stuck_open;              /* bit i: valve i stuck open */
    uint64_t stuck_closed;
    double thrust_factor[FB_THR_MAX_THRUSTERS];
    double commanded_until_s[FB_THR_MAX_THRUSTERS];
    double actual_until_s[FB_THR_MAX_THRUSTERS];
    double actual_last_s;             /* the latest actual_until_s: no valve is open from here on */
} fb_thr_board;

/* One THRUSTER_STATUS's fields (transient flags are cleared from the board once reported). */
typedef struct {
    int32_t armed_state;
    int32_t mode;
    uint64_t valve_states;            /* bit i: thruster i actually open now */
    uint32_t last_command_id;
    uint32_t last_cycle;
    double tank_pressure_pa;
    double propellant_kg;
    uint32_t flags;
    uint64_t commands_rejected;
} fb_thr_status;

/* A board at time t0_s: disarmed, every valve closed, no faults. FB_E_RANGE for a config out of range
   (non-finite or negative figures, thrust, Isp, watchdog or max on-time not positive, ullage outside (0, 1),
   no thrusters, more than FB_THR_MAX_THRUSTERS, deorbit thrusters outside the set). */
fb_status fb_thr_init(const fb_thr_config *cfg, double t0_s, fb_thr_board *b);

/* Let time pass to t_s: the arming timeout, the watchdog, propellant accounting. *changed is 1 when the
   state changed in a way worth a status report. */
fb_status fb_thr_advance(fb_thr_board *b, double t_s, int *changed);

/* A THRUSTER_COMMAND at t_s: cycle, command_id, mode (FB_THR_ALL_OFF..MAIN_BURN), cycle period (us) and
   on_time_us[0..n_thrusters) (NULL: all zero). Stale or repeated commands and commands that would open a
   valve while not ARMED are rejected (flagged, counted, answered). *reaction as the enum above. */
fb_status fb_thr_command(fb_thr_board *b, double t_s, uint32_t cycle, uint32_t command_id, int32_t mode,
                         uint32_t cycle_period_us, const uint32_t *on_time_us, int *reaction);

/* A THRUSTER_ARM at t_s (action FB_THR_ARM_PREPARE, ARM_CONFIRM or DISARM). */
fb_status fb_thr_arm(fb_thr_board *b, double t_s, int32_t action, uint32_t arm_code, uint32_t command_id,
                     int *reaction);

/* A THRUSTER_FAULT_INJECT at t_s: kind FB_THR_FAULT_*, thruster index (ignored by CLEAR and BOARD_RESET),
   factor (DEGRADED, 0..2). BOARD_RESET loses the volatile state (arming, schedule, last command), not the
   hardware faults, and sets BOARD_RESET until reported. */
fb_status fb_thr_fault(fb_thr_board *b, double t_s, int32_t kind, uint32_t thruster, double factor,
                       int *reaction);

/* The status now; clears the transient flags (ON_TIME_CLAMPED, REJECTED_*, ARM_SEQUENCE_ERROR,
   BOARD_RESET) once reported. */
fb_status fb_thr_status_report(fb_thr_board *b, fb_thr_status *out);

/* The flags a status would carry now, without clearing any. */
fb_status fb_thr_status_flags(const fb_thr_board *b, uint32_t *flags);

/* Tank pressure now. */
fb_status fb_thr_tank_pressure(const fb_thr_board *b, double *pressure_pa);

/* Valves actually open at t_s (bit i: thruster i). */
fb_status fb_thr_valve_bits(const fb_thr_board *b, double t_s, uint64_t *bits);

/* The watchdog period now: watchdog_cycles cycle periods of the last command, watchdog_s before the first. */
fb_status fb_thr_watchdog_period(const fb_thr_board *b, double *period_s);
/* FB_CDEF_END */

#endif
