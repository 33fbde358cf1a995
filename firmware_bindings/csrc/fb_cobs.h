/*
 * fb_cobs.h - serial link framing: Consistent Overhead Byte Stuffing and the checks of a received frame.
 *
 * COBS (Cheshire and Baker, "Consistent Overhead Byte Stuffing", IEEE/ACM Transactions on Networking 7(2),
 * 1999) removes every 0x00 octet from a packet so that a single 0x00 can delimit frames on a serial line.
 * The encoding is a chain of blocks: a code octet c (1..255) followed by c - 1 non-zero data octets; every
 * block with c < 255 that is not the last one stands for its data and one 0x00, a block with c = 255 for its
 * 254 data octets only. The overhead is one octet plus one per 254 octets (fb_cobs_max_encoded_length).
 *
 * Canonical encoding (fb_cobs_encode): a final block of exactly 254 non-zero octets (code 0xFF) is not
 * followed by an empty block. Decoding (fb_cobs_decode) accepts that form and also a trailing empty block
 * (code 0x01) after a full one, which some encoders emit; it refuses an empty input, a 0x00 octet anywhere,
 * or a block running past the end.
 *
 * The frames of this project carry CCSDS Space Packets (CCSDS 133.0-B-2) ending in a CRC-16/CCITT-FALSE
 * (polynomial 0x1021, initial value 0xFFFF, no reflection, no final XOR; check value 0x29B1 over "123456789").
 * fb_cobs_check_packet checks a decoded frame as exactly one packet the way hil/protocol/spacepacket.py
 * `check` does, reporting the first failing check. fb_cobs_decode_frames decodes and checks every frame of a
 * region of a received stream in one call and classifies each as hil/protocol/framing.py's StreamDecoder
 * counts it.
 *
 * Lengths are octets. Every function returns FB_OK, FB_E_NULL (a required pointer is NULL; an input pointer
 * may be NULL when its length is 0), FB_E_RANGE (malformed input, as documented per function) or
 * FB_E_CAPACITY (an output buffer is too small); on an error the outputs are unspecified.
 */
#ifndef FB_COBS_H
#define FB_COBS_H

#include <stddef.h>
#include <stdint.h>

#include "fb_status.h"

/* FB_CDEF_BEGIN */
enum {
    FB_COBS_MAX_BLOCK = 254,           /* data octets in a full block (code 0xFF) */
    FB_COBS_HEADER_OCTETS = 6,         /* CCSDS primary header */
    FB_COBS_MIN_PACKET_OCTETS = 14,    /* primary and secondary (time tag) headers and the CRC */
    FB_COBS_CRC_INIT = 0xFFFF
};

/* Outcome of checking one decoded frame as exactly one packet (the order of the checks, first failing one
   reported; the values are those of hil.protocol.spacepacket.Check). */
typedef enum {
    FB_COBS_CHECK_OK = 0,
    FB_COBS_CHECK_SHORT = 1,                /* fewer than FB_COBS_MIN_PACKET_OCTETS */
    FB_COBS_CHECK_LONG = 2,                 /* more than the maximum packet */
    FB_COBS_CHECK_VERSION = 3,              /* packet version number (top 3 bits) is not 0 */
    FB_COBS_CHECK_NO_SECONDARY_HEADER = 4,  /* secondary header flag (bit 0x08 of octet 0) is 0 */
    FB_COBS_CHECK_LENGTH = 5,               /* packet data length field + 7 differs from the octets present */
    FB_COBS_CHECK_CRC = 6                   /* the CRC over the whole packet is not 0 */
} fb_cobs_check;

/* What a received frame turned out to be (the counters of hil.protocol.framing.DecoderStats). */
typedef enum {
    FB_COBS_FRAME_OK = 0,         /* a valid packet */
    FB_COBS_FRAME_CRC = 1,        /* decoded, passed every other check, CRC wrong */
    FB_COBS_FRAME_FRAMING = 2,    /* bad COBS, or a decoded frame that is not exactly one packet */
    FB_COBS_FRAME_OVERSIZE = 3,   /* more encoded octets than the maximum frame: not decoded */
    FB_COBS_FRAME_EMPTY = 4,      /* nothing between two delimiters (idle fill): skipped */
    FB_COBS_FRAME_NRESULTS = 5
} fb_cobs_frame_result;

/* One frame of fb_cobs_decode_frames: where its packet lies in the output buffer (length 0 unless the
   result is FB_COBS_FRAME_OK) and what the frame was (an fb_cobs_frame_result). */
typedef struct {
    uint32_t out_offset;
    uint32_t out_length;
    uint32_t result;
} fb_cobs_frame;

/* The largest COBS encoding of n octets: n + floor(n / 254) + 1. FB_E_RANGE if that overflows size_t. */
fb_status fb_cobs_max_encoded_length(size_t n, size_t *n_max);

/* Canonical COBS encoding of in[0..n) into out (no delimiter appended; out holds no 0x00). FB_E_CAPACITY
   when the encoding is longer than out_cap; out_cap >= fb_cobs_max_encoded_length(n) always suffices.
   out must not overlap in. */
fb_status fb_cobs_encode(const uint8_t *in, size_t n, uint8_t *out, size_t out_cap, size_t *n_out);

/* The data whose COBS encoding is in[0..n) (without delimiter). FB_E_RANGE for n = 0, a 0x00 octet, or a
   block running past the end; FB_E_CAPACITY when the data is longer than out_cap (n - 1 always suffices).
   out must not overlap in. */
fb_status fb_cobs_decode(const uint8_t *in, size_t n, uint8_t *out, size_t out_cap, size_t *n_out);

/* CRC-16/CCITT-FALSE of in[0..n) continued from crc_in (FB_COBS_CRC_INIT to start). */
fb_status fb_cobs_crc16(const uint8_t *in, size_t n, uint16_t crc_in, uint16_t *crc_out);

/* Check pkt[0..n) as exactly one packet of at most max_packet_octets (>= FB_COBS_MIN_PACKET_OCTETS, else
   FB_E_RANGE): *result is an fb_cobs_check. */
fb_status fb_cobs_check_packet(const uint8_t *pkt, size_t n, size_t max_packet_octets, int *result);

/* Decode every frame of a region of a received stream: in[0..n) with n >= 1 and in[n - 1] = 0x00 (else
   FB_E_RANGE), frames being the runs of octets before each 0x00. For each delimiter, in order, one record
   in frames[]: an empty run is FB_COBS_FRAME_EMPTY; a run longer than max_frame_octets is OVERSIZE; a run
   that is not a valid COBS encoding is FRAMING; otherwise the decoded octets are checked as by
   fb_cobs_check_packet with max_packet_octets: OK keeps the packet in out (packets back to back, each at
   its record's out_offset), CRC is CRC, any other failed check is FRAMING. n_frames is the number of
   records (the number of 0x00 octets in the region), n_out the octets of out used, counts[r] the number
   of records with result r. FB_E_RANGE also for max_frame_octets = 0, max_packet_octets below the minimum
   packet, or n > 0xFFFFFFFF; FB_E_CAPACITY when frames_cap is below the number of delimiters or a frame's
   decoding does not fit in what is left of out (out_cap >= n always suffices). */
fb_status fb_cobs_decode_frames(const uint8_t *in, size_t n, size_t max_frame_octets, size_t max_packet_octets,
                                uint8_t *out, size_t out_cap, fb_cobs_frame *frames, size_t frames_cap,
                                size_t *n_frames, size_t *n_out, uint32_t counts[5]);
/* FB_CDEF_END */

#endif
