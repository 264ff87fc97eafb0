"""A person's training record and its actions: admins for anyone, managers for the people of their teams. The owner
of the walked objects is outside the walking manager's teams, so the manager gets 404 and learners 403."""

POLICY = {
    "transcripts.show": "admin",
    "transcripts.download": "admin",
    "transcripts.allow_attempt": "admin",
    "transcripts.reopen": "admin",
    "courses.complete": "signed_in",
}
