"""People administration: every route is for admins only."""

POLICY = {
    "admin_people.index": "admin",
    "admin_people.create": "admin",
    "admin_people.edit": "admin",
    "admin_people.deactivate": "admin",
    "admin_people.reactivate": "admin",
    "admin_people.reset_password": "admin",
    "admin_people.import_upload": "admin",
    "admin_people.import_confirm": "admin",
}
