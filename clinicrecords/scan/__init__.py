"""Paper in: acquisition sources, image cleanup, OCR and filing suggestions."""
