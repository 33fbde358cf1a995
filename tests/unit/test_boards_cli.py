"""``hil board`` argument errors: one line on stderr and a non-zero status, never a traceback."""

from __future__ import annotations

import pytest

from hil.cli import main


@pytest.mark.parametrize(("argv", "message"), [
    (["board", "imu", "--serial", "pty", "--rate", "0"], "--rate must lie in 0.01..400 Hz"),
    (["board", "imu", "--serial", "pty", "--seed", "-1"], "--seed must be non-negative"),
    (["board", "thruster", "--serial", "pty", "--time", "fast"], "unknown time mode 'fast'"),
    (["board", "thruster", "--mqtt", "ftp://host/x"], "unsupported link URL"),
    (["board", "imu", "--serial", "serial://relative/path"], "serial link URL"),
])
def test_bad_arguments_are_one_clear_line(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Each mistake exits with status 1 and one line naming it."""
    assert main(argv) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("hil: ") and message in err[0]


def test_board_needs_a_place_to_serve(capsys: pytest.CaptureFixture[str]) -> None:
    """Neither --serial nor --mqtt is a usage error (status 2), as argparse reports it."""
    with pytest.raises(SystemExit) as exc:
        main(["board", "imu"])
    assert exc.value.code == 2
    assert "one of the arguments --serial --mqtt is required" in capsys.readouterr().err
