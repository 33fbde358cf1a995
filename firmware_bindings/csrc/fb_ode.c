/*
 * fb_ode.c - fixed-step RK4 and adaptive Dormand-Prince 5(4) with event location (see fb_ode.h).
 */
#include "fb_ode.h"

#include <math.h>
#include <stddef.h>

#include "fb_math.h"

#define ODE_MAX_STEPS_CAP 100000000
#define ODE_ROOT_MAX_ITER 200

/* Dormand-Prince 5(4) tableau. */
static const double C2 = 1.0 / 5.0, C3 = 3.0 / 10.0, C4 = 4.0 / 5.0, C5 = 8.0 / 9.0;
static const double A21 = 1.0 / 5.0;
static const double A31 = 3.0 / 40.0, A32 = 9.0 / 40.0;
static const double A41 = 44.0 / 45.0, A42 = -56.0 / 15.0, A43 = 32.0 / 9.0;
static const double A51 = 19372.0 / 6561.0, A52 = -25360.0 / 2187.0, A53 = 64448.0 / 6561.0,
                    A54 = -212.0 / 729.0;
static const double A61 = 9017.0 / 3168.0, A62 = -355.0 / 33.0, A63 = 46732.0 / 5247.0, A64 = 49.0 / 176.0,
                    A65 = -5103.0 / 18656.0;
static const double A71 = 35.0 / 384.0, A73 = 500.0 / 1113.0, A74 = 125.0 / 192.0, A75 = -2187.0 / 6784.0,
                    A76 = 11.0 / 84.0;
/* Error estimate: 5th-order minus embedded 4th-order weights. */
static const double E1 = 71.0 / 57600.0, E3 = -71.0 / 16695.0, E4 = 71.0 / 1920.0, E5 = -17253.0 / 339200.0,
                    E6 = 22.0 / 525.0, E7 = -1.0 / 40.0;
/* Continuous extension (dense output) coefficients. */
static const double D1 = -12715105075.0 / 11282082432.0, D3 = 87487479700.0 / 32700410799.0,
                    D4 = -10690763975.0 / 1880347072.0, D5 = 701980252875.0 / 199316789632.0,
                    D6 = -1453857185.0 / 822651844.0, D7 = 69997945.0 / 29380423.0;

fb_status fb_ode_default_options(fb_ode_options *opt)
{
    int i;
    if (opt == NULL) {
        return FB_E_NULL;
    }
    opt->rtol = 1e-9;
    for (i = 0; i < FB_ODE_MAX_DIM; ++i) {
        opt->atol[i] = 1e-9;
    }
    opt->h_init_s = 0.0;
    opt->h_min_s = 1e-9;
    opt->h_max_s = 1e9;
    opt->max_steps = 100000;
    opt->event_tol_s = 1e-6;
    return FB_OK;
}

fb_status fb_ode_rk4(fb_ode_fn f, void *ctx, int n, double t0_s, const double *y0, double t1_s, int n_steps,
                     double *y1)
{
    double y[FB_ODE_MAX_DIM] = {0.0}, tmp[FB_ODE_MAX_DIM] = {0.0};
    double k1[FB_ODE_MAX_DIM], k2[FB_ODE_MAX_DIM], k3[FB_ODE_MAX_DIM], k4[FB_ODE_MAX_DIM];
    double h;
    int i, s;
    fb_status st;
    if (f == NULL || y0 == NULL || y1 == NULL) {
        return FB_E_NULL;
    }
    if (n < 1 || n > FB_ODE_MAX_DIM || n_steps < 1 || n_steps > ODE_MAX_STEPS_CAP) {
        return FB_E_RANGE;
    }
    if (!isfinite(t0_s) || !isfinite(t1_s) || !fb_isfinite_n(y0, n)) {
        return FB_E_NONFINITE;
    }
    if (t1_s < t0_s) {
        return FB_E_RANGE;
    }
    h = (t1_s - t0_s) / n_steps;
    for (i = 0; i < n; ++i) {
        y[i] = y0[i];
    }
    for (s = 0; s < n_steps; ++s) {
        /* t from the step index, not by accumulation, so round-off does not drift */
        double t = t0_s + s * h;
        if ((st = f(ctx, t, y, k1)) != FB_OK) {
            return st;
        }
        for (i = 0; i < n; ++i) {
            tmp[i] = y[i] + 0.5 * h * k1[i];
        }
        if ((st = f(ctx, t + 0.5 * h, tmp, k2)) != FB_OK) {
            return st;
        }
        for (i = 0; i < n; ++i) {
            tmp[i] = y[i] + 0.5 * h * k2[i];
        }
        if ((st = f(ctx, t + 0.5 * h, tmp, k3)) != FB_OK) {
            return st;
        }
        for (i = 0; i < n; ++i) {
            tmp[i] = y[i] + h * k3[i];
        }
        if ((st = f(ctx, t + h, tmp, k4)) != FB_OK) {
            return st;
        }
        for (i = 0; i < n; ++i) {
            y[i] += h / 6.0 * (k1[i] + 2.0 * k2[i] + 2.0 * k3[i] + k4[i]);
        }
        if (!fb_isfinite_n(y, n)) {
            return FB_E_NONFINITE;
        }
    }
    for (i = 0; i < n; ++i) {
        y1[i] = y[i];
    }
    return FB_OK;
}

/* Stage values of one Dormand-Prince step. k[0] holds f(t, y) on entry; on return k[1..6] are filled
   (k[6] = f(t + h, ynew)), ynew the 5th-order solution and err the error estimate. */
typedef struct {
    double k[7][FB_ODE_MAX_DIM];
} dp_stages;

static fb_status dp_step(fb_ode_fn f, void *ctx, int n, double t, const double *y, double h, dp_stages *s,
                         double *ynew, double *err, int *n_evals)
{
    double tmp[FB_ODE_MAX_DIM] = {0.0};
    double(*k)[FB_ODE_MAX_DIM] = s->k;
    fb_status st;
    int i;
    for (i = 0; i < n; ++i) {
        tmp[i] = y[i] + h * A21 * k[0][i];
    }
    if ((st = f(ctx, t + C2 * h, tmp, k[1])) != FB_OK) {
        return st;
    }
    for (i = 0; i < n; ++i) {
        tmp[i] = y[i] + h * (A31 * k[0][i] + A32 * k[1][i]);
    }
    if ((st = f(ctx, t + C3 * h, tmp, k[2])) != FB_OK) {
        return st;
    }
    for (i = 0; i < n; ++i) {
        tmp[i] = y[i] + h * (A41 * k[0][i] + A42 * k[1][i] + A43 * k[2][i]);
    }
    if ((st = f(ctx, t + C4 * h, tmp, k[3])) != FB_OK) {
        return st;
    }
    for (i = 0; i < n; ++i) {
        tmp[i] = y[i] + h * (A51 * k[0][i] + A52 * k[1][i] + A53 * k[2][i] + A54 * k[3][i]);
    }
    if ((st = f(ctx, t + C5 * h, tmp, k[4])) != FB_OK) {
        return st;
    }
    for (i = 0; i < n; ++i) {
        tmp[i] = y[i] + h * (A61 * k[0][i] + A62 * k[1][i] + A63 * k[2][i] + A64 * k[3][i] + A65 * k[4][i]);
    }
    if ((st = f(ctx, t + h, tmp, k[5])) != FB_OK) {
        return st;
    }
    for (i = 0; i < n; ++i) {
        ynew[i] = y[i] + h * (A71 * k[0][i] + A73 * k[2][i] + A74 * k[3][i] + A75 * k[4][i] + A76 * k[5][i]);
    }
    if ((st = f(ctx, t + h, ynew, k[6])) != FB_OK) {
        return st;
    }
    for (i = 0; i < n; ++i) {
        err[i] = h * (E1 * k[0][i] + E3 * k[2][i] + E4 * k[3][i] + E5 * k[4][i] + E6 * k[5][i] + E7 * k[6][i]);
    }
    *n_evals += 6;
    return FB_OK;
}

/* Dense output at fraction theta of an accepted step from y to ynew of size h. */
static void dp_dense(int n, const double *y, const double *ynew, double h, const dp_stages *s, double theta,
                     double *out)
{
    const double(*k)[FB_ODE_MAX_DIM] = s->k;
    double th1 = 1.0 - theta;
    int i;
    for (i = 0; i < n; ++i) {
        double dy = ynew[i] - y[i];
        double b = h * k[0][i] - dy;
        double c = dy - h * k[6][i] - b;
        double d = h * (D1 * k[0][i] + D3 * k[2][i] + D4 * k[3][i] + D5 * k[4][i] + D6 * k[5][i] +
                        D7 * k[6][i]);
        out[i] = y[i] + theta * (dy + th1 * (b + theta * (c + th1 * d)));
    }
}

static double err_norm(int n, const double *y, const double *ynew, const double *err, const fb_ode_options *o)
{
    double sum = 0.0;
    int i;
    for (i = 0; i < n; ++i) {
        double sc = o->atol[i] + o->rtol * fmax(fabs(y[i]), fabs(ynew[i]));
        double e = err[i] / sc;
        sum += e * e;
    }
    return sqrt(sum / n);
}

static int crossed(double g0, double g1, int direction)
{
    if (direction <= 0 && g0 > 0.0 && g1 <= 0.0) {
        return 1;
    }
    if (direction >= 0 && g0 < 0.0 && g1 >= 0.0) {
        return 1;
    }
    return 0;
}

static fb_status check_options(const fb_ode_options *o, int n)
{
    int i;
    if (!isfinite(o->rtol) || !isfinite(o->h_init_s) || !isfinite(o->h_min_s) || !isfinite(o->h_max_s) ||
        !isfinite(o->event_tol_s) || !fb_isfinite_n(o->atol, n)) {
        return FB_E_NONFINITE;
    }
    if (!(o->rtol > 0.0) || o->rtol > 1.0 || o->h_init_s < 0.0 || o->h_min_s < 0.0 || !(o->h_max_s > 0.0) ||
        o->h_min_s > o->h_max_s || o->max_steps < 1 || o->max_steps > ODE_MAX_STEPS_CAP ||
        !(o->event_tol_s > 0.0)) {
        return FB_E_RANGE;
    }
    for (i = 0; i < n; ++i) {
        if (o->atol[i] < 0.0) {
            return FB_E_RANGE;
        }
    }
    return FB_OK;
}

/* Locate the event inside the accepted step [tau, tau + h] on the dense output; returns theta. */
static fb_status locate_event(fb_ode_event_fn g, void *ctx, int n, double t0_s, double tau, const double *y,
                              const double *ynew, double h, const dp_stages *s, double ga, double gb,
                              const fb_ode_options *o, double *theta_out)
{
    double a = 0.0, b = 1.0, fa = ga, fb = gb;
    double tol = o->event_tol_s / h;
    double ym[FB_ODE_MAX_DIM];
    int side = 0, it;
    fb_status st;
    for (it = 0; it < ODE_ROOT_MAX_ITER && (b - a) > tol; ++it) {
        double c, fc;
        /* Illinois false position, falling back to bisection when the secant is not usable */
        c = (fb - fa) != 0.0 ? (a * fb - b * fa) / (fb - fa) : 0.5 * (a + b);
        if (!(c > a && c < b)) {
            c = 0.5 * (a + b);
        }
        dp_dense(n, y, ynew, h, s, c, ym);
        if ((st = g(ctx, t0_s + tau + c * h, ym, &fc)) != FB_OK) {
            return st;
        }
        if (!isfinite(fc)) {
            return FB_E_NONFINITE;
        }
        if (fc == 0.0) {
            a = b = c;
            break;
        }
        if ((fc > 0.0) == (fb > 0.0)) {
            b = c;
            fb = fc;
            if (side == -1) {
                fa *= 0.5;
            }
            side = -1;
        } else {
            a = c;
            fa = fc;
            if (side == +1) {
                fb *= 0.5;
            }
            side = +1;
        }
        /* guarantee shrinkage: every fourth iteration bisects */
        if ((it & 3) == 3) {
            double m = 0.5 * (a + b), fm;
            dp_dense(n, y, ynew, h, s, m, ym);
            if ((st = g(ctx, t0_s + tau + m * h, ym, &fm)) != FB_OK) {
                return st;
            }
            if (!isfinite(fm)) {
                return FB_E_NONFINITE;
            }
            if ((fm > 0.0) == (fb > 0.0)) {
                b = m;
                fb = fm;
            } else {
                a = m;
                fa = fm;
            }
            side = 0;
        }
    }
    /* the crossing lies in [a, b]; take the end on the far side of the crossing */
    *theta_out = b;
    return FB_OK;
}

fb_status fb_ode_dp54(fb_ode_fn f, void *ctx, int n, double t0_s, const double *y0, double t1_s,
                      const fb_ode_options *opt, fb_ode_event_fn g, int direction, fb_ode_result *res)
{
    double y[FB_ODE_MAX_DIM], ynew[FB_ODE_MAX_DIM], err[FB_ODE_MAX_DIM];
    dp_stages s;
    double tau = 0.0, span, h, g_old = 0.0;
    int i, attempts = 0;
    fb_status st;

    if (f == NULL || y0 == NULL || opt == NULL || res == NULL) {
        return FB_E_NULL;
    }
    if (n < 1 || n > FB_ODE_MAX_DIM || direction < -1 || direction > 1) {
        return FB_E_RANGE;
    }
    if (!isfinite(t0_s) || !isfinite(t1_s) || !fb_isfinite_n(y0, n)) {
        return FB_E_NONFINITE;
    }
    if ((st = check_options(opt, n)) != FB_OK) {
        return st;
    }
    if (t1_s < t0_s) {
        return FB_E_RANGE;
    }
    span = t1_s - t0_s;
    for (i = 0; i < n; ++i) {
        y[i] = y0[i];
    }
    res->event_found = 0;
    res->n_accepted = 0;
    res->n_rejected = 0;
    res->n_evals = 0;
    res->h_next_s = 0.0;
    if ((st = f(ctx, t0_s, y, s.k[0])) != FB_OK) {
        return st;
    }
    res->n_evals = 1;
    if (!fb_isfinite_n(s.k[0], n)) {
        return FB_E_NONFINITE;
    }
    if (g != NULL) {
        if ((st = g(ctx, t0_s, y, &g_old)) != FB_OK) {
            return st;
        }
        if (!isfinite(g_old)) {
            return FB_E_NONFINITE;
        }
    }
    if (opt->h_init_s > 0.0) {
        h = opt->h_init_s;
    } else {
        /* a first step from the scale of the solution and of its derivative (Hairer's first guess) */
        double d0 = 0.0, d1 = 0.0;
        for (i = 0; i < n; ++i) {
            double sc = opt->atol[i] + opt->rtol * fabs(y[i]);
            d0 += (y[i] / sc) * (y[i] / sc);
            d1 += (s.k[0][i] / sc) * (s.k[0][i] / sc);
        }
        h = (d0 < 1e-10 || d1 < 1e-10) ? 1e-6 : 0.01 * sqrt(d0 / d1);
    }
    h = fb_clamp(h, fmax(opt->h_min_s, 1e-12), opt->h_max_s);

    while (tau < span) {
        double e, fac, tau_new, h_want = h;
        int last = 0;
        if (attempts >= opt->max_steps) {
            return FB_E_MAX_STEPS;
        }
        ++attempts;
        if (h >= span - tau) {
            h = span - tau;
            last = 1;
        }
        st = dp_step(f, ctx, n, t0_s + tau, y, h, &s, ynew, err, &res->n_evals);
        if (st != FB_OK) {
            return st;
        }
        e = err_norm(n, y, ynew, err, opt);
        if (!isfinite(e) || !fb_isfinite_n(s.k[6], n)) {
            e = 1e10; /* a non-finite trial state is a step that failed: shrink */
        }
        if (e > 1.0) {
            ++res->n_rejected;
            fac = fmax(0.2, 0.9 * pow(e, -0.2));
            h *= fac;
            if (h < opt->h_min_s || h < 1e-12) {
                return FB_E_STEP_TOO_SMALL;
            }
            continue;
        }
        ++res->n_accepted;
        tau_new = last ? span : tau + h;
        if (g != NULL) {
            double g_new;
            if ((st = g(ctx, t0_s + tau_new, ynew, &g_new)) != FB_OK) {
                return st;
            }
            if (!isfinite(g_new)) {
                return FB_E_NONFINITE;
            }
            if (crossed(g_old, g_new, direction)) {
                double theta = 1.0;
                if ((st = locate_event(g, ctx, n, t0_s, tau, y, ynew, h, &s, g_old, g_new, opt, &theta)) !=
                    FB_OK) {
                    return st;
                }
                if (theta < 1.0) {
                    /* recompute the state at the event by a true step of size theta h */
                    st = dp_step(f, ctx, n, t0_s + tau, y, theta * h, &s, ynew, err, &res->n_evals);
                    if (st != FB_OK) {
                        return st;
                    }
                    res->t_s = t0_s + tau + theta * h;
                } else {
                    res->t_s = t0_s + tau_new;
                }
                for (i = 0; i < n; ++i) {
                    res->y[i] = ynew[i];
                }
                res->event_found = 1;
                res->h_next_s = h;
                return FB_OK;
            }
            g_old = g_new;
        }
        for (i = 0; i < n; ++i) {
            y[i] = ynew[i];
            s.k[0][i] = s.k[6][i];
        }
        tau = tau_new;
        fac = e > 0.0 ? fmin(5.0, 0.9 * pow(e, -0.2)) : 5.0;
        /* after a step shortened to end at t1, keep the step the controller wanted before */
        h = last ? h_want : fmin(h * fac, opt->h_max_s);
    }
    res->t_s = t1_s;
    for (i = 0; i < n; ++i) {
        res->y[i] = y[i];
    }
    res->h_next_s = h;
    return FB_OK;
}
