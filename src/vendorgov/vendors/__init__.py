"""The vendor registry (domain rules §2)."""
