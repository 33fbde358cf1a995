"""The bench conformance suite (``hil bench imu|thruster``): checks a real or emulated board against
docs/icd.md from the host side of its link, and reports each check with its ICD section, the measured
value and the limit.

    from hil.bench import Limits, run_suite
    report = await run_suite("thruster", "serial:///dev/ttyUSB1", Limits.for_run(quick=False))
    print(report.table()); sys.exit(report.exit_status())
"""

from hil.bench.limits import CONDITIONS, Condition, Limits
from hil.bench.report import CheckResult, Report
from hil.bench.session import BenchConnectionError, BenchSession
from hil.bench.suite import check_names, run_suite

__all__ = [
    "CONDITIONS",
    "BenchConnectionError",
    "BenchSession",
    "CheckResult",
    "Condition",
    "Limits",
    "Report",
    "check_names",
    "run_suite",
]
