"""Every benchmark runs as `python bench/NAME.py`, so Python puts bench/ first on
its path, where bench/langdetect.py (the name the issue gives it) would stand in
for the langdetect package. Each script's prologue must put the project first
and take bench/ out, or the detector fails to load its profiles mid-run."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench"
SCRIPTS = sorted(p for p in BENCH.glob("*.py") if p.name not in {"serving.py", "__init__.py"})

PROBE = """
import sys
from pathlib import Path
path = Path(sys.argv[1])
sys.path.insert(0, str(path.parent))  # as `python bench/NAME.py` does
lines = path.read_text(encoding="utf-8").splitlines()
end = next(i for i, line in enumerate(lines) if line.startswith("sys.path[:]"))
exec(compile("\\n".join(lines[: end + 1]), str(path), "exec"), {"__file__": str(path)})
import langdetect.detector_factory
import bot
print(Path(langdetect.__file__).parent.name, Path(bot.__file__).parent.parent == path.parent.parent)
"""


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_the_benchmark_finds_the_real_langdetect(script: Path) -> None:
    done = subprocess.run([sys.executable, "-c", PROBE, str(script)], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["langdetect", "True"]
