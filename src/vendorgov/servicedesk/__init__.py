"""The one-stop service centre (§9): service requests filed by wards and the hotline, routed to
a contract, handled by the vendor's staff, rated by the requester, escalated by the scheduler."""
