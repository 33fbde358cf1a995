/* Vector cases of the quaternion area (fb_quat.h); each calls the core on one element (n = 1) unless its
 * name says batch. */
#include <stddef.h>

#include "fb_quat.h"
#include "fbt.h"

FBT_CASE(quat_multiply)
{
    FBT_ARITY(8, 4);
    return (int)fb_quat_multiply(1, in, in + 4, out);
}

FBT_CASE(quat_conjugate)
{
    FBT_ARITY(4, 4);
    return (int)fb_quat_conjugate(1, in, out);
}

FBT_CASE(quat_normalize)
{
    FBT_ARITY(4, 4);
    return (int)fb_quat_normalize(1, in, out);
}

FBT_CASE(quat_rotate)
{
    FBT_ARITY(7, 3);
    return (int)fb_quat_rotate(1, in, in + 4, out);
}

/* two quaternions then two vectors, rotated in one call */
FBT_CASE(quat_rotate_batch)
{
    FBT_ARITY(14, 6);
    return (int)fb_quat_rotate(2, in, in + 8, out);
}

FBT_CASE(quat_to_dcm)
{
    FBT_ARITY(4, 9);
    return (int)fb_quat_to_dcm(1, in, out);
}

FBT_CASE(quat_from_dcm)
{
    FBT_ARITY(9, 4);
    return (int)fb_quat_from_dcm(1, in, out);
}

FBT_CASE(quat_from_axis_angle)
{
    FBT_ARITY(4, 4);
    return (int)fb_quat_from_axis_angle(1, in, in + 3, out);
}

FBT_CASE(quat_from_rotvec)
{
    FBT_ARITY(3, 4);
    return (int)fb_quat_from_rotvec(1, in, out);
}

FBT_CASE(quat_to_rotvec)
{
    FBT_ARITY(4, 3);
    return (int)fb_quat_to_rotvec(1, in, out);
}

FBT_CASE(quat_error)
{
    FBT_ARITY(8, 4);
    return (int)fb_quat_error(1, in, in + 4, out);
}

FBT_CASE(quat_propagate)
{
    FBT_ARITY(7, 4);
    return (int)fb_quat_propagate(1, in, in + 4, out);
}

/* in: q[4] dtheta[3] v_body[3]; out: q_next[4] v_eci[3] */
FBT_CASE(quat_imu_step)
{
    FBT_ARITY(10, 7);
    return (int)fb_quat_imu_step(1, in, in + 4, in + 7, out, out + 4);
}

FBT_CASE(quat_slerp)
{
    FBT_ARITY(9, 4);
    return (int)fb_quat_slerp(1, in, in + 4, in + 8, out);
}

/* in: u_b v_b u_a v_a; out: q_a_from_b */
FBT_CASE(quat_from_two_axes)
{
    FBT_ARITY(12, 4);
    return (int)fb_quat_from_two_axes(1, in, in + 3, in + 6, in + 9, out);
}

/* Input: a count n (which may be negative) and one quaternion; output: the status of multiply with that
 * count over buffers holding one element, and of every function given a NULL output pointer. */
FBT_CASE(quat_bad_arguments)
{
    double buf[9] = {1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0};
    double q[4];
    int n;
    FBT_ARITY(5, 2);
    if (!(in[0] >= -2.0 && in[0] <= 1.0)) {
        return FBT_BAD_ARITY;
    }
    n = (int)in[0];
    out[0] = (double)fb_quat_multiply(n, in + 1, in + 1, q);
    out[1] = (double)(fb_quat_multiply(1, buf, buf, NULL) + fb_quat_conjugate(1, buf, NULL)
                      + fb_quat_normalize(1, buf, NULL) + fb_quat_rotate(1, buf, buf, NULL)
                      + fb_quat_to_dcm(1, buf, NULL) + fb_quat_from_dcm(1, buf, NULL)
                      + fb_quat_from_axis_angle(1, buf, buf, NULL) + fb_quat_from_rotvec(1, buf, NULL)
                      + fb_quat_to_rotvec(1, buf, NULL) + fb_quat_error(1, buf, buf, NULL)
                      + fb_quat_propagate(1, buf, buf, NULL) + fb_quat_slerp(1, buf, buf, buf, NULL)
                      + fb_quat_from_two_axes(1, buf, buf, buf, buf, NULL));
    return 0;
}
