"""The README's quick start, run as a user would (a fresh process on the configured database)."""

import os
import subprocess
import sys
from pathlib import Path

README = Path(__file__).resolve().parents[2] / "README.md"


def quick_start_until(prefix: str) -> str:
    """The quick-start code block of the README up to and including its first line starting with ``prefix``."""
    block = README.read_text().split("## Quick start in Python")[1].split("```python\n")[1].split("```")[0]
    lines = block.splitlines()
    end = next(i for i, line in enumerate(lines) if line.startswith(prefix))
    return "\n".join(lines[: end + 1])


def test_quick_start_counts_each_tuned_unit_once(backend, demo_loaded):
    tuning = demo_loaded["tuning"]
    tuning.DirectionTuning.populate({"direction_method": "fast"}, suppress_errors=False)  # a second method's rows
    code = quick_start_until("tuned =") + (
        "\nunits = tuned.reset_index()[['session', 'scan_idx', 'unit_id']].drop_duplicates()"
        "\nprint(len(tuned), len(units))")
    result = subprocess.run([sys.executable, "-c", code], env=dict(os.environ, **backend.env), capture_output=True,
                            text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    rows, units = map(int, result.stdout.split()[-2:])
    assert rows == units > 0
