"""Uploaded files, stored by content hash under the data dir and served only after a check."""
