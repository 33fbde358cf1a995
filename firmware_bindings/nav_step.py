"""One navigation sample's numeric work in few core calls, with plain floats in and out.

A binding object for a navigation loop: an :class:`firmware_bindings.orbit.OrbitStepper` (the force model's
C structs, with drag and without, and the state buffers, made once) with the attitude routines and their
buffers added, in the manner of :class:`firmware_bindings.attitude.AttitudeStep`; a call copies its inputs
into the buffers (any sequences of four or three numbers), calls the core (``fb_quat_*`` of
``csrc/fb_quat.h``, ``fb_orbit_*`` of ``csrc/fb_orbit.h``) and hands back tuples of Python floats. No numpy
array is made on the way. The core still rejects NaN, infinity and bad times with
:class:`firmware_bindings.CoreError`; a vector of the wrong length raises ``ValueError``.

The results are those of the array API, bit for bit: the same core routines on the same doubles
(``quat_propagate``, ``quat_imu_step``, ``quat_rotate`` of :mod:`firmware_bindings.attitude`;
``OrbitStepper.propagate`` and ``OrbitStepper.drag_accel``).

Example::

    step = NavStep(ForceModel())
    q1, dv_eci, r1, v1 = step.burn(q0, dtheta_body_rad, dv_body_mps, t0_s, r0, v0, 450e3, t0_s + 0.1)
"""

from __future__ import annotations

from collections.abc import Sequence

from firmware_bindings._core import ffi, lib
from firmware_bindings._status import ensure
from firmware_bindings.orbit import ForceModel, OrbitStepper, Tolerance

__all__ = ["NavStep"]

Quat = tuple[float, float, float, float]
Vec3 = tuple[float, float, float]
_Seq = Sequence[float]


class NavStep(OrbitStepper):
    """Attitude propagation, delta-v to ECI, the coast model's drag and the orbit step of one force model
    (its ``burn`` ignored: thrust comes in as measured delta-v), for one IMU sample at a time. The orbit
    half is :class:`OrbitStepper`'s (``propagate``, ``drag_accel`` and its buffers); this adds the attitude
    routines and the two per-sample calls that combine them."""

    def __init__(self, model: ForceModel | None = None, tol: Tolerance | None = None) -> None:
        super().__init__(model, tol)
        self._q = ffi.new("double[4]")
        self._dth = ffi.new("double[3]")
        self._vb = ffi.new("double[3]")
        self._qn = ffi.new("double[4]")
        self._ve = ffi.new("double[3]")

    # ------------------------------------------------------------------------------ loading

    def _load_att(self, q_body_from_eci: _Seq, dtheta_body_rad: _Seq) -> None:
        try:
            self._q[0:4] = q_body_from_eci
            self._dth[0:3] = dtheta_body_rad
        except (IndexError, TypeError, ValueError) as exc:
            raise ValueError(f"q_body_from_eci must be 4 numbers and dtheta_body_rad 3: {exc}") from None

    def _load_vec(self, v_body: _Seq) -> None:
        try:
            self._vb[0:3] = v_body
        except (IndexError, TypeError, ValueError) as exc:
            raise ValueError(f"a body vector must be 3 numbers: {exc}") from None

    # ------------------------------------------------------------------------------ calls

    def attitude(self, q_body_from_eci: _Seq, dtheta_body_rad: _Seq) -> Quat:
        """``q_body_from_eci`` after the delta-angle (``quat_propagate``)."""
        self._load_att(q_body_from_eci, dtheta_body_rad)
        qn = self._qn
        code = lib.fb_quat_propagate(1, self._q, self._dth, qn)
        if code:
            ensure(code, "fb_quat_propagate")
        return (qn[0], qn[1], qn[2], qn[3])

    def rotate(self, q_a_from_b: _Seq, v_b: _Seq) -> Vec3:
        """Components in frame a of ``v_b`` (``quat_rotate``: ``q`` normalised first)."""
        try:
            self._q[0:4] = q_a_from_b
        except (IndexError, TypeError, ValueError) as exc:
            raise ValueError(f"q_a_from_b must be 4 numbers: {exc}") from None
        self._load_vec(v_b)
        ve = self._ve
        code = lib.fb_quat_rotate(1, self._q, self._vb, ve)
        if code:
            ensure(code, "fb_quat_rotate")
        return (ve[0], ve[1], ve[2])

    def burn(self, q_body_from_eci: _Seq, dtheta_body_rad: _Seq, dv_body_mps: _Seq, t0_s: float,
             r_eci_m: _Seq, v_eci_mps: _Seq, mass_kg: float, t1_s: float) -> tuple[Quat, Vec3, Vec3, Vec3]:
        """A thrusting sample: the attitude after the delta-angle and the body delta-v in ECI at the
        mid-interval attitude (``quat_imu_step``), and the orbit coasted from ``t0_s`` to ``t1_s`` with
        gravity alone (the measured delta-v carries thrust and drag). Returns ``(q_body_from_eci,
        dv_eci_mps, r_eci_m, v_eci_mps)``; the caller adds the delta-v."""
        self._load_att(q_body_from_eci, dtheta_body_rad)
        self._load_vec(dv_body_mps)
        self._load(r_eci_m, v_eci_mps, mass_kg)
        qn, ve = self._qn, self._ve
        code = lib.fb_quat_imu_step(1, self._q, self._dth, self._vb, qn, ve)
        if code:
            ensure(code, "fb_quat_imu_step")
        r, v = self._propagate_loaded(float(t0_s), float(t1_s), False)
        return (qn[0], qn[1], qn[2], qn[3]), (ve[0], ve[1], ve[2]), r, v

    def coast(self, q_body_from_eci: _Seq, dtheta_body_rad: _Seq, t0_s: float, r_eci_m: _Seq,
              v_eci_mps: _Seq, mass_kg: float, t1_s: float) -> tuple[Quat, Vec3, Vec3, Vec3, Vec3]:
        """A coast sample: the attitude after the delta-angle (``quat_propagate``), the model's drag
        acceleration at the state at ``t0_s`` in ECI and in body axes of the new attitude, and the orbit
        coasted with drag to ``t1_s``. Returns ``(q_body_from_eci, a_drag_eci_mps2, a_drag_body_mps2,
        r_eci_m, v_eci_mps)``."""
        self._load_att(q_body_from_eci, dtheta_body_rad)
        self._load(r_eci_m, v_eci_mps, mass_kg)
        qn, vb, ve = self._qn, self._vb, self._ve
        code = lib.fb_quat_propagate(1, self._q, self._dth, qn)
        if code:
            ensure(code, "fb_quat_propagate")
        t0 = float(t0_s)
        a = self._drag_loaded(t0)
        vb[0], vb[1], vb[2] = a
        code = lib.fb_quat_rotate(1, qn, vb, ve)
        if code:
            ensure(code, "fb_quat_rotate")
        r, v = self._propagate_loaded(t0, float(t1_s), True)
        return (qn[0], qn[1], qn[2], qn[3]), a, (ve[0], ve[1], ve[2]), r, v
