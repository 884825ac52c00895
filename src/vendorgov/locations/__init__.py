"""Locations (§8): campus, building, floor, area or room."""
