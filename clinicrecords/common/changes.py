"""Change notices: after an action, *what* changed, so each screen decides whether to refresh.

Screens never poke each other; they listen for these (through the UI's change bus).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Changes:
    patients: frozenset[int] = field(default_factory=frozenset)
    documents: frozenset[int] = field(default_factory=frozenset)
    batches: frozenset[int] = field(default_factory=frozenset)
    requests: frozenset[str] = field(default_factory=frozenset)
    settings: bool = False

    @staticmethod
    def patient(*ids: int) -> Changes:
        return Changes(patients=frozenset(ids))
