"""Check results and the run report: a table for people, JSON for CI, and the exit status."""

from __future__ import annotations

import json
import math
import urllib.parse
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

EXIT_PASS = 0
EXIT_FAIL = 1
EXIT_USAGE = 2


@dataclass
class CheckResult:
    """One check: its name, the ICD section it verifies, the outcome, what was measured and the limit."""

    name: str
    icd: str
    passed: bool
    measured: float | int | str | None
    limit: str
    unit: str = ""
    detail: str = ""

    def measured_text(self) -> str:
        m = self.measured
        if m is None:
            text = "-"
        elif isinstance(m, bool):
            text = str(m).lower()
        elif isinstance(m, float):
            text = "nan" if not math.isfinite(m) else f"{m:.6g}"
        else:
            text = str(m)
        return f"{text} {self.unit}".strip() if m is not None else text

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        if isinstance(self.measured, float) and not math.isfinite(self.measured):
            d["measured"] = None  # JSON has no NaN
        return d


def redact(url: str) -> str:
    """``url`` without the password of its user information, for reports and messages."""
    parts = urllib.parse.urlsplit(url)
    if parts.password is None:
        return url
    user = parts.username or ""
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port is not None else ""
    return urllib.parse.urlunsplit(parts._replace(netloc=f"{user}:***@{host}{port}"))


@dataclass
class Report:
    board: str
    link: str
    quick: bool
    time_scale: float
    condition: str | None = None
    started_utc: str = ""
    duration_s: float = 0.0
    checks: list[CheckResult] = field(default_factory=list)
    link_stats: dict[str, int] = field(default_factory=dict)
    packets: dict[str, int] = field(default_factory=dict)  # received, per packet name
    packets_sent: dict[str, int] = field(default_factory=dict)  # sent by the suite, per packet name

    @property
    def passed(self) -> bool:
        return bool(self.checks) and all(c.passed for c in self.checks)

    @property
    def failed(self) -> list[CheckResult]:
        return [c for c in self.checks if not c.passed]

    def exit_status(self) -> int:
        return EXIT_PASS if self.passed else EXIT_FAIL

    def as_dict(self) -> dict[str, Any]:
        return {
            "board": self.board,
            "link": redact(self.link),
            "quick": self.quick,
            "time_scale": self.time_scale,
            "condition": self.condition,
            "started_utc": self.started_utc,
            "duration_s": round(self.duration_s, 3),
            "passed": self.passed,
            "checks_passed": sum(c.passed for c in self.checks),
            "checks_failed": len(self.failed),
            "checks": [c.as_dict() for c in self.checks],
            "link_stats": self.link_stats,
            "packets": self.packets,
            "packets_sent": self.packets_sent,
        }

    def write_json(self, path: str | Path) -> None:
        Path(path).write_text(json.dumps(self.as_dict(), indent=2) + "\n")

    def table(self) -> str:
        """The results as a fixed-width text table with a summary line."""
        head = ("CHECK", "ICD", "RESULT", "MEASURED", "LIMIT")
        rows = [(c.name, c.icd, "pass" if c.passed else "FAIL", c.measured_text(), c.limit)
                for c in self.checks]
        widths = [max(len(r[i]) for r in [head, *rows]) for i in range(4)]
        lines = []
        for r in [head, *rows]:
            lines.append("  ".join(r[i].ljust(widths[i]) for i in range(4)) + "  " + r[4])
        lines.insert(1, "  ".join("-" * w for w in widths) + "  " + "-" * 5)
        for c in self.failed:
            if c.detail:
                lines.append(f"{c.name}: {c.detail}")
        n_pass = sum(c.passed for c in self.checks)
        verdict = "PASS" if self.passed else "FAIL"
        lines.append(f"{self.board} board on {redact(self.link)}: {n_pass} of {len(self.checks)} checks "
                     f"passed: {verdict} ({self.duration_s:.1f} s)")
        return "\n".join(lines)
