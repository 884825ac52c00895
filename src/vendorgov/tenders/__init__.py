"""Tenders: publication, sealed bids, opening, panel evaluation, ranking and award (§3)."""
