"""Month-end: assessment score, grade and payment with traced deductions (domain rules §6-§7)."""
