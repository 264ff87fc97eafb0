"""Messages: what a message says (`Content`), its two parts rendered from `templates/mail/`, and SMTP delivery."""
