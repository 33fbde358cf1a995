"""Stateful and property tests of the telecommand authenticator (flight/security.py)."""

from __future__ import annotations

import os

from hypothesis import given
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, initialize, invariant, precondition, rule

from flight.security import MAC_OCTETS, Authenticator, KeyRing, Outcome, Signer

HEADER = 12


class AuthenticatorMachine(RuleBasedStateMachine):
    """The ground signs commands; the link delivers, repeats, reorders, corrupts and forges them; flight
    restarts from its journal. Properties: an ARSN is accepted at most once per key; nothing forged,
    corrupted or signed with an unloaded key is ever accepted; an ARSN below the window is never accepted;
    every genuine command delivered in order for the first time is accepted."""

    signed = Bundle("signed")

    @initialize()
    def setup(self) -> None:
        self.keys = KeyRing({1: os.urandom(32), 2: os.urandom(48)})
        self.rogue = KeyRing({1: os.urandom(32)})
        self.signers = {1: Signer(self.keys, 1), 2: Signer(self.keys, 2, next_arsn=1000)}
        self.window = 16
        self.auth = Authenticator(self.keys, window=self.window)
        self.accepted: set[tuple[int, int]] = set()
        self.high: dict[int, int] = {1: 0, 2: 0}

    def _deliver(self, unit: bytes) -> Outcome:
        verdict = self.auth.verify(unit, HEADER)
        if verdict.accepted:
            ident = (verdict.key_id, verdict.arsn)
            assert ident not in self.accepted, f"ARSN {ident} accepted twice"
            assert verdict.arsn > self.high[verdict.key_id] - self.window, "stale ARSN accepted"
            self.accepted.add(ident)
            self.high[verdict.key_id] = max(self.high[verdict.key_id], verdict.arsn)
        return verdict.outcome

    @rule(target=signed, key_id=st.sampled_from([1, 2]), data=st.binary(max_size=40),
          header=st.binary(min_size=HEADER, max_size=HEADER), deliver=st.booleans())
    def sign(self, key_id: int, data: bytes, header: bytes, deliver: bool) -> bytes:
        unit = self.signers[key_id].sign(header, data)
        if deliver:
            assert self._deliver(unit) is Outcome.ACCEPTED  # fresh and newest: must pass
        return unit

    @rule(unit=signed)
    def redeliver(self, unit: bytes) -> None:
        """A repeated or late command: accepted only if never accepted and still inside the window."""
        outcome = self._deliver(unit)
        assert outcome in (Outcome.ACCEPTED, Outcome.REPLAY, Outcome.STALE)

    @rule(unit=signed, pos=st.integers(0, 10_000), mask=st.integers(1, 255))
    def corrupt(self, unit: bytes, pos: int, mask: int) -> None:
        b = bytearray(unit)
        b[pos % len(b)] ^= mask
        assert self._deliver(bytes(b)) is not Outcome.ACCEPTED

    @rule(unit=signed, mac=st.binary(min_size=MAC_OCTETS, max_size=MAC_OCTETS))
    def forge_mac(self, unit: bytes, mac: bytes) -> None:
        if mac != unit[-MAC_OCTETS:]:
            assert self._deliver(unit[:-MAC_OCTETS] + mac) is not Outcome.ACCEPTED

    @rule(data=st.binary(max_size=40), arsn=st.integers(1, 2**32 - 1))
    def wrong_key(self, data: bytes, arsn: int) -> None:
        unit = Signer(self.rogue, 1, next_arsn=arsn).sign(bytes(HEADER), data)
        assert self._deliver(unit) is Outcome.BAD_MAC

    @rule(unit=signed, cut=st.integers(1, 30))
    def truncated(self, unit: bytes, cut: int) -> None:
        assert self._deliver(unit[:-cut]) is not Outcome.ACCEPTED

    @rule(junk=st.binary(max_size=60))
    def garbage(self, junk: bytes) -> None:
        assert self._deliver(junk) is not Outcome.ACCEPTED

    @precondition(lambda self: hasattr(self, "auth"))
    @rule()
    def restart_from_journal(self) -> None:
        """Flight software restarts: a new authenticator restored from the exported plain data."""
        state = self.auth.export_state()
        fresh = Authenticator(self.keys, window=self.window)
        fresh.restore_state(state)
        assert fresh.export_state() == state
        self.auth = fresh

    @invariant()
    def counts_add_up(self) -> None:
        """Across restarts the accepted counter equals the number of distinct ARSNs accepted."""
        if hasattr(self, "auth"):
            assert self.auth.counts["accepted"] == len(self.accepted)


TestAuthenticator = AuthenticatorMachine.TestCase


@given(st.lists(st.integers(1, 200), max_size=60), st.integers(1, 32))
def test_window_accepts_each_arsn_at_most_once_and_never_below_window(arsns: list[int], window: int) -> None:
    """For any delivery order of ARSNs (with repeats), the accepted set equals what a reference sliding
    window accepts: an ARSN is accepted iff it was never accepted and is above highest - window."""
    keys = KeyRing({3: bytes(range(32))})
    auth = Authenticator(keys, window=window)
    accepted: set[int] = set()
    high = 0
    for a in arsns:
        unit = Signer(keys, 3, next_arsn=a).sign(b"", b"cmd")
        expect = a not in accepted and a > high - window
        assert auth.verify(unit, 0).accepted == expect
        if expect:
            accepted.add(a)
            high = max(high, a)
