"""Settings: typed, validated, admin only, audited."""

from __future__ import annotations

import pytest

from clinicrecords.errors import AccessDenied, BadInput
from clinicrecords.settings import get_setting, set_setting


def test_settings_change_is_typed_and_audited(session_for) -> None:
    admin = session_for("admin")
    assert get_setting(admin, "release.due_days") == 30
    assert set_setting(admin, "release.due_days", "45") == 45
    assert get_setting(admin, "release.due_days") == 45
    with pytest.raises(BadInput):
        set_setting(admin, "locale.date_order", "YMD")
    with pytest.raises(BadInput):
        set_setting(admin, "security.idle_minutes", "0")
    with pytest.raises(AccessDenied):
        set_setting(session_for("clerk"), "release.due_days", 10)
    row = (
        admin.db.connection()
        .execute("SELECT detail FROM audit_log WHERE action = 'settings.change'")
        .fetchone()
    )
    assert '"new":45' in row[0] and '"old":30' in row[0]
