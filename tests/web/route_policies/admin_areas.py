"""Team and content administration: admins only."""

POLICY = {
    "admin.teams.index": "admin",
    "admin.teams.create": "admin",
    "admin.teams.edit": "admin",
    "admin.teams.update": "admin",
    "admin.teams.delete": "admin",
    "admin.teams.add_manager": "admin",
    "admin.teams.remove_manager": "admin",
    "admin.content.index": "admin",
    "admin.content.new": "admin",
    "admin.content.edit": "admin",
    "admin.content.download": "admin",
    "admin.content.preview": "admin",
    "admin.content.publish": "admin",
    "admin.content.set_visibility": "admin",
    "admin.analysis.show": "admin",
    "admin.analysis.export": "admin",
}
