"""Contracts: versions with SLA clauses, assessment scheme, bands, penalties (domain §4–§7)."""
