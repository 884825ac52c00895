"""Background jobs: their state in the database, run by a SAQ worker (Redis) or in-process."""
