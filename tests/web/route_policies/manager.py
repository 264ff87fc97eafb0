"""Manager pages and API. The walking manager manages a team other than the owner's: the owner's team's
assignment and matrix must stay out of reach (404), while their own scope works."""

POLICY = {
    "manager.dashboard": "manager_or_admin",
    "manager.export_csv": "manager_or_admin",
    "manager.export_xlsx": "manager_or_admin",
    "manager.assignment_list": "manager_or_admin",
    "manager.create_assignment": "manager_or_admin",
    "manager.delete_assignment": "admin",
    "api.manage.team_list": "manager_or_admin",
    "api.manage.team_matrix": "admin",
    "api.manage.assignment_list": "manager_or_admin",
    "api.manage.create_assignment": "manager_or_admin",
    "api.manage.delete_assignment": "admin",
}
