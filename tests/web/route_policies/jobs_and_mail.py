"""Background jobs, messages, invitations and password links, reminders and bulk actions."""

POLICY = {
    "password_links.forgot": "public",
    "password_links.choose": "public",  # the walk's link is not valid: 410 for everybody
    "notification_settings.preferences": "signed_in",
    "notification_settings.unsubscribe": "public",
    "jobs.show": "owner",
    "jobs.download": "owner",
    "manager.prepare_export": "manager_or_admin",
    "certificates.prepare_team_zip": "manager_or_admin",
    "admin.jobs.index": "admin",
    "admin.jobs.retry": "admin",
    "admin.jobs.outbox": "admin",
    "admin.jobs.message": "admin",
    "admin.people.bulk": "admin",
    "admin.people.send_invitations": "admin",
    "admin.people.invite": "admin",
}
