"""release: see DEVELOPERS.md for what this package holds."""
