/* Vector cases of the framing area (fb_cobs.h). Octet strings are given one octet per number (0..255);
 * a result string is written as its length followed by its octets, so a wrong length shows as a failed
 * output rather than a malformed line. */
#include <stddef.h>
#include <stdint.h>

#include "fb_cobs.h"
#include "fbt.h"

#define OCTETS_MAX 4096

/* Copy n numbers into octets; -1 when one is not an integer in 0..255. */
static int octets_from(const double *v, int n, uint8_t *dst)
{
    int i;
    if (n < 0 || n > OCTETS_MAX) {
        return -1;
    }
    for (i = 0; i < n; ++i) {
        if (!(v[i] >= 0.0 && v[i] <= 255.0) || v[i] != (double)(int)v[i]) {
            return -1;
        }
        dst[i] = (uint8_t)v[i];
    }
    return 0;
}

/* A capacity given as a number: a non-negative integer no larger than limit, else -1. */
static long capacity_from(double v, long limit)
{
    if (!(v >= 0.0 && v <= (double)limit) || v != (double)(long)v) {
        return -1;
    }
    return (long)v;
}

/* out[at..] = the length then the octets, as far as the n_out outputs reach. */
static void put_string(double *out, int n_out, int at, const uint8_t *s, size_t len)
{
    size_t i;
    if (at < n_out) {
        out[at] = (double)len;
    }
    for (i = 0; i < len && at + 1 + (int)i < n_out; ++i) {
        out[at + 1 + (int)i] = s[i];
    }
}

/* inputs: out_cap, data octets; outputs: encoded length, encoded octets */
FBT_CASE(cobs_encode)
{
    uint8_t data[OCTETS_MAX], enc[OCTETS_MAX + OCTETS_MAX / 254 + 1];
    size_t n_enc = 0;
    long cap;
    fb_status st;
    if (n_in < 1 || n_out < 1 || octets_from(in + 1, n_in - 1, data) != 0) {
        return FBT_BAD_ARITY;
    }
    cap = capacity_from(in[0], (long)sizeof enc);
    if (cap < 0) {
        return FBT_BAD_ARITY;
    }
    st = fb_cobs_encode(data, (size_t)(n_in - 1), enc, (size_t)cap, &n_enc);
    if (st == FB_OK) {
        put_string(out, n_out, 0, enc, n_enc);
    }
    return (int)st;
}

/* inputs: out_cap, encoded octets; outputs: decoded length, decoded octets */
FBT_CASE(cobs_decode)
{
    uint8_t enc[OCTETS_MAX], data[OCTETS_MAX];
    size_t n_data = 0;
    long cap;
    fb_status st;
    if (n_in < 1 || n_out < 1 || octets_from(in + 1, n_in - 1, enc) != 0) {
        return FBT_BAD_ARITY;
    }
    cap = capacity_from(in[0], (long)sizeof data);
    if (cap < 0) {
        return FBT_BAD_ARITY;
    }
    st = fb_cobs_decode(enc, (size_t)(n_in - 1), data, (size_t)cap, &n_data);
    if (st == FB_OK) {
        put_string(out, n_out, 0, data, n_data);
    }
    return (int)st;
}

/* inputs: n (a non-negative integer below 2^64); output: the largest encoding of n octets */
FBT_CASE(cobs_max_encoded_length)
{
    size_t n_max = 0;
    fb_status st;
    FBT_ARITY(1, 1);
    if (!(in[0] >= 0.0 && in[0] < 18446744073709551616.0) || in[0] != (double)(size_t)in[0]) {
        return FBT_BAD_ARITY;
    }
    st = fb_cobs_max_encoded_length((size_t)in[0], &n_max);
    out[0] = (double)n_max;
    return (int)st;
}

/* inputs: initial CRC register, octets; output: the CRC */
FBT_CASE(cobs_crc16)
{
    uint8_t data[OCTETS_MAX];
    uint16_t crc = 0;
    long init;
    fb_status st;
    if (n_in < 1 || n_out != 1 || octets_from(in + 1, n_in - 1, data) != 0) {
        return FBT_BAD_ARITY;
    }
    init = capacity_from(in[0], 0xFFFF);
    if (init < 0) {
        return FBT_BAD_ARITY;
    }
    st = fb_cobs_crc16(data, (size_t)(n_in - 1), (uint16_t)init, &crc);
    out[0] = crc;
    return (int)st;
}

/* inputs: max_packet_octets, packet octets; output: the fb_cobs_check */
FBT_CASE(cobs_check_packet)
{
    uint8_t pkt[OCTETS_MAX];
    int result = -1;
    long max_packet;
    fb_status st;
    if (n_in < 1 || n_out != 1 || octets_from(in + 1, n_in - 1, pkt) != 0) {
        return FBT_BAD_ARITY;
    }
    max_packet = capacity_from(in[0], 1L << 30);
    if (max_packet < 0) {
        return FBT_BAD_ARITY;
    }
    st = fb_cobs_check_packet(pkt, (size_t)(n_in - 1), (size_t)max_packet, &result);
    out[0] = result;
    return (int)st;
}

/* inputs: out_cap, frames_cap, max_frame_octets, max_packet_octets, region octets;
   outputs: n_frames, n_out, counts[0..4], (out_offset, out_length, result) per frame, the out octets */
FBT_CASE(cobs_decode_frames)
{
    uint8_t region[OCTETS_MAX], dec[OCTETS_MAX];
    fb_cobs_frame frames[OCTETS_MAX];
    uint32_t counts[FB_COBS_FRAME_NRESULTS];
    size_t n_frames = 0, n_dec = 0, k;
    long out_cap, frames_cap, max_frame, max_packet;
    int at, r;
    fb_status st;
    if (n_in < 4 || n_out < 7 || octets_from(in + 4, n_in - 4, region) != 0) {
        return FBT_BAD_ARITY;
    }
    out_cap = capacity_from(in[0], OCTETS_MAX);
    frames_cap = capacity_from(in[1], OCTETS_MAX);
    max_frame = capacity_from(in[2], 1L << 30);
    max_packet = capacity_from(in[3], 1L << 30);
    if (out_cap < 0 || frames_cap < 0 || max_frame < 0 || max_packet < 0) {
        return FBT_BAD_ARITY;
    }
    st = fb_cobs_decode_frames(region, (size_t)(n_in - 4), (size_t)max_frame, (size_t)max_packet, dec,
                               (size_t)out_cap, frames, (size_t)frames_cap, &n_frames, &n_dec, counts);
    if (st != FB_OK) {
        return (int)st;
    }
    out[0] = (double)n_frames;
    out[1] = (double)n_dec;
    for (r = 0; r < FB_COBS_FRAME_NRESULTS; ++r) {
        out[2 + r] = counts[r];
    }
    at = 7;
    for (k = 0; k < n_frames && at + 2 < n_out; ++k) {
        out[at++] = frames[k].out_offset;
        out[at++] = frames[k].out_length;
        out[at++] = frames[k].result;
    }
    for (k = 0; k < n_dec && at < n_out; ++k) {
        out[at++] = dec[k];
    }
    return (int)st;
}

/* input: which call gets a NULL pointer (0..7); the status must be FB_E_NULL */
FBT_CASE(cobs_null_pointer)
{
    uint8_t buf[8] = {0x01, 0x02, 0x00, 0, 0, 0, 0, 0};
    fb_cobs_frame frames[4];
    uint32_t counts[FB_COBS_FRAME_NRESULTS];
    size_t n1 = 0, n2 = 0;
    uint16_t crc = 0;
    FBT_ARITY(1, 0);
    (void)out;
    switch ((int)in[0]) {
    case 0:
        return (int)fb_cobs_encode(NULL, 1, buf, sizeof buf, &n1);
    case 1:
        return (int)fb_cobs_encode(buf, 1, NULL, sizeof buf, &n1);
    case 2:
        return (int)fb_cobs_decode(buf, 2, buf + 4, 4, NULL);
    case 3:
        return (int)fb_cobs_crc16(NULL, 3, 0xFFFF, &crc);
    case 4:
        return (int)fb_cobs_check_packet(buf, 3, 1024, NULL);
    case 5:
        return (int)fb_cobs_decode_frames(buf, 3, 10, 1024, buf + 4, 4, NULL, 4, &n1, &n2, counts);
    case 6:
        return (int)fb_cobs_decode_frames(NULL, 3, 10, 1024, buf + 4, 4, frames, 4, &n1, &n2, counts);
    case 7:
        return (int)fb_cobs_max_encoded_length(3, NULL);
    default:
        return FBT_BAD_ARITY;
    }
}
