"""The desktop program: PySide6 views and item models over the service layer."""
