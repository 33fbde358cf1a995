#include "fb_cobs.h"

#include <string.h>

/* CRC-16/CCITT-FALSE, one table lookup per octet: crc16_table[i] is the CRC register after shifting the
   octet i through it (polynomial 0x1021, most significant bit first) from 0. */
static const uint16_t crc16_table[256] = {
    0x0000, 0x1021, 0x2042, 0x3063, 0x4084, 0x50A5, 0x60C6, 0x70E7,
    0x8108, 0x9129, 0xA14A, 0xB16B, 0xC18C, 0xD1AD, 0xE1CE, 0xF1EF,
    0x1231, 0x0210, 0x3273, 0x2252, 0x52B5, 0x4294, 0x72F7, 0x62D6,
    0x9339, 0x8318, 0xB37B, 0xA35A, 0xD3BD, 0xC39C, 0xF3FF, 0xE3DE,
    0x2462, 0x3443, 0x0420, 0x1401, 0x64E6, 0x74C7, 0x44A4, 0x5485,
    0xA56A, 0xB54B, 0x8528, 0x9509, 0xE5EE, 0xF5CF, 0xC5AC, 0xD58D,
    0x3653, 0x2672, 0x1611, 0x0630, 0x76D7, 0x66F6, 0x5695, 0x46B4,
    0xB75B, 0xA77A, 0x9719, 0x8738, 0xF7DF, 0xE7FE, 0xD79D, 0xC7BC,
    0x48C4, 0x58E5, 0x6886, 0x78A7, 0x0840, 0x1861, 0x2802, 0x3823,
    0xC9CC, 0xD9ED, 0xE98E, 0xF9AF, 0x8948, 0x9969, 0xA90A, 0xB92B,
    0x5AF5, 0x4AD4, 0x7AB7, 0x6A96, 0x1A71, 0x0A50, 0x3A33, 0x2A12,
    0xDBFD, 0xCBDC, 0xFBBF, 0xEB9E, 0x9B79, 0x8B58, 0xBB3B, 0xAB1A,
    0x6CA6, 0x7C87, 0x4CE4, 0x5CC5, 0x2C22, 0x3C03, 0x0C60, 0x1C41,
    0xEDAE, 0xFD8F, 0xCDEC, 0xDDCD, 0xAD2A, 0xBD0B, 0x8D68, 0x9D49,
    0x7E97, 0x6EB6, 0x5ED5, 0x4EF4, 0x3E13, 0x2E32, 0x1E51, 0x0E70,
    0xFF9F, 0xEFBE, 0xDFDD, 0xCFFC, 0xBF1B, 0xAF3A, 0x9F59, 0x8F78,
    0x9188, 0x81A9, 0xB1CA, 0xA1EB, 0xD10C, 0xC12D, 0xF14E, 0xE16F,
    0x1080, 0x00A1, 0x30C2, 0x20E3, 0x5004, 0x4025, 0x7046, 0x6067,
    0x83B9, 0x9398, 0xA3FB, 0xB3DA, 0xC33D, 0xD31C, 0xE37F, 0xF35E,
    0x02B1, 0x1290, 0x22F3, 0x32D2, 0x4235, 0x5214, 0x6277, 0x7256,
    0xB5EA, 0xA5CB, 0x95A8, 0x8589, 0xF56E, 0xE54F, 0xD52C, 0xC50D,
    0x34E2, 0x24C3, 0x14A0, 0x0481, 0x7466, 0x6447, 0x5424, 0x4405,
    0xA7DB, 0xB7FA, 0x8799, 0x97B8, 0xE75F, 0xF77E, 0xC71D, 0xD73C,
    0x26D3, 0x36F2, 0x0691, 0x16B0, 0x6657, 0x7676, 0x4615, 0x5634,
    0xD94C, 0xC96D, 0xF90E, 0xE92F, 0x99C8, 0x89E9, 0xB98A, 0xA9AB,
    0x5844, 0x4865, 0x7806, 0x6827, 0x18C0, 0x08E1, 0x3882, 0x28A3,
    0xCB7D, 0xDB5C, 0xEB3F, 0xFB1E, 0x8BF9, 0x9BD8, 0xABBB, 0xBB9A,
    0x4A75, 0x5A54, 0x6A37, 0x7A16, 0x0AF1, 0x1AD0, 0x2AB3, 0x3A92,
    0xFD2E, 0xED0F, 0xDD6C, 0xCD4D, 0xBDAA, 0xAD8B, 0x9DE8, 0x8DC9,
    0x7C26, 0x6C07, 0x5C64, 0x4C45, 0x3CA2, 0x2C83, 0x1CE0, 0x0CC1,
    0xEF1F, 0xFF3E, 0xCF5D, 0xDF7C, 0xAF9B, 0xBFBA, 0x8FD9, 0x9FF8,
    0x6E17, 0x7E36, 0x4E55, 0x5E74, 0x2E93, 0x3EB2, 0x0ED1, 0x1EF0
};

static uint16_t crc16_update(uint16_t crc, const uint8_t *p, size_t n)
{
    size_t i;
    for (i = 0; i < n; ++i) {
        crc = (uint16_t)((crc << 8) ^ crc16_table[((crc >> 8) ^ p[i]) & 0xFFu]);
    }
    return crc;
}

fb_status fb_cobs_max_encoded_length(size_t n, size_t *n_max)
{
    size_t extra;
    if (n_max == NULL) {
        return FB_E_NULL;
    }
    extra = n / FB_COBS_MAX_BLOCK + 1;
    if (n > (size_t)-1 - extra) {
        return FB_E_RANGE;
    }
    *n_max = n + extra;
    return FB_OK;
}

fb_status fb_cobs_encode(const uint8_t *in, size_t n, uint8_t *out, size_t out_cap, size_t *n_out)
{
    size_t i, code_pos = 0, o = 1;
    unsigned code = 1; /* 1 + data octets in the open block */
    if ((in == NULL && n > 0) || out == NULL || n_out == NULL) {
        return FB_E_NULL;
    }
    if (out_cap < 1) {
        return FB_E_CAPACITY;
    }
    for (i = 0; i < n; ++i) { /* bounded by n */
        const uint8_t b = in[i];
        if (b != 0) {
            if (o >= out_cap) {
                return FB_E_CAPACITY;
            }
            out[o++] = b;
            ++code;
            if (code < 0xFFu || i + 1 == n) {
                continue; /* a full final block is not followed by an empty one */
            }
        }
        /* close the block: a 0x00 in the data, or a full block with more data to come */
        out[code_pos] = (uint8_t)code;
        if (o >= out_cap) {
            return FB_E_CAPACITY;
        }
        code_pos = o++;
        code = 1;
    }
    out[code_pos] = (uint8_t)code;
    *n_out = o;
    return FB_OK;
}

/* The decoding of a frame known to be non-empty; returns FB_E_RANGE or FB_E_CAPACITY as fb_cobs_decode. */
static fb_status cobs_decode_frame(const uint8_t *in, size_t n, uint8_t *out, size_t out_cap, size_t *n_out)
{
    size_t i = 0, o = 0;
    while (i < n) { /* bounded: i grows by the code, at least 1, each pass */
        const size_t code = in[i];
        const size_t end = i + code; /* where the next code octet lies */
        const size_t len = code - 1;
        if (code == 0 || end > n) {
            return FB_E_RANGE;
        }
        if (len > 0) {
            if (memchr(in + i + 1, 0, len) != NULL) {
                return FB_E_RANGE;
            }
            if (len > out_cap - o) {
                return FB_E_CAPACITY;
            }
            memcpy(out + o, in + i + 1, len);
            o += len;
        }
        if (end < n && code != 0xFFu) {
            if (o >= out_cap) {
                return FB_E_CAPACITY;
            }
            out[o++] = 0;
        }
        i = end;
    }
    *n_out = o;
    return FB_OK;
}

fb_status fb_cobs_decode(const uint8_t *in, size_t n, uint8_t *out, size_t out_cap, size_t *n_out)
{
    if ((in == NULL && n > 0) || out == NULL || n_out == NULL) {
        return FB_E_NULL;
    }
    if (n == 0) {
        return FB_E_RANGE;
    }
    return cobs_decode_frame(in, n, out, out_cap, n_out);
}

fb_status fb_cobs_crc16(const uint8_t *in, size_t n, uint16_t crc_in, uint16_t *crc_out)
{
    if ((in == NULL && n > 0) || crc_out == NULL) {
        return FB_E_NULL;
    }
    *crc_out = crc16_update(crc_in, in, n);
    return FB_OK;
}

static int check_packet(const uint8_t *p, size_t n, size_t max_packet_octets)
{
    size_t declared;
    if (n < FB_COBS_MIN_PACKET_OCTETS) {
        return FB_COBS_CHECK_SHORT;
    }
    if (n > max_packet_octets) {
        return FB_COBS_CHECK_LONG;
    }
    if ((p[0] >> 5) != 0) {
        return FB_COBS_CHECK_VERSION;
    }
    if ((p[0] & 0x08u) == 0) {
        return FB_COBS_CHECK_NO_SECONDARY_HEADER;
    }
    declared = (((size_t)p[4] << 8) | p[5]) + 1 + FB_COBS_HEADER_OCTETS;
    if (declared != n) {
        return FB_COBS_CHECK_LENGTH;
    }
    if (crc16_update(FB_COBS_CRC_INIT, p, n) != 0) {
        return FB_COBS_CHECK_CRC;
    }
    return FB_COBS_CHECK_OK;
}

fb_status fb_cobs_check_packet(const uint8_t *pkt, size_t n, size_t max_packet_octets, int *result)
{
    if ((pkt == NULL && n > 0) || result == NULL) {
        return FB_E_NULL;
    }
    if (max_packet_octets < FB_COBS_MIN_PACKET_OCTETS) {
        return FB_E_RANGE;
    }
    *result = check_packet(pkt, n, max_packet_octets);
    return FB_OK;
}

fb_status fb_cobs_decode_frames(const uint8_t *in, size_t n, size_t max_frame_octets, size_t max_packet_octets,
                                uint8_t *out, size_t out_cap, fb_cobs_frame *frames, size_t frames_cap,
                                size_t *n_frames, size_t *n_out, uint32_t counts[5])
{
    size_t start = 0, o = 0, k = 0;
    int r;
    if (in == NULL || out == NULL || frames == NULL || n_frames == NULL || n_out == NULL || counts == NULL) {
        return FB_E_NULL;
    }
    /* n - 1 > 0xFFFFFFFE: a region too long for the 32-bit records (never true where size_t has 32 bits) */
    if (n == 0 || n - 1 > (size_t)0xFFFFFFFEu || in[n - 1] != 0 || max_frame_octets == 0
        || max_packet_octets < FB_COBS_MIN_PACKET_OCTETS) {
        return FB_E_RANGE;
    }
    for (r = 0; r < FB_COBS_FRAME_NRESULTS; ++r) {
        counts[r] = 0;
    }
    while (start < n) { /* bounded: start grows by at least 1 (the delimiter) each pass */
        const uint8_t *delim = (const uint8_t *)memchr(in + start, 0, n - start);
        const size_t end = (size_t)(delim - in); /* found: in[n - 1] is 0x00 */
        const size_t len = end - start;
        size_t got = 0;
        uint32_t result;
        if (k >= frames_cap) {
            return FB_E_CAPACITY;
        }
        if (len == 0) {
            result = FB_COBS_FRAME_EMPTY;
        } else if (len > max_frame_octets) {
            result = FB_COBS_FRAME_OVERSIZE;
        } else {
            const fb_status st = cobs_decode_frame(in + start, len, out + o, out_cap - o, &got);
            if (st == FB_E_CAPACITY) {
                return st;
            }
            if (st != FB_OK) {
                result = FB_COBS_FRAME_FRAMING;
            } else {
                const int c = check_packet(out + o, got, max_packet_octets);
                result = c == FB_COBS_CHECK_OK ? FB_COBS_FRAME_OK
                         : c == FB_COBS_CHECK_CRC ? FB_COBS_FRAME_CRC
                                                  : FB_COBS_FRAME_FRAMING;
            }
        }
        frames[k].out_offset = (uint32_t)o;
        frames[k].out_length = 0;
        frames[k].result = result;
        if (result == FB_COBS_FRAME_OK) {
            frames[k].out_length = (uint32_t)got;
            o += got;
        }
        ++counts[result];
        ++k;
        start = end + 1;
    }
    *n_frames = k;
    *n_out = o;
    return FB_OK;
}
