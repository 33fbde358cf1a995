/*
 * fb_ode.h - numerical integration of ordinary differential equations with event location.
 *
 * Two integrators over a fixed-size state of at most FB_ODE_MAX_DIM components (no allocation):
 * - fb_ode_rk4: the classical fixed-step fourth-order Runge-Kutta method.
 * - fb_ode_dp54: the adaptive embedded Dormand-Prince 5(4) pair (Dormand and Prince 1980; coefficients
 *   and continuous extension as in Hairer, Norsett and Wanner, Solving ODEs I, 2nd ed., section II.5-6),
 *   local extrapolation (the 5th-order solution is propagated), FSAL, optional event location.
 *
 * The derivative and the event function are callbacks with a caller-owned context pointer. An event is a
 * sign change of g(t, y) in the requested direction inside an accepted step: its time is located on the
 * continuous extension (Illinois false position, bounded), and the state at that time is then computed
 * by a fresh Dormand-Prince step from the start of the step, so it carries the integrator's full order.
 * Time runs forward only. Every loop is bounded: max_steps counts attempted steps, accepted or rejected.
 * Internally time is kept relative to t0 so that t_s near 1e9 s loses no precision in the step sizes.
 */
#ifndef FB_ODE_H
#define FB_ODE_H

#include "fb_status.h"

/* FB_CDEF_BEGIN */
enum { FB_ODE_MAX_DIM = 8 };

/* Derivative dydt(t, y) of an n-component state; return FB_OK or a status that stops the integration. */
typedef fb_status (*fb_ode_fn)(void *ctx, double t_s, const double *y, double *dydt);
/* Event function g(t, y); an event is a zero crossing of *g. */
typedef fb_status (*fb_ode_event_fn)(void *ctx, double t_s, const double *y, double *g);

typedef struct {
    double rtol;                 /* relative tolerance, > 0 */
    double atol[8];              /* absolute tolerance per component, >= 0 (rtol * |y| + atol > 0) */
    double h_init_s;             /* first trial step; 0 chooses one automatically */
    double h_min_s;              /* smallest step allowed before FB_E_STEP_TOO_SMALL (>= 0) */
    double h_max_s;              /* largest step, > 0 */
    int max_steps;               /* bound on attempted steps, 1 to 100,000,000 */
    double event_tol_s;          /* time tolerance of event location, > 0 */
} fb_ode_options;

typedef struct {
    double t_s;                  /* time reached: t1, or the event time */
    double y[8];                 /* state at t_s */
    int event_found;             /* 1 when the integration stopped at an event */
    int n_accepted;
    int n_rejected;
    int n_evals;                 /* derivative evaluations */
    double h_next_s;             /* the step the controller would try next */
} fb_ode_result;

/* Fill opt with defaults for an n-component problem: rtol 1e-9, atol 1e-9, automatic first step,
   h_min 1e-9 s, h_max 1e9 s, max_steps 100,000, event_tol 1e-6 s. */
fb_status fb_ode_default_options(fb_ode_options *opt);

/* Fixed-step RK4 from (t0_s, y0) to t1_s >= t0_s in n_steps equal steps; writes y1 (may alias y0). */
fb_status fb_ode_rk4(fb_ode_fn f, void *ctx, int n, double t0_s, const double *y0, double t1_s, int n_steps,
                     double *y1);

/* Adaptive Dormand-Prince 5(4) from (t0_s, y0) to t1_s >= t0_s, stopping early at the first event of g
   (may be NULL) in the given direction: -1 falling (g from > 0 to <= 0), +1 rising, 0 either. A zero of
   g exactly at t0 is not an event. */
fb_status fb_ode_dp54(fb_ode_fn f, void *ctx, int n, double t0_s, const double *y0, double t1_s,
                      const fb_ode_options *opt, fb_ode_event_fn g, int direction, fb_ode_result *res);
/* FB_CDEF_END */

#endif
