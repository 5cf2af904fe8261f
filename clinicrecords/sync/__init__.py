"""Clinic network: every workstation a full encrypted replica; one PostgreSQL server that holds
only ciphertext and the clinic's order (DESIGN.md section 8). No Qt here.

How a change travels:
1. A service writes its change and, in the same SQLCipher transaction, its domain event into
   ``sync_outbox`` (``capture.py`` → ``outbox.emit``): UUIDv7 id, Lamport clock, a per-
   workstation counter.
2. ``client.push`` seals each event (``seal.py``: AES-256-GCM, key derived from the master key,
   associated data = clinic, workstation, event id, Lamport clock) and appends it to the
   server's log; the server's sequence number is the clinic's one total order.
3. ``client.pull`` on every PC reads the log after its cursor and applies each event through
   the same projector (``projectors.py``), cursor and data in one transaction. Concurrent
   edits of one field are decided by that order everywhere and listed in ``sync_conflicts``
   (``conflicts.py``) for a person.

Modules: ``address`` (server URL, TLS rule, connect), ``server`` (set-up, attach, join),
``client`` (push/pull/status), ``outbox``/``capture`` (change capture), ``projectors``,
``mrnblocks`` (MRN blocks, provisional MRNs), ``conflicts``, ``seal``, ``ids``, ``events``;
per kind of record a projector module beside its capture in ``events/``: ``accounts``,
``clinic_settings``, ``documents``, ``merges``, ``releases``, ``audit_chain``.
SQL is in ``db/sync_sql.py`` (this PC), ``db/sync_records_sql.py`` (merges, releases, other
PCs' audit chains) and ``db/server_sql.py`` (the server).
"""
