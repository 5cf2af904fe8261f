"""Start-up: first run, unlock, sign in, main window; back to sign-in after sign-out."""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtWidgets import QApplication, QDialog, QMessageBox

from clinicrecords.clinic.session import Session
from clinicrecords.clinic.store import Store, default_data_dir, is_store
from clinicrecords.common import devlog
from clinicrecords.common.errors import ClinicError, PassphraseRequired
from clinicrecords.ui import accessibility
from clinicrecords.ui.bus import ChangeBus
from clinicrecords.ui.style import apply_style, follow_system_theme


class AppController:
    """Owns the open store and the current window; testable without ``app.exec()``."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = Path(data_dir)
        self.store: Store | None = None
        self.window = None
        self.bus = ChangeBus()

    def open_store(self) -> bool:
        if not is_store(self.data_dir):
            from clinicrecords.ui.first_run import FirstRunWizard

            wizard = FirstRunWizard(self.data_dir)
            accepted = wizard.exec() == QDialog.Accepted
            self.store = wizard.store
            if not accepted or self.store is None:
                return False  # (close() closes a store a cancelled wizard made)
            if wizard.session is not None:  # a new clinic: its administrator is signed in
                self.show_main(wizard.session)
                return True
            return self.sign_in()  # joined or restored: the clinic's accounts came with it
        try:
            self.store = Store.open(self.data_dir)
        except PassphraseRequired:
            from clinicrecords.ui.dialogs import UnlockDialog

            dlg = UnlockDialog(self.data_dir)
            if dlg.exec() != QDialog.Accepted:
                return False
            self.store = dlg.store
        return self.sign_in()

    def sign_in(self) -> bool:
        from clinicrecords.ui.dialogs import LoginDialog

        assert self.store is not None
        dlg = LoginDialog(self.store)
        if dlg.exec() != QDialog.Accepted or dlg.session is None:
            return False
        self.show_main(dlg.session)
        return True

    def show_main(self, session: Session | None) -> None:
        from clinicrecords.ui.main_window import MainWindow

        assert session is not None
        self.window = MainWindow(session, self.bus)
        self.window.signed_out.connect(self._after_sign_out)
        self.window.show()

    def _after_sign_out(self) -> None:
        if not self.sign_in():
            QApplication.instance().quit()

    def close(self) -> None:
        from clinicrecords.ui.workers import wait_for_all

        # Background jobs may still hold the store's connections: let them finish first.
        wait_for_all(10000)
        if self.store is not None:
            self.store.close()


def _excepthook(exc_type, exc, tb) -> None:  # type: ignore[no-untyped-def]
    """An error escaping a Qt slot: log it scrubbed (its message may quote patient data) and
    tell the user in a sentence, instead of PySide printing the full message to stderr."""
    if issubclass(exc_type, KeyboardInterrupt):
        sys.__excepthook__(exc_type, exc, tb)
        return
    if exc is not None and exc.__traceback__ is None:
        exc = exc.with_traceback(tb)
    if isinstance(exc, ClinicError):
        message = exc.message
    else:
        devlog.log_unexpected(exc, "user interface")
        message = "Something went wrong; the details were written to the developer log."
    app = QApplication.instance()
    if app is not None and QApplication.platformName() not in ("offscreen", "minimal"):
        QMessageBox.warning(app.activeWindow(), "ClinicRecords", message)
    else:
        sys.stderr.write(f"clinicrecords: {message}\n")


def route_qt_messages():  # type: ignore[no-untyped-def]
    """Qt's own warnings (which can name a file: "cannot open …/Smith.pdf") go to the developer
    log through its patient-data filter, not to the terminal. Returns the previous handler."""
    import logging

    from PySide6.QtCore import QtMsgType, qInstallMessageHandler

    log = logging.getLogger("clinicrecords.qt")
    levels = {
        QtMsgType.QtDebugMsg: logging.DEBUG,
        QtMsgType.QtInfoMsg: logging.INFO,
        QtMsgType.QtWarningMsg: logging.WARNING,
    }

    def handler(mode, context, message) -> None:  # type: ignore[no-untyped-def]
        log.log(levels.get(mode, logging.ERROR), "%s", message)

    return qInstallMessageHandler(handler)


def run(data_dir: Path) -> int:
    devlog.setup()
    route_qt_messages()
    sys.excepthook = _excepthook
    app = QApplication.instance() or QApplication(sys.argv)
    app.setApplicationName("ClinicRecords")
    app.setOrganizationName("ClinicRecords")
    apply_style(app)
    follow_system_theme(app)
    accessibility.install(app)
    app.setQuitOnLastWindowClosed(False)
    from clinicrecords.ui.gc_guard import UiThreadGarbageCollector

    collector = UiThreadGarbageCollector(app)  # noqa: F841 - lives as long as the app
    from clinicrecords.ui import readiness

    probe = readiness.watch(app) if readiness.requested() else None  # noqa: F841
    controller = AppController(data_dir)
    try:
        if not controller.open_store():
            return 0 if app.property("clinicrecords_ready") else 1
    except ClinicError as exc:
        QMessageBox.critical(None, "ClinicRecords", exc.message)
        return exc.exit_code
    try:
        return app.exec()
    finally:
        controller.close()


def main() -> int:
    args = sys.argv[1:]
    data_dir = (
        Path(args[args.index("--data-dir") + 1]) if "--data-dir" in args else default_data_dir()
    )
    return run(data_dir)
