"""SLA measurement: service events and surveys in, clause results per month out (§5, §6)."""
