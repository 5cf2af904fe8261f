"""Release of information: what may go out, the packet, and the accounting of disclosures.

- `rules`: pure rules (authorizations, sensitive categories, selection, due dates, fees,
  what the HIPAA accounting includes);
- `service`: the request log, selection, packet and sending, each taking a Session;
- `accounting`: the per-patient accounting of disclosures (JSON and PDF);
- `packet`, `pdfstream`, `images`, `letters`: the packet PDF, written page by page.
"""
