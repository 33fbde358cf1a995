"""One navigation sample's numeric work in few core calls, with plain floats in and out.

A binding object for a navigation loop (in the manner of :class:`firmware_bindings.orbit.OrbitStepper` and
:class:`firmware_bindings.attitude.AttitudeStep`): the force model's C structs (with drag and without) and
every input and output buffer are made once; a call copies its inputs into the buffers (any sequences of
four or three numbers), calls the core (``fb_quat_*`` of ``csrc/fb_quat.h``, ``fb_orbit_*`` of
``csrc/fb_orbit.h``) and hands back tuples of Python floats. No numpy array is made on the way. The core
still rejects NaN, infinity and bad times with :class:`firmware_bindings.CoreError`; a vector of the wrong
length raises ``ValueError``.

The results are those of the array API, bit for bit: the same core routines on the same doubles
(``quat_propagate``, ``quat_imu_step``, ``quat_rotate`` of :mod:`firmware_bindings.attitude`;
``OrbitStepper.propagate`` and ``OrbitStepper.drag_accel``).

Example::

    step = NavStep(ForceModel())
    q1, dv_eci, r1, v1 = step.burn(q0, dtheta_body_rad, dv_body_mps, t0_s, r0, v0, 450e3, t0_s + 0.1)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from firmware_bindings._core import ffi, lib
from firmware_bindings._status import ensure
from firmware_bindings.orbit import ForceModel, Tolerance

__all__ = ["NavStep"]

Quat = tuple[float, float, float, float]
Vec3 = tuple[float, float, float]
_Seq = Sequence[float]


class NavStep:
    """Attitude propagation, delta-v to ECI, the coast model's drag and the orbit step of one force model
    (its ``burn`` ignored: thrust comes in as measured delta-v), for one IMU sample at a time."""

    def __init__(self, model: ForceModel | None = None, tol: Tolerance | None = None) -> None:
        base = replace(model if model is not None else ForceModel(), burn=None)
        self.model = base
        self.tol = tol if tol is not None else Tolerance()
        self._m_drag = base._c()
        self._m_grav = replace(base, drag=False)._c()
        self._tol = self.tol._c()
        self._q = ffi.new("double[4]")
        self._dth = ffi.new("double[3]")
        self._vb = ffi.new("double[3]")
        self._qn = ffi.new("double[4]")
        self._ve = ffi.new("double[3]")
        self._y0 = ffi.new("double[7]")
        self._y1 = ffi.new("double[7]")
        self._da = ffi.new("double[7]")
        self._dg = ffi.new("double[7]")

    # ------------------------------------------------------------------------------ loading

    def _load_att(self, q_body_from_eci: _Seq, dtheta_body_rad: _Seq) -> None:
        try:
            self._q[0:4] = q_body_from_eci
            self._dth[0:3] = dtheta_body_rad
        except (IndexError, TypeError, ValueError) as exc:
            raise ValueError(f"q_body_from_eci must be 4 numbers and dtheta_body_rad 3: {exc}") from None

    def _load_state(self, r_eci_m: _Seq, v_eci_mps: _Seq, mass_kg: float) -> None:
        y = self._y0
        try:
            y[0:3] = r_eci_m
            y[3:6] = v_eci_mps
        except (IndexError, TypeError, ValueError) as exc:
            raise ValueError(f"r_eci_m and v_eci_mps must be 3 numbers each: {exc}") from None
        y[6] = float(mass_kg)

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

    def drag_accel(self, t_s: float, r_eci_m: _Seq, v_eci_mps: _Seq, mass_kg: float) -> Vec3:
        """The model's drag acceleration (m/s^2, ECI): its coast acceleration less gravity's."""
        self._load_state(r_eci_m, v_eci_mps, mass_kg)
        return self._drag(float(t_s))

    def _drag(self, t_s: float) -> Vec3:
        da, dg = self._da, self._dg
        code = lib.fb_orbit_deriv(self._m_drag, t_s, self._y0, da)
        if code:
            ensure(code, "fb_orbit_deriv")
        code = lib.fb_orbit_deriv(self._m_grav, t_s, self._y0, dg)
        if code:
            ensure(code, "fb_orbit_deriv")
        return (da[3] - dg[3], da[4] - dg[4], da[5] - dg[5])

    def _propagate(self, t0_s: float, t1_s: float, drag: bool) -> tuple[Vec3, Vec3]:
        y1 = self._y1
        code = lib.fb_orbit_propagate(self._m_drag if drag else self._m_grav, self._tol, t0_s, self._y0,
                                      t1_s, y1)
        if code:
            ensure(code, "fb_orbit_propagate")
        return (y1[0], y1[1], y1[2]), (y1[3], y1[4], y1[5])

    def burn(self, q_body_from_eci: _Seq, dtheta_body_rad: _Seq, dv_body_mps: _Seq, t0_s: float,
             r_eci_m: _Seq, v_eci_mps: _Seq, mass_kg: float, t1_s: float) -> tuple[Quat, Vec3, Vec3, Vec3]:
        """A thrusting sample: the attitude after the delta-angle and the body delta-v in ECI at the
        mid-interval attitude (``quat_imu_step``), and the orbit coasted from ``t0_s`` to ``t1_s`` with
        gravity alone (the measured delta-v carries thrust and drag). Returns ``(q_body_from_eci,
        dv_eci_mps, r_eci_m, v_eci_mps)``; the caller adds the delta-v."""
        self._load_att(q_body_from_eci, dtheta_body_rad)
        self._load_vec(dv_body_mps)
        self._load_state(r_eci_m, v_eci_mps, mass_kg)
        qn, ve = self._qn, self._ve
        code = lib.fb_quat_imu_step(1, self._q, self._dth, self._vb, qn, ve)
        if code:
            ensure(code, "fb_quat_imu_step")
        r, v = self._propagate(float(t0_s), float(t1_s), False)
        return (qn[0], qn[1], qn[2], qn[3]), (ve[0], ve[1], ve[2]), r, v

    def coast(self, q_body_from_eci: _Seq, dtheta_body_rad: _Seq, t0_s: float, r_eci_m: _Seq,
              v_eci_mps: _Seq, mass_kg: float, t1_s: float) -> tuple[Quat, Vec3, Vec3, Vec3, Vec3]:
        """A coast sample: the attitude after the delta-angle (``quat_propagate``), the model's drag
        acceleration at the state at ``t0_s`` in ECI and in body axes of the new attitude, and the orbit
        coasted with drag to ``t1_s``. Returns ``(q_body_from_eci, a_drag_eci_mps2, a_drag_body_mps2,
        r_eci_m, v_eci_mps)``."""
        self._load_att(q_body_from_eci, dtheta_body_rad)
        self._load_state(r_eci_m, v_eci_mps, mass_kg)
        qn, vb, ve = self._qn, self._vb, self._ve
        code = lib.fb_quat_propagate(1, self._q, self._dth, qn)
        if code:
            ensure(code, "fb_quat_propagate")
        t0 = float(t0_s)
        a = self._drag(t0)
        vb[0], vb[1], vb[2] = a
        code = lib.fb_quat_rotate(1, qn, vb, ve)
        if code:
            ensure(code, "fb_quat_rotate")
        r, v = self._propagate(t0, float(t1_s), True)
        return (qn[0], qn[1], qn[2], qn[3]), a, (ve[0], ve[1], ve[2]), r, v

    def propagate(self, t0_s: float, r_eci_m: _Seq, v_eci_mps: _Seq, mass_kg: float, t1_s: float,
                  drag: bool = True) -> tuple[Vec3, Vec3]:
        """``(r_eci_m, v_eci_mps)`` coasted from ``t0_s`` to ``t1_s >= t0_s`` (drag when ``drag`` and the
        model has it)."""
        self._load_state(r_eci_m, v_eci_mps, mass_kg)
        return self._propagate(float(t0_s), float(t1_s), drag)
