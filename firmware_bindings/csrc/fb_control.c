/*
 * fb_control.c - rate-limited quaternion PD law and bounded least-squares thruster allocation. The laws
 * are stated in fb_control.h.
 */
#include "fb_control.h"

#include <math.h>
#include <stddef.h>

#include "fb_math.h"

#define CTL_DIR_TOL 1e-6
#define CTL_MAX_ITER_CAP 100000
/* Backtracking may double the step constant at most this often per iteration. */
#define CTL_MAX_DOUBLINGS 60
#define CTL_POWER_ITERS 50
/* Largest weighted command accepted, as a multiple of sqrt(lambda_max(A A^T)). */
#define CTL_MAX_COMMAND_RATIO 1e6
/* Relative tolerance of the re-solves between rounding decisions (a final solve uses the caller's tol). */
#define CTL_PASS_TOL 1e-8
/* Iterations of one solve: 12 primal-dual (it settles in a few or cycles), then 3 n + 10 primal, then
 * projected gradient. */
#define CTL_PD_ITERS 12
#define CTL_AS_EXTRA 10
/* A bound thruster whose unconstrained value lies within this of its bound stays bound (and a free one
 * within this outside the box stays free, then clipped): ties never make the active set flip back and
 * forth. On-fractions are of order 1, so this is far below any on-time that matters (1e-13 s). */
#define CTL_AS_TIE 1e-12

static int ctl_positive3(const double v[3])
{
    return v[0] > 0.0 && v[1] > 0.0 && v[2] > 0.0;
}

fb_status fb_ctl_pd_torque(const fb_ctl_pd_config *cfg, const double q_body_from_eci[4],
                           const double q_target_from_eci[4], const double omega_body_rps[3],
                           const double omega_ref_body_rps[3], double torque_body_nm[3])
{
    double qe[4], e[3], w_corr[3], tau[3], wn, s = 1.0;
    fb_status st;
    int i;
    if (cfg == NULL || q_body_from_eci == NULL || q_target_from_eci == NULL || omega_body_rps == NULL
        || omega_ref_body_rps == NULL || torque_body_nm == NULL) {
        return FB_E_NULL;
    }
    if (!fb_isfinite3(cfg->kp_nm_per_rad) || !fb_isfinite3(cfg->kd_nms_per_rad)
        || !isfinite(cfg->rate_limit_rps) || !fb_isfinite3(cfg->torque_limit_nm)
        || !fb_isfinite3(omega_body_rps) || !fb_isfinite3(omega_ref_body_rps)) {
        return FB_E_NONFINITE;
    }
    if (!ctl_positive3(cfg->kp_nm_per_rad) || !ctl_positive3(cfg->kd_nms_per_rad)
        || !(cfg->rate_limit_rps > 0.0) || !ctl_positive3(cfg->torque_limit_nm)) {
        return FB_E_RANGE;
    }
    st = fb_quat_error(1, q_body_from_eci, q_target_from_eci, qe);
    if (st == FB_OK) {
        st = fb_quat_to_rotvec(1, qe, e);
    }
    if (st != FB_OK) {
        return st;
    }
    for (i = 0; i < 3; ++i) {
        w_corr[i] = -(cfg->kp_nm_per_rad[i] / cfg->kd_nms_per_rad[i]) * e[i];
    }
    wn = fb_norm3(w_corr);
    if (!isfinite(wn)) {
        return FB_E_RANGE;
    }
    if (wn > cfg->rate_limit_rps) {
        fb_scale3(cfg->rate_limit_rps / wn, w_corr, w_corr);
    }
    for (i = 0; i < 3; ++i) {
        tau[i] = cfg->kd_nms_per_rad[i] * (omega_ref_body_rps[i] + w_corr[i] - omega_body_rps[i]);
        if (!isfinite(tau[i])) {
            return FB_E_RANGE;
        }
    }
    for (i = 0; i < 3; ++i) {
        double a = fabs(tau[i]);
        if (a > cfg->torque_limit_nm[i] && cfg->torque_limit_nm[i] / a < s) {
            s = cfg->torque_limit_nm[i] / a;
        }
    }
    for (i = 0; i < 3; ++i) {
        double t = s * tau[i];
        /* rounding in s * tau may land one ulp above the limit */
        torque_body_nm[i] = fb_clamp(t, -cfg->torque_limit_nm[i], cfg->torque_limit_nm[i]);
    }
    return FB_OK;
}

/* ---- allocation ---- */

/* The weighted 6 x n effectiveness matrix (column k at a[6k..6k+5]) and the weighted target. */
typedef struct {
    int n;
    double a[6 * 64];
    double b[6];
    double reg;
} ctl_problem;

/* out6 = A u */
static void ctl_apply(const ctl_problem *p, const double *u, double out6[6])
{
    int j, k;
    for (j = 0; j < 6; ++j) {
        out6[j] = 0.0;
    }
    for (k = 0; k < p->n; ++k) {
        for (j = 0; j < 6; ++j) {
            out6[j] += p->a[6 * k + j] * u[k];
        }
    }
}

/* Largest eigenvalue of A A^T by power iteration (an estimate; the solver backtracks if it is low). */
static double ctl_lambda_max(const ctl_problem *p)
{
    double m[36], v[6], w[6], lam = 0.0;
    int i, j, k, it;
    for (i = 0; i < 6; ++i) {
        for (j = 0; j < 6; ++j) {
            double s = 0.0;
            for (k = 0; k < p->n; ++k) {
                s += p->a[6 * k + i] * p->a[6 * k + j];
            }
            m[6 * i + j] = s;
        }
        v[i] = 1.0 + 0.1 * i;
    }
    for (it = 0; it < CTL_POWER_ITERS; ++it) {
        double nrm = 0.0;
        for (i = 0; i < 6; ++i) {
            w[i] = 0.0;
            for (j = 0; j < 6; ++j) {
                w[i] += m[6 * i + j] * v[j];
            }
            nrm += w[i] * w[i];
        }
        nrm = sqrt(nrm);
        if (!(nrm > 0.0)) {
            return 0.0;
        }
        lam = nrm;
        for (i = 0; i < 6; ++i) {
            v[i] = w[i] / nrm;
        }
    }
    return lam;
}

/*
 * Minimise |A u - b|^2 + reg |u|^2 over lo <= u <= hi by FISTA with adaptive restart and backtracking.
 * u holds the start (clipped into the box) on entry and the solution on exit. Returns the iterations used;
 * *converged is set when a projected gradient step changed the weighted output A u by no more than
 * out_tol (the solver then stops). Steps along the null space of A change nothing the vehicle feels, so
 * they do not keep the solver going.
 */
static int ctl_solve(const ctl_problem *p, const double *lo, const double *hi, double lipschitz,
                     double out_tol, int max_iter, double *u, int *converged)
{
    double x[64], y[64], g[64], pnew[64], r[6], ad[6];
    double t = 1.0, big_l = lipschitz;
    int k, it, n = p->n;
    *converged = 0;
    for (k = 0; k < n; ++k) {
        x[k] = fb_clamp(u[k], lo[k], hi[k]);
        y[k] = x[k];
    }
    for (it = 0; it < max_iter; ++it) {
        double restart = 0.0, t_next, beta;
        int dbl;
        ctl_apply(p, y, r);
        for (k = 0; k < 6; ++k) {
            r[k] -= p->b[k];
        }
        for (k = 0; k < n; ++k) {
            const double *col = p->a + 6 * k;
            g[k] = 2.0 * (col[0] * r[0] + col[1] * r[1] + col[2] * r[2] + col[3] * r[3] + col[4] * r[4]
                          + col[5] * r[5] + p->reg * y[k]);
        }
        for (dbl = 0; dbl <= CTL_MAX_DOUBLINGS; ++dbl) {
            double d2 = 0.0, quad;
            for (k = 0; k < n; ++k) {
                double d;
                pnew[k] = fb_clamp(y[k] - g[k] / big_l, lo[k], hi[k]);
                d = pnew[k] - y[k];
                d2 += d * d;
            }
            /* the quadratic's curvature along d, compared with the model's L/2 |d|^2 */
            {
                double dv[64];
                for (k = 0; k < n; ++k) {
                    dv[k] = pnew[k] - y[k];
                }
                ctl_apply(p, dv, ad);
            }
            quad = fb_dot3(ad, ad) + fb_dot3(ad + 3, ad + 3) + p->reg * d2;
            if (quad <= 0.5 * big_l * d2 * (1.0 + 1e-12)) {
                break;
            }
            big_l *= 2.0;
        }
        for (k = 0; k < n; ++k) {
            restart += (y[k] - pnew[k]) * (pnew[k] - x[k]);
        }
        if (sqrt(fb_dot3(ad, ad) + fb_dot3(ad + 3, ad + 3)) <= out_tol) {
            for (k = 0; k < n; ++k) {
                x[k] = pnew[k];
            }
            *converged = 1;
            ++it;
            break;
        }
        if (restart > 0.0) {
            t = 1.0;
        }
        t_next = 0.5 * (1.0 + sqrt(1.0 + 4.0 * t * t));
        beta = restart > 0.0 ? 0.0 : (t - 1.0) / t_next;
        for (k = 0; k < n; ++k) {
            y[k] = fb_clamp(pnew[k] + beta * (pnew[k] - x[k]), lo[k], hi[k]);
            x[k] = pnew[k];
        }
        t = t_next;
    }
    for (k = 0; k < n; ++k) {
        u[k] = x[k];
    }
    return it;
}


/* Cholesky factor (lower, in place) of the symmetric 6x6 matrix m; 0 when it is not positive definite. */
static int ctl_chol6(double m[36])
{
    int i, j, k;
    for (j = 0; j < 6; ++j) {
        double d = m[6 * j + j];
        for (k = 0; k < j; ++k) {
            d -= m[6 * j + k] * m[6 * j + k];
        }
        if (!(d > 0.0) || !isfinite(d)) {
            return 0;
        }
        d = sqrt(d);
        m[6 * j + j] = d;
        for (i = j + 1; i < 6; ++i) {
            double s = m[6 * i + j];
            for (k = 0; k < j; ++k) {
                s -= m[6 * i + k] * m[6 * j + k];
            }
            m[6 * i + j] = s / d;
        }
    }
    return 1;
}

/* x = (L L^T)^-1 r for the factor of ctl_chol6. */
static void ctl_chol6_solve(const double l[36], const double r[6], double x[6])
{
    int i, k;
    for (i = 0; i < 6; ++i) {
        double s = r[i];
        for (k = 0; k < i; ++k) {
            s -= l[6 * i + k] * x[k];
        }
        x[i] = s / l[6 * i + i];
    }
    for (i = 5; i >= 0; --i) {
        double s = x[i];
        for (k = i + 1; k < 6; ++k) {
            s -= l[6 * k + i] * x[k];
        }
        x[i] = s / l[6 * i + i];
    }
}

/* y with (A_F A_F^T + reg I) y = b - A_B u_B for the free set F of set[] (bound thrusters at lo for -1 or
 * a fixed one, at hi for +1), with one step of iterative refinement; 0 when the matrix is not positive
 * definite. The free optimum is then u_F = A_F^T y. */
static int ctl_free_optimum(const ctl_problem *p, const double *lo, const double *hi, const int *set,
                            double y[6])
{
    double m[36], mf[36], r[6], y2[6], r2[6];
    int i, j, k;
    for (i = 0; i < 6; ++i) {
        r[i] = p->b[i];
        for (j = 0; j < 6; ++j) {
            m[6 * i + j] = (i == j) ? p->reg : 0.0;
        }
    }
    for (k = 0; k < p->n; ++k) {
        const double *a = p->a + 6 * k;
        if (hi[k] <= lo[k] || set[k] != 0) {
            double ub = (hi[k] <= lo[k] || set[k] < 0) ? lo[k] : hi[k];
            if (ub != 0.0) {
                for (i = 0; i < 6; ++i) {
                    r[i] -= a[i] * ub;
                }
            }
        } else {
            for (i = 0; i < 6; ++i) {
                for (j = 0; j <= i; ++j) {
                    m[6 * i + j] += a[i] * a[j];
                }
            }
        }
    }
    for (i = 0; i < 6; ++i) {
        for (j = i + 1; j < 6; ++j) {
            m[6 * i + j] = m[6 * j + i];
        }
    }
    for (i = 0; i < 36; ++i) {
        mf[i] = m[i];
    }
    if (!ctl_chol6(mf)) {
        return 0;
    }
    ctl_chol6_solve(mf, r, y);
    /* one step of iterative refinement: the matrix may be ill-conditioned (few free thrusters) */
    for (i = 0; i < 6; ++i) {
        r2[i] = r[i];
        for (j = 0; j < 6; ++j) {
            r2[i] -= m[6 * i + j] * y[j];
        }
    }
    ctl_chol6_solve(mf, r2, y2);
    for (i = 0; i < 6; ++i) {
        y[i] += y2[i];
    }
    return 1;
}

static double ctl_col_dot(const ctl_problem *p, int k, const double y[6])
{
    const double *a = p->a + 6 * k;
    return a[0] * y[0] + a[1] * y[1] + a[2] * y[2] + a[3] * y[3] + a[4] * y[4] + a[5] * y[5];
}

/*
 * The same problem by a primal active-set method (feasible iterates, Lawson-Hanson style), which ends in
 * finitely many steps where the primal-dual one may cycle (many alike thrusters): u (in the box) and
 * set (consistent with it: -1/+1 exactly at a bound) on entry. Each iteration solves for the free set;
 * if that optimum leaves the box, u moves towards it until the first free thruster meets its bound,
 * which is bound there; otherwise u takes it, and the bound thruster whose gradient points furthest
 * into the box is freed, or, with none, u is the minimiser. Returns the iterations used.
 */
static int ctl_solve_primal(const ctl_problem *p, const double *lo, const double *hi, int max_iter,
                            int *set, double *u, int *converged)
{
    double y[6], z[64];
    int n = p->n, it, k;
    *converged = 0;
    for (it = 0; it < max_iter; ++it) {
        double alpha = 1.0, worst_viol = 0.0;
        int block = -1, block_side = 0, worst = -1;
        if (!ctl_free_optimum(p, lo, hi, set, y)) {
            return it;
        }
        for (k = 0; k < n; ++k) {
            z[k] = ctl_col_dot(p, k, y);
            if (hi[k] <= lo[k] || set[k] != 0) {
                continue;
            }
            if (z[k] < lo[k] && u[k] - z[k] > 0.0) {
                double t = (u[k] - lo[k]) / (u[k] - z[k]);
                if (t < alpha) {
                    alpha = t;
                    block = k;
                    block_side = -1;
                }
            } else if (z[k] > hi[k] && z[k] - u[k] > 0.0) {
                double t = (hi[k] - u[k]) / (z[k] - u[k]);
                if (t < alpha) {
                    alpha = t;
                    block = k;
                    block_side = 1;
                }
            }
        }
        if (block >= 0) {
            for (k = 0; k < n; ++k) {
                if (hi[k] > lo[k] && set[k] == 0) {
                    u[k] = fb_clamp(u[k] + alpha * (z[k] - u[k]), lo[k], hi[k]);
                }
            }
            set[block] = block_side;
            u[block] = block_side < 0 ? lo[block] : hi[block];
            continue;
        }
        for (k = 0; k < n; ++k) {
            double viol = 0.0;
            if (hi[k] <= lo[k]) {
                u[k] = lo[k];
                continue;
            }
            if (set[k] == 0) {
                u[k] = z[k] <= lo[k] + CTL_AS_TIE ? lo[k] : (z[k] >= hi[k] - CTL_AS_TIE ? hi[k] : z[k]);
                continue;
            }
            if (set[k] < 0 && z[k] > lo[k] + CTL_AS_TIE) {
                viol = z[k] - lo[k];
            } else if (set[k] > 0 && z[k] < hi[k] - CTL_AS_TIE) {
                viol = hi[k] - z[k];
            }
            if (viol > worst_viol) {
                worst_viol = viol;
                worst = k;
            }
        }
        if (worst < 0) {
            *converged = 1;
            return it + 1;
        }
        set[worst] = 0;
    }
    return it;
}

/*
 * Minimise |A u - b|^2 + reg |u|^2 over lo <= u <= hi (reg > 0) exactly by a primal-dual active-set
 * method. With the bound thrusters B held at their bounds and F free, the free optimum is
 * u_F = A_F^T y with (A_F A_F^T + reg I) y = b - A_B u_B, a 6x6 system whatever the count of thrusters,
 * and the gradient of every thruster is 2 reg (u_k - a_k . y): z_k = a_k . y is where thruster k wants
 * to be. The next active set is z clipped to the box: below lo at lo, above hi at hi, free otherwise (a
 * bound thruster within CTL_AS_TIE of its bound stays bound). An unchanged set satisfies the optimality
 * conditions, so the solution is exact (to rounding) and unique. set[k] holds the start (-1 at lo, 0
 * free, +1 at hi) on entry and the final set on exit; thrusters with lo == hi are fixed. Returns the
 * iterations used (at most max_iter) and sets *converged; u holds the last iterate clipped into the box.
 */
static int ctl_solve_active_set(const ctl_problem *p, const double *lo, const double *hi, int max_iter,
                                int *set, double *u, int *converged)
{
    double y[6];
    int wanted[64];
    int n = p->n, it, k;
    *converged = 0;
    for (it = 0; it < max_iter; ++it) {
        int changed = 0;
        if (!ctl_free_optimum(p, lo, hi, set, y)) {
            return it; /* not positive definite (cannot happen for reg > 0 but in overflow) */
        }
        for (k = 0; k < n; ++k) {
            double z = ctl_col_dot(p, k, y);
            int want = set[k];
            if (hi[k] <= lo[k]) {
                u[k] = lo[k];
                continue;
            }
            /* a bound thruster that wants in is freed (not sent to its other bound: that flip-flops) */
            if (set[k] < 0 && z > lo[k] + CTL_AS_TIE) {
                want = 0;
            } else if (set[k] > 0 && z < hi[k] - CTL_AS_TIE) {
                want = 0;
            } else if (set[k] == 0 && z < lo[k] - CTL_AS_TIE) {
                want = -1;
            } else if (set[k] == 0 && z > hi[k] + CTL_AS_TIE) {
                want = 1;
            }
            wanted[k] = want;
            if (want != set[k]) {
                ++changed;
            }
            /* the iterate of this set (bound thrusters at their bounds; a free one within CTL_AS_TIE of a
             * bound is at that bound to rounding, and put there: no pulse of 1e-21 s to round up) */
            if (set[k] < 0 || (set[k] == 0 && z <= lo[k] + CTL_AS_TIE)) {
                u[k] = lo[k];
            } else if (set[k] > 0 || z >= hi[k] - CTL_AS_TIE) {
                u[k] = hi[k];
            } else {
                u[k] = z;
            }
        }
        if (changed) {
            for (k = 0; k < n; ++k) {
                if (hi[k] > lo[k]) {
                    set[k] = wanted[k];
                }
            }
        }
        if (!changed) {
            *converged = 1;
            return it + 1;
        }
    }
    return it;
}


/*
 * One bounded least-squares solve: exact by the primal-dual active-set method when reg > 0 (set: its
 * start and result); should its sets not settle within 12 iterations, by the primal active-set method
 * from its iterate (3 n + 10 more); else (or for reg = 0) by projected gradient from the iterate with the
 * iterations left of max_iter. Returns the iterations used in all.
 */
static int ctl_solve_any(const ctl_problem *p, const double *lo, const double *hi, double lipschitz,
                         double out_tol, int max_iter, int *set, double *u, int *converged)
{
    int used = 0, k;
    *converged = 0;
    if (p->reg > 0.0) {
        int cap = CTL_PD_ITERS;
        used = ctl_solve_active_set(p, lo, hi, cap < max_iter ? cap : max_iter, set, u, converged);
        if (*converged || used >= max_iter) {
            return used;
        }
        /* the primal-dual sets did not settle (alike thrusters): finish from its iterate, feasible */
        for (k = 0; k < p->n; ++k) {
            u[k] = fb_clamp(u[k], lo[k], hi[k]);
            set[k] = u[k] <= lo[k] ? -1 : (u[k] >= hi[k] ? 1 : 0);
        }
        cap = 3 * p->n + CTL_AS_EXTRA;
        used += ctl_solve_primal(p, lo, hi, cap < max_iter - used ? cap : max_iter - used, set, u, converged);
        if (*converged || used >= max_iter) {
            return used;
        }
    }
    used += ctl_solve(p, lo, hi, lipschitz, out_tol, max_iter - used, u, converged);
    /* the set the projected-gradient result lies on: the next solve starts from it */
    for (k = 0; k < p->n; ++k) {
        set[k] = u[k] <= lo[k] ? -1 : (u[k] >= hi[k] ? 1 : 0);
    }
    return used;
}

/* The objective with thruster k moved to on-fraction c and the others as they are in u. */
static double ctl_rounding_cost(const ctl_problem *p, const double *u, int k, double c)
{
    double r[6];
    int j;
    ctl_apply(p, u, r);
    for (j = 0; j < 6; ++j) {
        r[j] += p->a[6 * k + j] * (c - u[k]) - p->b[j];
    }
    return fb_dot3(r, r) + fb_dot3(r + 3, r + 3) + p->reg * (c * c - u[k] * u[k]);
}

static fb_status ctl_check_layout(const fb_ctl_thruster_layout *layout)
{
    int k;
    if (layout->n < 1 || layout->n > FB_CTL_MAX_THRUSTERS) {
        return FB_E_RANGE;
    }
    for (k = 0; k < layout->n; ++k) {
        if (!fb_isfinite3(layout->r_body_m[k]) || !fb_isfinite3(layout->dir_body[k])
            || !isfinite(layout->thrust_n[k])) {
            return FB_E_NONFINITE;
        }
        if (!(layout->thrust_n[k] > 0.0)) {
            return FB_E_RANGE;
        }
        if (fabs(fb_norm3(layout->dir_body[k]) - 1.0) > CTL_DIR_TOL) {
            return FB_E_DEGENERATE;
        }
    }
    return FB_OK;
}

static fb_status ctl_check_config(const fb_ctl_alloc_config *cfg)
{
    if (!isfinite(cfg->cycle_s) || !isfinite(cfg->min_on_s) || !isfinite(cfg->force_weight_m)
        || !isfinite(cfg->reg_nm2) || !isfinite(cfg->tol)) {
        return FB_E_NONFINITE;
    }
    if (!(cfg->cycle_s > 0.0) || !(cfg->min_on_s >= 0.0) || !(cfg->min_on_s <= cfg->cycle_s)
        || !(cfg->force_weight_m >= 0.0) || !(cfg->reg_nm2 >= 0.0) || !(cfg->tol > 0.0)
        || !(cfg->tol < 1.0) || cfg->max_iter < 1 || cfg->max_iter > CTL_MAX_ITER_CAP) {
        return FB_E_RANGE;
    }
    return FB_OK;
}

static fb_status ctl_check_warm(const fb_ctl_alloc_warm *warm)
{
    int k;
    if (warm == NULL) {
        return FB_OK;
    }
    if (warm->n < 0 || warm->n > FB_CTL_MAX_THRUSTERS) {
        return FB_E_RANGE;
    }
    for (k = 0; k < warm->n; ++k) {
        if (warm->set[k] < -1 || warm->set[k] > 1) {
            return FB_E_RANGE;
        }
    }
    return FB_OK;
}

fb_status fb_ctl_allocate(const fb_ctl_thruster_layout *layout, const fb_ctl_alloc_config *cfg,
                          const double torque_cmd_body_nm[3], const double force_cmd_body_n[3],
                          fb_ctl_alloc_result *result)
{
    return fb_ctl_allocate_warm(layout, cfg, NULL, torque_cmd_body_nm, force_cmd_body_n, result);
}

fb_status fb_ctl_allocate_warm(const fb_ctl_thruster_layout *layout, const fb_ctl_alloc_config *cfg,
                               fb_ctl_alloc_warm *warm, const double torque_cmd_body_nm[3],
                               const double force_cmd_body_n[3], fb_ctl_alloc_result *result)
{
    ctl_problem p;
    double lo[64], hi[64], u[64], lipschitz, lambda_max, out_tol, b_norm, umin;
    int set[64];
    int k, n, it1, it2 = 0, conv1, conv = 1, conv_all;
    fb_status st;
    if (layout == NULL || cfg == NULL || torque_cmd_body_nm == NULL || force_cmd_body_n == NULL
        || result == NULL) {
        return FB_E_NULL;
    }
    st = ctl_check_layout(layout);
    if (st == FB_OK) {
        st = ctl_check_config(cfg);
    }
    if (st == FB_OK) {
        st = ctl_check_warm(warm);
    }
    if (st != FB_OK) {
        return st;
    }
    if (!fb_isfinite3(torque_cmd_body_nm) || !fb_isfinite3(force_cmd_body_n)) {
        return FB_E_NONFINITE;
    }
    n = layout->n;
    for (k = 0; k < n; ++k) {
        set[k] = (warm != NULL && warm->n == n) ? warm->set[k] : 0;
    }
    p.n = n;
    p.reg = cfg->reg_nm2;
    for (k = 0; k < n; ++k) {
        double f[3], tq[3];
        fb_scale3(layout->thrust_n[k], layout->dir_body[k], f);
        fb_cross3(layout->r_body_m[k], f, tq);
        p.a[6 * k] = tq[0];
        p.a[6 * k + 1] = tq[1];
        p.a[6 * k + 2] = tq[2];
        p.a[6 * k + 3] = cfg->force_weight_m * f[0];
        p.a[6 * k + 4] = cfg->force_weight_m * f[1];
        p.a[6 * k + 5] = cfg->force_weight_m * f[2];
        lo[k] = 0.0;
        hi[k] = 1.0;
        u[k] = 0.0;
    }
    for (k = 0; k < 3; ++k) {
        p.b[k] = torque_cmd_body_nm[k];
        p.b[3 + k] = cfg->force_weight_m * force_cmd_body_n[k];
    }
    lambda_max = ctl_lambda_max(&p);
    lipschitz = 2.0 * (lambda_max + p.reg);
    out_tol = cfg->tol * sqrt(lambda_max);
    if (!isfinite(lipschitz)) {
        return FB_E_RANGE;
    }
    /* A command beyond a million times what every thruster together gives is an error, not a request to
     * saturate; the bound also keeps every gradient finite. */
    b_norm = sqrt(fb_dot3(p.b, p.b) + fb_dot3(p.b + 3, p.b + 3));
    if (lambda_max > 0.0 && !(b_norm <= CTL_MAX_COMMAND_RATIO * sqrt(lambda_max))) {
        return FB_E_RANGE;
    }
    if (!(lipschitz > 0.0)) {
        lipschitz = 1.0; /* every column is zero: any step is exact */
    }
    it1 = ctl_solve_any(&p, lo, hi, lipschitz, out_tol, cfg->max_iter, set, u, &conv1);
    conv_all = conv1;
    if (warm != NULL) {
        warm->n = n;
        for (k = 0; k < n; ++k) {
            warm->set[k] = set[k];
        }
    }

    /* Minimum on-time: settle the short pulses one at a time, re-solving after each decision. Every pass
     * fixes one free thruster, so there are at most n passes after the first solve, then one last solve
     * to the caller's tolerance. */
    umin = cfg->min_on_s / cfg->cycle_s;
    if (umin > 0.0) {
        int pass;
        for (pass = 0; pass < n; ++pass) {
            int longest = -1;
            for (k = 0; k < n; ++k) {
                if (hi[k] > lo[k] && u[k] > 0.0 && u[k] < umin && (longest < 0 || u[k] > u[longest])) {
                    longest = k;
                }
            }
            if (longest < 0) {
                break;
            }
            /* equal pulses (a symmetric layout): the first of them, not whichever rounding noise favours */
            for (k = 0; k < longest; ++k) {
                if (hi[k] > lo[k] && u[k] < umin && u[k] >= u[longest] - CTL_AS_TIE) {
                    longest = k;
                    break;
                }
            }
            if (ctl_rounding_cost(&p, u, longest, umin) <= ctl_rounding_cost(&p, u, longest, 0.0)) {
                lo[longest] = umin;
                hi[longest] = umin;
            } else {
                lo[longest] = 0.0;
                hi[longest] = 0.0;
            }
            set[longest] = -1;
            it2 += ctl_solve_any(&p, lo, hi, lipschitz, fmax(out_tol, CTL_PASS_TOL * sqrt(lambda_max)),
                                 cfg->max_iter, set, u, &conv);
        }
        if (pass > 0) {
            double r[6];
            it2 += ctl_solve_any(&p, lo, hi, lipschitz, out_tol, cfg->max_iter, set, u, &conv);
            conv_all = conv_all && conv;
            /* Greedy rounding can end worse than firing nothing; never command that. */
            ctl_apply(&p, u, r);
            for (k = 0; k < 6; ++k) {
                r[k] -= p.b[k];
            }
            if (fb_dot3(r, r) + fb_dot3(r + 3, r + 3) > b_norm * b_norm) {
                for (k = 0; k < n; ++k) {
                    u[k] = 0.0;
                }
            }
        }
    }

    for (k = 0; k < n; ++k) {
        double t = u[k] * cfg->cycle_s;
        if (u[k] <= 0.0) {
            t = 0.0;
        } else if (umin > 0.0) {
            t = fb_clamp(t, cfg->min_on_s, cfg->cycle_s);
        } else {
            t = fb_clamp(t, 0.0, cfg->cycle_s);
        }
        result->on_time_s[k] = t;
    }
    for (k = n; k < FB_CTL_MAX_THRUSTERS; ++k) {
        result->on_time_s[k] = 0.0;
    }
    for (k = 0; k < 3; ++k) {
        result->torque_body_nm[k] = 0.0;
        result->force_body_n[k] = 0.0;
    }
    for (k = 0; k < n; ++k) {
        double f[3], tq[3], frac = result->on_time_s[k] / cfg->cycle_s;
        fb_scale3(layout->thrust_n[k] * frac, layout->dir_body[k], f);
        fb_cross3(layout->r_body_m[k], f, tq);
        fb_add3(result->torque_body_nm, tq, result->torque_body_nm);
        fb_add3(result->force_body_n, f, result->force_body_n);
    }
    fb_sub3(result->torque_body_nm, torque_cmd_body_nm, result->torque_residual_nm);
    fb_sub3(result->force_body_n, force_cmd_body_n, result->force_residual_n);
    result->iterations = it1 + it2;
    result->converged = conv_all;
    return FB_OK;
}

/* ---- one control cycle ---- */

fb_status fb_ctl_retrograde_target(const double r_eci_m[3], const double v_eci_mps[3],
                                   double q_target_from_eci[4], double omega_target_rps[3])
{
    double dcm[9], x[3], nadir[3], z[3], y[3], h[3], w_eci[3], r2, nx;
    fb_status st;
    if (r_eci_m == NULL || v_eci_mps == NULL || q_target_from_eci == NULL || omega_target_rps == NULL) {
        return FB_E_NULL;
    }
    if (!fb_isfinite3(r_eci_m) || !fb_isfinite3(v_eci_mps)) {
        return FB_E_NONFINITE;
    }
    fb_scale3(-1.0, v_eci_mps, x);
    fb_scale3(-1.0, r_eci_m, nadir);
    if (!fb_unit3(x, x) || !fb_unit3(nadir, nadir)) {
        return FB_E_DEGENERATE;
    }
    nx = fb_dot3(nadir, x);
    fb_axpy3(nadir, -nx, x, z);
    if (!(fb_norm3(z) > 1e-12) || !fb_unit3(z, z)) {
        return FB_E_DEGENERATE;
    }
    fb_cross3(z, x, y);
    fb_copy3(x, dcm);
    fb_copy3(y, dcm + 3);
    fb_copy3(z, dcm + 6);
    st = fb_quat_from_dcm(1, dcm, q_target_from_eci);
    if (st != FB_OK) {
        return st;
    }
    r2 = fb_dot3(r_eci_m, r_eci_m);
    if (!(r2 > 0.0) || !isfinite(r2)) {
        return FB_E_RANGE;
    }
    fb_cross3(r_eci_m, v_eci_mps, h);
    fb_scale3(1.0 / r2, h, w_eci);
    fb_mat3_mul_vec(dcm, w_eci, omega_target_rps);
    return fb_isfinite3(omega_target_rps) ? FB_OK : FB_E_RANGE;
}

fb_status fb_ctl_attitude_step(const fb_ctl_pd_config *pd, const fb_ctl_thruster_layout *layout,
                               const fb_ctl_alloc_config *alloc, fb_ctl_alloc_warm *warm, int control,
                               const double q_body_from_eci[4], const double omega_body_rps[3],
                               const double r_eci_m[3], const double v_eci_mps[3],
                               const double force_cmd_body_n[3], fb_ctl_step_result *result)
{
    double qe[4], qe_conj[4], e[3], dcm_b[9], x_t[3], c[3], qb_norm;
    fb_status st;
    int k;
    if (pd == NULL || layout == NULL || alloc == NULL || q_body_from_eci == NULL || omega_body_rps == NULL
        || r_eci_m == NULL || v_eci_mps == NULL || force_cmd_body_n == NULL || result == NULL) {
        return FB_E_NULL;
    }
    if (control != 0 && control != 1) {
        return FB_E_RANGE;
    }
    if (!fb_isfinite_n(q_body_from_eci, 4) || !fb_isfinite3(omega_body_rps) || !fb_isfinite3(force_cmd_body_n)) {
        return FB_E_NONFINITE;
    }
    qb_norm = sqrt(q_body_from_eci[0] * q_body_from_eci[0] + fb_dot3(q_body_from_eci + 1, q_body_from_eci + 1));
    if (!(qb_norm > 0.0)) {
        return FB_E_DEGENERATE;
    }
    st = fb_ctl_retrograde_target(r_eci_m, v_eci_mps, result->q_target_from_eci, result->omega_target_rps);
    if (st == FB_OK) {
        st = fb_quat_error(1, q_body_from_eci, result->q_target_from_eci, qe);
    }
    if (st == FB_OK) {
        st = fb_quat_to_rotvec(1, qe, e);
    }
    if (st == FB_OK) {
        st = fb_quat_to_dcm(1, q_body_from_eci, dcm_b);
    }
    if (st != FB_OK) {
        return st;
    }
    result->attitude_error_rad = fb_norm3(e);
    /* +x body in ECI is the first row of dcm_body_from_eci; the target's +x is -v/|v| */
    fb_scale3(-1.0, v_eci_mps, x_t);
    (void)fb_unit3(x_t, x_t);
    fb_cross3(dcm_b, x_t, c);
    result->thrust_axis_error_rad = atan2(fb_norm3(c), fb_dot3(dcm_b, x_t));
    qe_conj[0] = qe[0];
    qe_conj[1] = -qe[1];
    qe_conj[2] = -qe[2];
    qe_conj[3] = -qe[3];
    st = fb_quat_rotate(1, qe_conj, result->omega_target_rps, result->omega_ref_body_rps);
    if (st != FB_OK) {
        return st;
    }
    if (!control) {
        for (k = 0; k < 3; ++k) {
            result->torque_cmd_body_nm[k] = 0.0;
            result->alloc.torque_body_nm[k] = 0.0;
            result->alloc.force_body_n[k] = 0.0;
            result->alloc.torque_residual_nm[k] = 0.0;
            result->alloc.force_residual_n[k] = -force_cmd_body_n[k];
        }
        for (k = 0; k < FB_CTL_MAX_THRUSTERS; ++k) {
            result->alloc.on_time_s[k] = 0.0;
        }
        result->alloc.iterations = 0;
        result->alloc.converged = 1;
        return FB_OK;
    }
    st = fb_ctl_pd_torque(pd, q_body_from_eci, result->q_target_from_eci, omega_body_rps,
                          result->omega_ref_body_rps, result->torque_cmd_body_nm);
    if (st != FB_OK) {
        return st;
    }
    return fb_ctl_allocate_warm(layout, alloc, warm, result->torque_cmd_body_nm, force_cmd_body_n,
                                &result->alloc);
}
