"""Satisfaction surveys (§10): versioned questionnaires answered anonymously per ward, their
results, and the satisfaction component of the month-end (§6)."""
