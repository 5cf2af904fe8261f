"""The main window: a place for each of the three jobs, the signed-in user, and the lock."""

from __future__ import annotations

import shiboken6
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QApplication,
    QInputDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QTabWidget,
    QWidget,
)

from clinicrecords.clinic import auth
from clinicrecords.clinic.session import Session
from clinicrecords.clinic.settings import get_setting
from clinicrecords.ui.bus import ChangeBus
from clinicrecords.ui.idle import IdleWatcher
from clinicrecords.ui.plaintext import plain_label
from clinicrecords.ui.style import BASE_POINT_SIZE, apply_style, tone


class MainWindow(QMainWindow):
    signed_out = Signal()

    def __init__(self, session: Session, bus: ChangeBus | None = None) -> None:
        super().__init__()
        self.session = session
        self.bus = bus or ChangeBus(self)
        self.locked = False
        self.setObjectName("mainWindow")
        self.setWindowTitle(f"ClinicRecords: {self._clinic_name()}")
        self.resize(1366, 768)
        self.setMinimumSize(1024, 640)

        from clinicrecords.ui.chart.lookup import ChartLookupPage
        from clinicrecords.ui.index.view import ScanIndexPage
        from clinicrecords.ui.release.view import ReleasePage

        self.tabs = QTabWidget()
        self.tabs.setObjectName("jobTabs")
        self.chart_page = ChartLookupPage(session, self.bus)
        self.tabs.addTab(self.chart_page, "Chart lookup  (F2)")
        self.scan_page = ScanIndexPage(session, self.bus)
        self.tabs.addTab(self.scan_page, "Scan && index  (F3)")
        self.release_page: QWidget | None = None
        if session.can("release.read"):
            self.release_page = ReleasePage(session, self.bus)
            self.tabs.addTab(self.release_page, "Release  (F4)")
        self.setCentralWidget(self.tabs)

        self._build_status_bar()
        self._start_live_sync()
        self._build_menus()
        self._build_shortcuts()

        minutes = get_setting(self.session, "security.idle_minutes")
        self.idle = IdleWatcher(float(minutes), self)
        self.idle.idle.connect(self.lock)
        QApplication.instance().installEventFilter(self.idle)
        from clinicrecords.ui import accessibility

        accessibility.install()
        self.show_chart_lookup()

    # --- chrome ----------------------------------------------------------------------------

    def _clinic_name(self) -> str:
        return str(get_setting(self.session, "clinic.name"))

    def _build_status_bar(self) -> None:
        u = self.session.user
        self.user_label = plain_label(f"Signed in: {u.full_name or u.username} ({u.role})")
        self.user_label.setObjectName("userLabel")
        self.dir_label = plain_label(f"Data: {self.session.store.data_dir}")
        self.dir_label.setObjectName("dataDirLabel")
        self.emergency_label = QLabel("")
        self.emergency_label.setObjectName("emergencyLabel")
        self.emergency_label.setStyleSheet(
            f"background:{tone('alert_bg')};color:{tone('alert_fg')};padding:2px 8px;font-weight:bold;"
        )
        self.emergency_label.hide()
        bar = self.statusBar()
        bar.addWidget(self.user_label)
        bar.addWidget(self.emergency_label)
        bar.addPermanentWidget(self.dir_label)

    def _start_live_sync(self) -> None:
        """A PC on a clinic network syncs in the background while the window is unlocked."""
        from clinicrecords.ui.sync_status import SyncStatus, is_attached

        self.sync_status: SyncStatus | None = None
        if is_attached(self.session):
            self.sync_status = SyncStatus(self.session, self.statusBar())
            self.sync_status.start()

    def _action(
        self, menu, text: str, slot, shortcut: str | QKeySequence | None = None, name: str = ""
    ) -> QAction:
        act = QAction(text, self)
        if shortcut:
            act.setShortcut(QKeySequence(shortcut))
        if name:
            act.setObjectName(name)
        act.triggered.connect(slot)
        menu.addAction(act)
        return act

    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        if self.session.can("backup.run"):
            self._action(file_menu, "&Back up now…", self.backup_now, None, "backupAction")
            self._action(file_menu, "&Verify the store", self.verify_store, None, "verifyAction")
            self._action(
                file_menu, "Print &recovery sheet…", self.recovery_sheet, None, "sheetAction"
            )
            file_menu.addSeparator()
        self._action(
            file_menu, "&Emergency access…", self.emergency_access, None, "emergencyAction"
        )
        self._action(file_menu, "&Lock screen", self.lock, "Ctrl+L", "lockAction")
        self._action(file_menu, "&Sign out", self.sign_out, "Ctrl+Shift+Q", "signOutAction")
        # Explicit keys: QKeySequence.Quit is empty on desktops without a platform theme.
        self._action(file_menu, "&Quit", self.close, "Ctrl+Q", "quitAction")
        view = self.menuBar().addMenu("&View")
        self._action(view, "Larger text", lambda: self.zoom_font(1), "Ctrl++", "zoomInAction")
        self._action(view, "Smaller text", lambda: self.zoom_font(-1), "Ctrl+-", "zoomOutAction")
        if self.session.can("user.manage"):
            # Administration: accounts, settings, the audit trail, emergency-access review. Each
            # screen opens as a window-modal dialog; pressing its key again brings it forward.
            # The status bar says how many emergency accesses wait for review (a link to them).
            from clinicrecords.admin import review as admin_review
            from clinicrecords.ui.admin.audit import AuditDialog
            from clinicrecords.ui.admin.settings import SettingsDialog
            from clinicrecords.ui.admin.users import UsersDialog
            from clinicrecords.ui.workers import run_in_background

            self.admin_dialogs: dict[str, QWidget] = {}
            self.reviews_label = QLabel("")
            self.reviews_label.setObjectName("reviewsLabel")
            self.reviews_label.setStyleSheet(
                f"color:{tone('warn')};font-weight:bold;padding:0 8px;"
            )
            self.reviews_label.hide()
            self.statusBar().addWidget(self.reviews_label)

            def show_review_count(count: int) -> None:
                self.reviews_label.setText(
                    f'<a href="review">{count} emergency access{"es" if count != 1 else ""} '
                    "to review</a>"
                )
                self.reviews_label.setVisible(count > 0)

            def refresh_review_count() -> None:
                if self.session.can("audit.read"):
                    run_in_background(
                        admin_review.pending_count,
                        self.session,
                        on_done=show_review_count,
                        context=self.reviews_label,
                    )

            def open_dialog(name: str, factory, on_new=None) -> QWidget | None:  # type: ignore[no-untyped-def]
                dlg = self.admin_dialogs.get(name)
                if dlg is not None and dlg.isVisible():
                    dlg.raise_()
                    dlg.activateWindow()
                    return dlg
                from clinicrecords.common.errors import ClinicError

                try:
                    dlg = factory(self.session, self)
                except ClinicError as exc:
                    QMessageBox.warning(self, "Administration", exc.message)
                    return None
                dlg.setAttribute(Qt.WA_DeleteOnClose)
                self.idle.idle.connect(dlg.reject)  # the idle lock must not leave it on screen
                dlg.finished.connect(lambda _r: self.admin_dialogs.pop(name, None))
                dlg.finished.connect(lambda _r: refresh_review_count())
                if on_new is not None:
                    on_new(dlg)
                self.admin_dialogs[name] = dlg
                dlg.open()
                return dlg

            def settings_saved(changed: dict) -> None:
                if "clinic.name" in changed:
                    self.setWindowTitle(f"ClinicRecords: {changed['clinic.name']}")
                if "security.idle_minutes" in changed:
                    self.idle.set_minutes(float(changed["security.idle_minutes"]))

            def open_audit(reviews: bool = False) -> None:
                dlg = open_dialog(
                    "audit",
                    AuditDialog,
                    lambda d: d.reviews_changed.connect(show_review_count),
                )
                if dlg is not None and reviews:
                    dlg.show_reviews()

            # F-keys, like the job tabs' F2-F4. F10 is left alone: several desktops open the
            # menu bar with it.
            # Alt+I: the release pages already use Alt+A.
            menu = self.menuBar().addMenu("Adm&inistration")
            menu.setObjectName("adminMenu")
            self._action(
                menu, "&Users and passwords…", lambda: open_dialog("users", UsersDialog), "F9",
                "usersAction",
            )  # fmt: skip
            self._action(
                menu,
                "Clinic &settings…",
                lambda: open_dialog(
                    "settings", SettingsDialog, lambda d: d.saved.connect(settings_saved)
                ),
                "F11",
                "settingsAction",
            )
            self._action(menu, "&Audit trail…", lambda: open_audit(False), "F12", "auditAction")
            self._action(
                menu, "&Emergency access review…", lambda: open_audit(True), "Shift+F12",
                "reviewAction",
            )  # fmt: skip
            from clinicrecords.ui.admin.retention import RetentionDialog

            self._action(
                menu, "&Retention and disposal…", lambda: open_dialog("retention", RetentionDialog),
                "Ctrl+Shift+F11", "retentionAction",
            )  # fmt: skip
            self.reviews_label.linkActivated.connect(lambda _link: open_audit(True))
            if self.session.can("disclosure.review"):
                from clinicrecords.ui.admin.disclosures import DisclosureReviewDialog

                self._action(
                    menu, "Possible wrong-party &disclosures…",
                    lambda: open_dialog("disclosures", DisclosureReviewDialog), "Ctrl+F11",
                    "disclosuresAction",
                )  # fmt: skip
            if self.sync_status is not None and self.session.can("patient.merge"):
                from clinicrecords.ui.admin.conflicts import ConflictsDialog

                self._action(
                    menu, "Sync &conflicts…", lambda: open_dialog("conflicts", ConflictsDialog),
                    "Shift+F9", "conflictsAction",
                )  # fmt: skip
            refresh_review_count()
            self._build_backup_health(menu)
        help_menu = self.menuBar().addMenu("&Help")
        self._action(help_menu, "&Keyboard shortcuts", self.show_shortcuts, "F1", "shortcutsAction")
        self._action(help_menu, "&About ClinicRecords…", self.show_about, "Ctrl+F1", "aboutAction")

    def _build_backup_health(self, menu) -> None:  # type: ignore[no-untyped-def]
        """Administrators hear, in the status bar, when the last good backup is over 26 hours
        old or the last restore drill over 30 days (or never ran); Administration ▸ Backup
        status opens the details."""
        from clinicrecords.ui.admin.operations import BackupHealthLabel

        self.backup_health = BackupHealthLabel(self.session.store)
        self.backup_health.open_status.connect(self.show_about)
        self.statusBar().addWidget(self.backup_health)
        self._action(
            menu, "&Backup status and drills…", self.show_about, "Shift+F11", "backupStatusAction"
        )
        self.backup_health.refresh()

    def show_about(self) -> None:
        from clinicrecords.ui.admin.operations import StatusDialog

        dlg = StatusDialog(self.session.store, self)
        dlg.setAttribute(Qt.WA_DeleteOnClose)
        dlg.setWindowModality(Qt.WindowModal)
        self.about_dialog = dlg
        dlg.show()

    def _build_shortcuts(self) -> None:
        for keys, slot in (
            ("F2", self.show_chart_lookup),
            ("Ctrl+F", self.show_chart_lookup),
            ("F3", self.show_scan),
            ("F4", self.show_release),
        ):
            sc = QShortcut(QKeySequence(keys), self)
            sc.setContext(Qt.ApplicationShortcut)
            sc.activated.connect(slot)

    # --- navigation ------------------------------------------------------------------------

    def show_chart_lookup(self) -> None:
        self.tabs.setCurrentWidget(self.chart_page)
        self.chart_page.focus_default()

    def show_scan(self) -> None:
        self.tabs.setCurrentWidget(self.scan_page)
        self.scan_page.focus_default()

    def show_release(self) -> None:
        if self.release_page is not None:
            self.tabs.setCurrentWidget(self.release_page)
            self.release_page.focus_default()

    def zoom_font(self, step: int) -> None:
        self.font_pt = max(8.0, min(24.0, getattr(self, "font_pt", BASE_POINT_SIZE) + step))
        app = QApplication.instance()
        font = app.font()
        font.setPointSizeF(self.font_pt)
        app.setFont(font)
        apply_style(app, self.font_pt)

    def show_shortcuts(self) -> None:
        import html

        box = QMessageBox(QMessageBox.Information, "Keyboard shortcuts", "", QMessageBox.Ok, self)
        box.setObjectName("shortcutsBox")
        box.setTextFormat(Qt.RichText)
        box.setText(f"<pre>{html.escape(SHORTCUTS_HELP)}</pre>")
        box.exec()

    # --- security --------------------------------------------------------------------------

    def lock(self) -> None:
        """Hide everything and ask the same user's password; Cancel signs out."""
        if self.locked:
            return
        from clinicrecords.ui.dialogs import LoginDialog

        self.locked = True
        self.idle.pause()
        if self.sync_status is not None:
            self.sync_status.stop()
        self.session.audit("session.lock", "user", self.session.user.id)
        self.centralWidget().setVisible(False)
        # Every other window (a registration form, a merge, a print preview) may show a
        # patient: hide them too, and bring them back as they were once unlocked.
        self._hidden_windows = [
            w for w in QApplication.topLevelWidgets()
            if w is not self and w.isVisible() and w.isWindow() and not w.inherits("QMenu")
        ]  # fmt: skip
        for w in self._hidden_windows:
            w.hide()
        dlg = LoginDialog(self.session.store, self, self.session.user.username, locked=True)
        dlg.setObjectName("lockDialog")
        self.lock_dialog = dlg
        dlg.finished.connect(self._lock_finished)
        dlg.open()

    def _lock_finished(self, result: int) -> None:
        dlg = self.lock_dialog
        self.lock_dialog = None
        if result and dlg.session is not None:
            self.locked = False
            self.centralWidget().setVisible(True)
            for w in getattr(self, "_hidden_windows", []):
                if shiboken6.isValid(w):
                    w.show()
            self._hidden_windows = []
            self.session.audit("session.unlock", "user", self.session.user.id)
            self.idle.resume()
            if self.sync_status is not None:
                self.sync_status.start()
        else:
            self.sign_out()

    def sign_out(self) -> None:
        self._end_session()
        self._signing_out = True
        self.close()
        self.signed_out.emit()

    def _end_session(self) -> None:
        if getattr(self, "_ended", False):
            return
        self._ended = True
        if self.sync_status is not None:  # a round in progress ends before the store closes
            self.sync_status.stop(wait=5.0)
        QApplication.instance().removeEventFilter(self.idle)
        self.idle.pause()
        auth.logout(self.session)

    def closeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        """Closing the window signs the user out; unless switching users, the program ends."""
        self._end_session()
        super().closeEvent(event)
        if not getattr(self, "_signing_out", False):
            QApplication.instance().quit()

    def emergency_access(self) -> None:
        reason, ok = QInputDialog.getText(
            self,
            "Emergency access",
            "Emergency access lets you read records your role normally cannot.\nEvery step is "
            "recorded and reviewed by the administrator. Why do you need it?",
        )
        if ok and reason.strip():
            from clinicrecords.common.errors import ClinicError

            try:
                self.session.break_glass(reason)
            except ClinicError as exc:
                QMessageBox.warning(self, "Emergency access", exc.message)
                return
            self.emergency_label.setText("EMERGENCY ACCESS: every action is being recorded")
            self.emergency_label.show()

    def backup_now(self) -> None:
        from PySide6.QtWidgets import QFileDialog

        from clinicrecords.admin.backup import backup
        from clinicrecords.ui.workers import run_in_background

        folder = QFileDialog.getExistingDirectory(
            self, "Back up into (an empty folder or an earlier backup)"
        )
        if not folder:
            return
        self.statusBar().showMessage("Backing up…")

        def done(r) -> None:  # type: ignore[no-untyped-def]
            self.statusBar().showMessage(
                f"Backup done: {r.pages_total} stored objects ({r.pages_copied} new).", 10000
            )
            if r.warnings:
                QMessageBox.warning(self, "Backup", "\n\n".join(r.warnings))
            if getattr(self, "backup_health", None) is not None:
                self.backup_health.refresh()

        run_in_background(
            backup, self.session, folder, on_done=done, context=self,
            on_error=lambda m: QMessageBox.warning(self, "Backup", m),
        )  # fmt: skip

    def verify_store(self) -> None:
        from clinicrecords.admin.backup import verify
        from clinicrecords.ui.workers import run_in_background

        self.statusBar().showMessage("Verifying every stored page…")

        def done(report) -> None:  # type: ignore[no-untyped-def]
            text = (
                f"Checked {report.checked_pages} stored objects and {report.audit_rows} audit "
                "rows.\n\n" + ("All good." if report.ok else "\n".join(report.problems))
            )
            self.statusBar().clearMessage()
            QMessageBox.information(self, "Verify", text)

        run_in_background(
            verify,
            self.session,
            on_done=done,
            on_error=lambda m: QMessageBox.warning(self, "Verify", m),
            context=self,
        )

    def recovery_sheet(self) -> None:
        """Print the recovery sheet straight from memory: the master key is written to no file
        (a PDF file only if the person picks "print to file" in the print dialog)."""
        from clinicrecords.admin.recovery_sheet import recovery_sheet_pdf
        from clinicrecords.ui.printing import ask_printer, render_pdf_to_printer

        self.session.require("settings.edit")
        printer = ask_printer(self, "Print the recovery sheet", "ClinicRecords recovery sheet")
        if printer is None:
            return
        store = self.session.store
        pdf = recovery_sheet_pdf(self._clinic_name(), store.store_id, store.recovery_key())
        render_pdf_to_printer(pdf, printer)
        self.session.audit("key.recovery_sheet", "store", store.store_id)


SHORTCUTS_HELP = """\
Everywhere
  F2 or Ctrl+F      Chart lookup: search box (Esc from a chart, too)
  F3 / F4           Scan & index / Release of information
  Ctrl+L            Lock the screen      Ctrl+Shift+Q  Sign out
  Ctrl++ / Ctrl+-   Larger / smaller text          F1  This list
  Ctrl+F1           About: version, data folder, last backup and restore drill
Administration (administrators)
  F9                Users: Ctrl+N new account, Alt+D (de)activate, Alt+R new password
  F11               Clinic settings (Ctrl+S saves)
  Shift+F11         Backup status and restore drills
  F12 / Shift+F12   Audit trail (Alt+V verify the chain) / Emergency access review (Alt+M)
  Shift+F9          Sync conflicts (clinic network): Alt+S / Alt+T keep server's / this PC's
  Ctrl+F11          Possible wrong-party disclosures: Alt+O outcome, Alt+L letter
  Ctrl+Shift+F11    Retention and disposal: Alt+P set a period, Ctrl+Shift+D destroy what is due
Chart lookup
  Down, Enter       Pick a result, open the chart      Ctrl+N  New patient
Chart
  Enter             Open the selected document         Alt+D   Document list
  PageDown/Space/→  Next page (into the next document) PageUp/Backspace/←  Previous
  Home / End        First / last page    + / −  Zoom    W  Fit width    F  Fit page
  R / Shift+R       Rotate (view only)   Ctrl+Shift+F  Find in the chart's text
  Ctrl+M            Merge with another chart           Ctrl+Shift+P  Print cover sheets
  Ctrl+Shift+M      Move the document to another chart Ctrl+E  Correct type, date, author
  Ctrl+Del          Void the document (kept)  Ctrl+Shift+O  Corrections: old values, undo
  Ctrl+Shift+H / L  Place / release a legal hold       Ctrl+Shift+A  Log an amendment request
  Ctrl+Shift+Y / N  Accept / deny it  Ctrl+Shift+E  Extend  Ctrl+Shift+G  Patient's statement
Scan & index
  Ctrl+O            Import files         Ctrl+Shift+S  Scan    Ctrl+Shift+W  Watch a folder
  Enter             Accept the suggestion and file     Tab  Next field
  Ctrl+↓ / Ctrl+↑   Next / previous page  PgDn / PgUp  Next / previous document
  Ctrl+B / Ctrl+M   Split here / join with the previous document
  Ctrl+R / Ctrl+Shift+R  Turn the page   Ctrl+Del  Set aside   F8  Next page to review
  Ctrl+Z            Undo the last filing (its pages go back to the batch)
Release of information
  Ctrl+N            New request (Ctrl+Enter logs it)   Ctrl+G or Esc  Back to the log
  Alt+1 … Alt+5     Pages, Authorization, Fees, Packet, Accounting    F5  Refresh
  Space             Tick / untick a page  Ctrl+Shift+A  Apply dates and types
  Ctrl+Shift+R      Record the authorization           Ctrl+B  Build the packet
  Ctrl+S / Ctrl+P   Save the packet / print it         Ctrl+Enter  Send
  Ctrl+D / Ctrl+Shift+D  Deny / cancel the request     Ctrl+Shift+S  Accounting as PDF"""
