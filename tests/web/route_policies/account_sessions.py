"""The person's own sign-in sessions and the first password after a one-time password."""

POLICY = {
    "account.choose_password": "signed_in",
    "account.end_other_sessions": "signed_in",
    "account.end_session": "owner",
}
