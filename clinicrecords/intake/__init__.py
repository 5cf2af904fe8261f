"""Paper in: import files into a batch, read them into pages with suggestions, file documents.

Intake (DESIGN.md, "Scan-and-index"), one module per concern:

- ``importing``: files into the store, committed before anything else happens.
- ``pipeline``: what is done to one page, as steps with one job each (read, clean, encode,
  header OCR, suggestions, full text); the batch runner and ``suggest`` run the same steps.
- ``cover_sheets``: a cover sheet printed by the program, recognised by its barcode.
- ``batches``: the batch runner: every page of a batch through the pipeline on the program's
  one OCR executor; resumable, state per page in the database.
- ``grouping``: pages into documents (a cover sheet or a confident change of patient starts
  one), the same for the index screen and the command line.
- ``review``, ``page_ops``: what the clerk looks at and does to pages before filing.
- ``filing``: reviewed pages become a document in a chart; the classifier learns from it.
- ``suggest``: suggestions for one file, with the store unchanged (the CLI's ``suggest``).
- ``codec``, ``classifier``: the JSON kept per page; the clinic's learned type classifier.

The review queue is the pages without a confident patient (status ``review``); nothing is
filed without the clerk. Nothing here logs names, identifiers or OCR text.
"""
