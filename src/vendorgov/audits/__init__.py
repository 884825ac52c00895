"""Findings, rectification notices and third-party audits (domain rules §5, §6)."""
