"""People administration: every route is for admins only."""

POLICY = {
    "admin.people.index": "admin",
    "admin.people.create": "admin",
    "admin.people.edit": "admin",
    "admin.people.deactivate": "admin",
    "admin.people.reactivate": "admin",
    "admin.people.reset_password": "admin",
    "admin.people.import_upload": "admin",
    "admin.people.import_confirm": "admin",
    "admin.people.approve_name": "admin",
    "admin.people.reject_name": "admin",
}
