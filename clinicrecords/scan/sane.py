"""Scanners on Linux (and macOS with sane-backends) through the ``scanimage`` program.

Why a subprocess and not python-sane: scanner drivers are native code of uneven quality; a
driver that crashes or hangs must cost one scan, not the open program with a clerk's
half-indexed batch in it. ``scanimage --batch`` also does ADF feeding and page numbering.

Pages are written as numbered PNG files under a name no earlier scan used (a second scan
never overwrites the first) and are then imported like any other file.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

from PIL import Image

from clinicrecords.common.errors import BadInput, ClinicError
from clinicrecords.scan.sources import ModuleScannerSource, ScannerDevice

LIST_TIMEOUT = 60.0  # network backends (airscan, net) probe for several seconds
SCAN_TIMEOUT = 900.0  # a 100-sheet ADF batch at 300 dpi
_SEP = "\x1f"  # unit separator: cannot occur in device names or vendor strings


class ScannerUnavailable(ClinicError):
    """No scanning software, or the scanner cannot be reached."""


class ScanFailed(ClinicError):
    """The scan stopped part-way; ``pages`` are the complete pages saved before it stopped."""

    def __init__(self, message: str, pages: list[Path] | None = None) -> None:
        super().__init__(message)
        self.pages = pages or []


def scanimage_path() -> str | None:
    return os.environ.get("CLINICRECORDS_SCANIMAGE") or shutil.which("scanimage")


def available() -> bool:
    return scanimage_path() is not None


def _require() -> str:
    exe = scanimage_path()
    if exe is None or not Path(exe).exists():
        raise ScannerUnavailable(
            "Scanning software (SANE's scanimage) is not installed; install sane-utils, "
            "or import scanned files instead."
        )
    return exe


def list_devices(timeout: float = LIST_TIMEOUT) -> list[ScannerDevice]:
    """Scanners SANE can see now. Takes a few seconds when network backends are enabled."""
    exe = _require()
    fmt = _SEP.join(("%d", "%v", "%m", "%t")) + "%n"
    try:
        done = subprocess.run(
            [exe, "-f", fmt],
            capture_output=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired:
        raise ScannerUnavailable("Looking for scanners took too long; try again.") from None
    devices = []
    for line in done.stdout.decode("utf-8", errors="replace").splitlines():
        parts = line.split(_SEP)
        if len(parts) == 4 and parts[0]:
            name, vendor, model, kind = (p.strip() for p in parts)
            devices.append(ScannerDevice(name, vendor, model, kind, backend="sane"))
    return devices


def default_device() -> ScannerDevice:
    """The first scanner SANE finds; ``ScannerUnavailable`` with a sentence when there is none."""
    devices = list_devices()
    if not devices:
        raise ScannerUnavailable(
            "No scanner was found; check that it is switched on and connected, then try again."
        )
    return devices[0]


def _complete(path: Path) -> bool:
    """A page file that exists and decodes: the last page of a crashed scan may be partial."""
    try:
        with Image.open(path) as img:
            img.load()
        return True
    except (OSError, ValueError, SyntaxError):
        return False


def _message_for(stderr: str, device: str) -> str:
    low = stderr.lower()
    if "jammed" in low:
        return "Paper is jammed in the scanner; clear it and scan again."
    if "out of documents" in low or "no more documents" in low or "no documents" in low:
        return "The document feeder is empty; put the pages in the feeder and scan again."
    if "invalid argument" in low and "open of device" in low:
        return f"The scanner “{device}” was not found; check that it is on and connected."
    if "device busy" in low:
        return "The scanner is busy with another program; close it and try again."
    if "cover open" in low or "cover is open" in low:
        return "The scanner's cover is open; close it and scan again."
    if "access to resource has been denied" in low or "permission" in low:
        return "This computer account may not use the scanner; ask the administrator."
    return "The scanner stopped with an error; check it and scan again."


def scan(
    device: ScannerDevice | str,
    *,
    out_dir: Path,
    dpi: int = 300,
    mode: str = "Gray",
    source: str | None = None,
    batch: bool = True,
    options: tuple[str, ...] = (),
    timeout: float = SCAN_TIMEOUT,
) -> list[Path]:
    """Scan to numbered PNG files in ``out_dir`` and return them in page order.

    ``batch`` feeds every sheet in the ADF; ``batch=False`` takes one page (a flatbed would
    otherwise be scanned again and again). ``source`` is the backend's name for the feeder
    or glass ("ADF", "Automatic Document Feeder", "Flatbed"); ``options`` are passed to the
    backend as they are (``("--test-picture", "Grid")``).
    """
    exe = _require()
    name = device.name if isinstance(device, ScannerDevice) else device
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = f"scan-{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:8]}"
    pattern = out_dir / f"{stem}-%04d.png"
    cmd = [
        exe,
        "-d",
        name,
        "--format=png",
        f"--resolution={int(dpi)}",
        f"--mode={mode}",
        f"--batch={pattern}",
        "--batch-print",
    ]
    if source:
        cmd.append(f"--source={source}")
    if not batch:
        cmd.append("--batch-count=1")
    cmd.extend(options)
    try:
        done = subprocess.run(cmd, capture_output=True, timeout=timeout, stdin=subprocess.DEVNULL)
        returncode, stderr = done.returncode, done.stderr.decode("utf-8", errors="replace")
    except subprocess.TimeoutExpired:
        returncode, stderr = None, ""
    pages = sorted(p for p in out_dir.glob(f"{stem}-*.png") if _complete(p))
    if returncode is None:
        raise ScanFailed("The scanner stopped responding and the scan was ended.", pages)
    if returncode < 0 or returncode > 128:
        sig = -returncode if returncode < 0 else returncode - 128
        what = signal.Signals(sig).name if sig in signal.valid_signals() else str(sig)
        raise ScanFailed(
            f"The scanner driver crashed ({what}); the pages before it were kept.", pages
        )
    if pages:
        return pages  # an ADF batch ends with "out of documents": that is success
    message = _message_for(stderr, name)
    if "feeder is empty" in message:
        raise BadInput(message)
    raise ScanFailed(message)


class SaneSource(ModuleScannerSource):
    """``ScannerSource`` over SANE (see ``sources.ScannerSource``)."""

    module = sys.modules[__name__]
