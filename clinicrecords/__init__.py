"""ClinicRecords: an offline, encrypted records desk for small clinics."""

__version__ = "0.1.0"
