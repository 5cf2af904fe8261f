"""Scanners on Windows through WIA 2.0 (``WIA.DeviceManager`` over COM, via pywin32).

Importable on every platform; off Windows, or without pywin32, ``available()`` is False and
the other calls raise ``ScannerUnavailable``. Same shape as ``sane.py`` (``ScannerSource``),
so the UI offers whichever source is available.

Not exercised by the Linux test suite: WIA needs a Windows machine with a scanner (or the
WIA sample driver). WIA runs in-process through COM, so a bad driver can still hurt; if that
is seen in the field, move ``scan`` into a child process as ``sane.py`` does.
"""

from __future__ import annotations

import sys
import time
import uuid
from pathlib import Path
from typing import Any

from clinicrecords.common.errors import BadInput
from clinicrecords.scan.sane import ScanFailed, ScannerUnavailable
from clinicrecords.scan.sources import ModuleScannerSource, ScannerDevice

WIA_DEVICE_TYPE_SCANNER = 1
WIA_FORMAT_PNG = "{B96B3CAF-0728-11D3-9D7B-0000F81EF32E}"
# WIA property ids (wiadef.h)
PROP_DEVICE_NAME = 7
PROP_MANUFACTURER = 3
PROP_DOCUMENT_HANDLING_SELECT = 3088
PROP_PAGES = 3096
PROP_HORIZONTAL_RES = 6147
PROP_VERTICAL_RES = 6148
PROP_CURRENT_INTENT = 6146
FEEDER, FLATBED = 1, 2
INTENT_GRAY, INTENT_COLOR, INTENT_TEXT = 2, 1, 4
WIA_ERROR_PAPER_EMPTY = -2145320957  # 0x80210003


def _client() -> Any | None:
    if sys.platform != "win32":
        return None
    try:
        import win32com.client  # type: ignore[import-not-found]
    except ImportError:
        return None
    return win32com.client


def available() -> bool:
    return _client() is not None


def _manager() -> Any:
    client = _client()
    if client is None:
        raise ScannerUnavailable("Windows scanning (WIA) is not available on this computer.")
    return client.Dispatch("WIA.DeviceManager")


def _prop(props: Any, pid: int) -> Any:
    for p in props:
        if p.PropertyID == pid:
            return p
    return None


def list_devices() -> list[ScannerDevice]:
    devices = []
    for info in _manager().DeviceInfos:
        if info.Type != WIA_DEVICE_TYPE_SCANNER:
            continue
        name = _prop(info.Properties, PROP_DEVICE_NAME)
        vendor = _prop(info.Properties, PROP_MANUFACTURER)
        devices.append(
            ScannerDevice(
                info.DeviceID,
                vendor=str(vendor.Value) if vendor else "",
                model=str(name.Value) if name else "",
                kind="scanner",
                backend="wia",
                sources=("Feeder", "Flatbed"),
            )
        )
    return devices


def scan(
    device: ScannerDevice | str,
    *,
    out_dir: Path,
    dpi: int = 300,
    mode: str = "Gray",
    source: str | None = None,
    batch: bool = True,
) -> list[Path]:
    """Scan to numbered PNG files, one WIA transfer per sheet until the feeder is empty."""
    device_id = device.name if isinstance(device, ScannerDevice) else device
    manager = _manager()
    info = next((d for d in manager.DeviceInfos if d.DeviceID == device_id), None)
    if info is None:
        raise ScannerUnavailable("The scanner was not found; check that it is on and connected.")
    dev = info.Connect()
    feeder = (source or "").lower().startswith(("feed", "adf", "auto"))
    handling = _prop(dev.Properties, PROP_DOCUMENT_HANDLING_SELECT)
    if handling is not None:
        handling.Value = FEEDER if feeder else FLATBED
    pages_prop = _prop(dev.Properties, PROP_PAGES)
    if pages_prop is not None:
        pages_prop.Value = 0 if (feeder and batch) else 1
    item = dev.Items[1]
    for pid, value in (
        (PROP_HORIZONTAL_RES, dpi),
        (PROP_VERTICAL_RES, dpi),
        (PROP_CURRENT_INTENT, INTENT_COLOR if mode.lower() == "color" else INTENT_GRAY),
    ):
        prop = _prop(item.Properties, pid)
        if prop is not None:
            prop.Value = value
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = f"scan-{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:8]}"
    pages: list[Path] = []
    while True:
        try:
            image = item.Transfer(WIA_FORMAT_PNG)
        except Exception as exc:  # pywintypes.com_error; its hresult says why
            code = getattr(exc, "hresult", None) or (exc.args[0] if exc.args else None)
            if code == WIA_ERROR_PAPER_EMPTY and pages:
                break
            if code == WIA_ERROR_PAPER_EMPTY:
                raise BadInput(
                    "The document feeder is empty; put the pages in the feeder and scan again."
                ) from None
            raise ScanFailed(
                "The scanner stopped with an error; check it and scan again.", pages
            ) from None
        path = out_dir / f"{stem}-{len(pages) + 1:04d}.png"
        image.SaveFile(str(path))
        pages.append(path)
        if not (feeder and batch):
            break
    return pages


class WiaSource(ModuleScannerSource):
    """``ScannerSource`` over WIA (see ``sources.ScannerSource``)."""

    module = sys.modules[__name__]
