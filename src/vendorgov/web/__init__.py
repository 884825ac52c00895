"""What all pages and API routes share: errors, templates, the home page."""
