"""Team and content administration: admins only."""

POLICY = {
    "admin_teams.index": "admin",
    "admin_teams.create": "admin",
    "admin_teams.edit": "admin",
    "admin_teams.update": "admin",
    "admin_teams.delete": "admin",
    "admin_content.index": "admin",
    "admin_content.new": "admin",
    "admin_content.edit": "admin",
    "admin_content.download": "admin",
    "admin_content.preview": "admin",
    "admin_content.publish": "admin",
    "admin_content.set_visibility": "admin",
}
