"""The conformance checks: ``common`` (both boards), ``imu`` and ``thruster``. Each check is an async
function of a :class:`~hil.bench.checks.common.Context` returning one
:class:`~hil.bench.report.CheckResult`; passive checks read what the session recorded."""
