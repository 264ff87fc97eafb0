"""The content editor's drafts (structured editor) and version history: admins only."""

POLICY = {
    "admin.content.draft": "admin",
    "admin.content.draft_settings": "admin",
    "admin.content.draft_add_module": "admin",
    "admin.content.draft_module": "admin",
    "admin.content.draft_quiz": "admin",
    "admin.content.draft_lesson": "admin",
    "admin.content.draft_add_lesson": "admin",
    "admin.content.draft_question": "admin",
    "admin.content.draft_add_question": "admin",
    "admin.content.draft_move": "admin",
    "admin.content.draft_remove": "admin",
    "admin.content.draft_discard": "admin",
    "admin.content.draft_preview": "admin",
    "admin.content.draft_yaml": "admin",
    "admin.content.versions_list": "admin",
    "admin.content.compare": "admin",
    "admin.content.version_file": "admin",
    "admin.content.restore": "admin",
}
