"""Inspections: checklist templates, inspections and their scores (domain rules §5)."""
