"""Chart lookup: query parsing, nicknames, DOB forms, the in-memory index and its ranking.

Callers use `PatientIndex` and `SearchHit`; the other modules are its parts.
"""

from .index import PatientIndex, SearchHit

__all__ = ["PatientIndex", "SearchHit"]
