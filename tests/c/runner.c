/*
 * runner.c - runs vector files against the C core.
 *
 * Vector file format (shared with the Python tests, see tests/vectorfile.py), one case per line:
 *
 *     <case> <status> <tol> : <input> ... : <expected output> ...
 *
 * `status` is the fb_status the call must return; outputs are compared only when it is 0, each within the
 * absolute tolerance `tol`. Numbers may be C99 hex floats (exact), decimals, nan or inf. Blank lines and
 * lines starting with '#' are ignored. Exit status 0 when every case passes, 1 otherwise, 2 on a usage or
 * format error.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fbt.h"

#define MAX_LINE 65536
#define MAX_VALUES 4096

static int find_case(const char *name)
{
    int i;
    for (i = 0; i < fbt_table_len; ++i) {
        if (strcmp(fbt_table[i].name, name) == 0) {
            return i;
        }
    }
    return -1;
}

/* Parse whitespace-separated numbers from s up to ':' or end; returns count or -1 on a bad token. */
static int parse_numbers(char **cursor, double *vals, int cap)
{
    int n = 0;
    char *s = *cursor;
    for (;;) {
        char *end;
        double v;
        while (*s == ' ' || *s == '\t') {
            ++s;
        }
        if (*s == '\0' || *s == '\n' || *s == '\r' || *s == ':') {
            break;
        }
        v = strtod(s, &end);
        if (end == s || n >= cap) {
            return -1;
        }
        vals[n++] = v;
        s = end;
    }
    *cursor = s;
    return n;
}

static int run_file(const char *path, int *n_pass, int *n_fail)
{
    static char line[MAX_LINE];
    static double in[MAX_VALUES], expected[MAX_VALUES], out[MAX_VALUES];
    FILE *f = fopen(path, "r");
    int lineno = 0;
    if (f == NULL) {
        fprintf(stderr, "%s: cannot open\n", path);
        return 2;
    }
    while (fgets(line, sizeof line, f) != NULL) {
        char name[128];
        int status, idx, n_in, n_out, got, i, consumed = 0;
        double tol, worst = 0.0;
        char *cur;
        ++lineno;
        cur = line;
        while (*cur == ' ' || *cur == '\t') {
            ++cur;
        }
        if (*cur == '#' || *cur == '\n' || *cur == '\r' || *cur == '\0') {
            continue;
        }
        if (sscanf(cur, "%127s %d %lf :%n", name, &status, &tol, &consumed) != 3 || consumed == 0) {
            fprintf(stderr, "%s:%d: malformed header\n", path, lineno);
            fclose(f);
            return 2;
        }
        cur += consumed;
        n_in = parse_numbers(&cur, in, MAX_VALUES);
        if (n_in < 0 || *cur != ':') {
            fprintf(stderr, "%s:%d: malformed inputs\n", path, lineno);
            fclose(f);
            return 2;
        }
        ++cur;
        n_out = parse_numbers(&cur, expected, MAX_VALUES);
        if (n_out < 0) {
            fprintf(stderr, "%s:%d: malformed outputs\n", path, lineno);
            fclose(f);
            return 2;
        }
        idx = find_case(name);
        if (idx < 0) {
            fprintf(stderr, "%s:%d: unknown case %s\n", path, lineno, name);
            fclose(f);
            return 2;
        }
        for (i = 0; i < n_out; ++i) {
            out[i] = NAN;
        }
        got = fbt_table[idx].fn(in, n_in, out, n_out);
        if (got == FBT_BAD_ARITY) {
            fprintf(stderr, "%s:%d: %s: wrong number of inputs (%d) or outputs (%d)\n", path, lineno, name,
                    n_in, n_out);
            fclose(f);
            return 2;
        }
        if (got != status) {
            printf("FAIL %s:%d %s: status %d, expected %d\n", path, lineno, name, got, status);
            ++*n_fail;
            continue;
        }
        if (status == 0) {
            int bad = -1;
            for (i = 0; i < n_out; ++i) {
                double d = fabs(out[i] - expected[i]);
                int both_nan = isnan(out[i]) && isnan(expected[i]);
                if (!both_nan && !(d <= tol)) {
                    if (bad < 0 || isnan(d) || d > worst) {
                        worst = d;
                        bad = i;
                    }
                }
            }
            if (bad >= 0) {
                printf("FAIL %s:%d %s: output %d is %.17g, expected %.17g (tol %g)\n", path, lineno, name, bad,
                       out[bad], expected[bad], tol);
                ++*n_fail;
                continue;
            }
        }
        ++*n_pass;
    }
    fclose(f);
    return 0;
}

int main(int argc, char **argv)
{
    int i, n_pass = 0, n_fail = 0;
    if (argc < 2) {
        fprintf(stderr, "usage: %s FILE.vec ...\n", argv[0]);
        return 2;
    }
    for (i = 1; i < argc; ++i) {
        int rc = run_file(argv[i], &n_pass, &n_fail);
        if (rc != 0) {
            return rc;
        }
    }
    printf("vectors: %d passed, %d failed\n", n_pass, n_fail);
    return n_fail == 0 ? 0 : 1;
}
