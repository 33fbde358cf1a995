/*
 * fbt.h - the C vector runner's case interface.
 *
 * A case adapts one core function to the vector file format: it reads n_in doubles from `in`, calls the
 * core, writes n_out doubles to `out`, and returns the core's status (or FBT_BAD_ARITY when the vector
 * line has the wrong number of inputs or outputs for this case). Define cases in tests/c/cases_<area>.c
 * with FBT_CASE(name) { ... }; the test harness finds them by that macro and builds the dispatch table.
 */
#ifndef FBT_H
#define FBT_H

#define FBT_BAD_ARITY (-1)

typedef int (*fbt_fn)(const double *in, int n_in, double *out, int n_out);

typedef struct {
    const char *name;
    fbt_fn fn;
} fbt_entry;

extern const fbt_entry fbt_table[];
extern const int fbt_table_len;

#define FBT_CASE(name) int fbt_case_##name(const double *in, int n_in, double *out, int n_out)

/* Return FBT_BAD_ARITY from the enclosing case unless the line has exactly NI inputs and NO outputs. */
#define FBT_ARITY(ni, no)                                                                               \
    do {                                                                                                \
        if (n_in != (ni) || n_out != (no)) {                                                            \
            return FBT_BAD_ARITY;                                                                       \
        }                                                                                               \
    } while (0)

#endif
