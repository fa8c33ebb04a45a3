"""Applicant records and reference data: read, refused with a place when bad, validated against the schemas."""
