"""SANE scanning through the real ``scanimage`` and SANE's ``test`` backend.

The test backend is enabled for the tests only (SANE_CONFIG_DIR in tests/conftest.py), never in
the system's /etc/sane.d/dll.conf (installer/setup.sh).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from clinicrecords.common.errors import BadInput, ClinicError
from clinicrecords.scan import sane, wia
from clinicrecords.scan.sane import SaneSource, ScanFailed, ScannerUnavailable
from clinicrecords.scan.sources import ScannerDevice, ScannerSource, load_pages

needs_scanimage = pytest.mark.skipif(
    not sane.available(), reason="scanimage (sane-utils) is not installed"
)
FAST = ("--test-picture=Grid",)  # a real picture, not the default solid black


@pytest.fixture(scope="module")
def test_device() -> ScannerDevice:
    if not sane.available():
        pytest.skip("scanimage (sane-utils) is not installed")
    devices = sane.list_devices()  # one listing per module: network backends take ~3 s
    found = [d for d in devices if d.name.startswith("test:")]
    if not found:
        pytest.fail("SANE's test backend is missing (tests/conftest.py sets SANE_CONFIG_DIR)")
    return found[0]


def test_no_scanner_is_explained(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    fake = tmp_path / "scanimage"
    fake.write_text("#!/bin/sh\necho 'No scanners were identified.' >&2\nexit 0\n")
    fake.chmod(0o755)
    monkeypatch.setenv("CLINICRECORDS_SCANIMAGE", str(fake))
    assert sane.list_devices() == []
    with pytest.raises(ScannerUnavailable, match="No scanner was found"):
        sane.default_device()


def test_test_device_is_listed(test_device: ScannerDevice) -> None:
    assert test_device.name == "test:0"
    assert test_device.backend == "sane"
    assert test_device.label  # vendor + model for the device menu


@needs_scanimage
def test_feeder_batch_scans_numbered_pages(test_device: ScannerDevice, tmp_path: Path) -> None:
    pages = sane.scan(
        test_device,
        out_dir=tmp_path,
        dpi=50,
        source="Automatic Document Feeder",  # the test backend's feeder holds 10 sheets
        options=FAST,
    )
    assert len(pages) == 10
    assert pages == sorted(pages) and len({p.name for p in pages}) == 10
    with Image.open(pages[0]) as img:
        assert img.mode == "L" and img.format == "PNG"
        assert img.width > 100  # the test backend's default area is 80 x 100 mm
    with load_pages(pages[-1]) as loaded:  # scanned pages import like any other file
        assert len(list(loaded.iter_pages())) == 1


@needs_scanimage
def test_second_scan_never_overwrites_the_first(test_device: ScannerDevice, tmp_path: Path) -> None:
    first = sane.scan(test_device, out_dir=tmp_path, dpi=50, batch=False, options=FAST)
    second = sane.scan(test_device, out_dir=tmp_path, dpi=50, batch=False, options=FAST)
    assert len(first) == len(second) == 1
    assert first[0] != second[0] and first[0].exists() and second[0].exists()


@needs_scanimage
def test_unknown_device_is_explained(tmp_path: Path) -> None:
    with pytest.raises(ScanFailed, match="was not found") as info:
        sane.scan("nosuchbackend:0", out_dir=tmp_path, dpi=50)
    assert info.value.pages == []


@needs_scanimage
def test_bad_option_is_explained(test_device: ScannerDevice, tmp_path: Path) -> None:
    with pytest.raises(ClinicError) as info:
        sane.scan(test_device, out_dir=tmp_path, dpi=50, mode="NoSuchMode")
    assert "\n" not in str(info.value)
    assert not list(tmp_path.iterdir())


def test_scanimage_messages_become_sentences() -> None:
    # The words scanimage prints (as seen from SANE backends) mapped to a clerk's sentence.
    cases = {
        "scanimage: sane_start: Document feeder out of documents": "feeder is empty",
        "scanimage: open of device x:0 failed: Invalid argument": "was not found",
        "scanimage: sane_start: Device busy": "busy",
        "scanimage: sane_read: Document feeder jammed": "jammed",
        "scanimage: sane_start: Scanner cover is open": "cover is open",
    }
    for stderr, phrase in cases.items():
        assert phrase in sane._message_for(stderr, "x:0"), stderr


def test_missing_scanimage_is_explained(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CLINICRECORDS_SCANIMAGE", str(tmp_path / "no-scanimage"))
    with pytest.raises(ScannerUnavailable, match="not installed"):
        sane.list_devices()
    with pytest.raises(ScannerUnavailable):
        sane.scan("test:0", out_dir=tmp_path)


def test_crashing_driver_does_not_take_the_program_down(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    fake = tmp_path / "scanimage"
    fake.write_text("#!/bin/sh\nkill -SEGV $$\n")
    fake.chmod(0o755)
    monkeypatch.setenv("CLINICRECORDS_SCANIMAGE", str(fake))
    with pytest.raises(ScanFailed, match="crashed"):
        sane.scan("test:0", out_dir=tmp_path / "out")


def test_sources_share_one_protocol() -> None:
    sources: list[ScannerSource] = [SaneSource(), wia.WiaSource()]
    assert all(callable(s.scan) for s in sources)
    if not wia.available():  # everywhere but Windows with pywin32
        with pytest.raises(ScannerUnavailable):
            wia.list_devices()


def test_bad_input_is_a_clinic_error() -> None:
    assert issubclass(BadInput, ClinicError) and issubclass(ScanFailed, ClinicError)
