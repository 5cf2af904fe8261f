"""Entry point of the frozen program (installer/clinicrecords.spec): the command line, and the
desktop program when started without a command, exactly as the ``clinicrecords`` script.

A windowed Windows executable (``clinicrecords-gui.exe``, no console) has no stdout/stderr;
messages then go nowhere instead of failing on ``None.write``.
"""

import os
import sys

if sys.stdout is None or sys.stderr is None:  # pragma: no cover - windowed Windows build
    _null = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115 - lives as long as the program
    sys.stdout = sys.stdout or _null
    sys.stderr = sys.stderr or _null

from clinicrecords.cli import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
