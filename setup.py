"""Build step that makes ``resources/`` package data (everything else is in pyproject.toml).

Why a build step and not a package-dir mapping: ``resources/`` stays at the top of the checkout
(where people edit letter templates and fonts, and where ``common/resources.py`` finds it in a
checkout or an editable install), while a wheel must carry it inside the package as
``clinicrecords/resources/`` because an installed copy has no checkout beside it. The whole folder
is copied, whatever it holds (fonts, letters, icons), so adding a file needs no change here.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent


class BuildPyWithResources(build_py):
    """``build_py`` that also copies ``resources/`` to ``<build>/clinicrecords/resources``."""

    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return  # an editable install reads the checkout's resources/ directly
        source = ROOT / "resources"
        if not (source / "doctypes.json").is_file():
            raise SystemExit("resources/ is missing from the source tree; cannot build")
        target = Path(self.build_lib) / "clinicrecords" / "resources"
        if target.exists():
            shutil.rmtree(target)
        shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))


setup(cmdclass={"build_py": BuildPyWithResources})
