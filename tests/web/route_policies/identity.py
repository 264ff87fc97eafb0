"""Single sign-on, the second factor and SCIM provisioning.

The sign-in steps are public (they send a signed-in person on, and a stranger back to the sign-in page); SCIM
answers only its bearer token, whatever the cookie (`scim_token`: 401 for every walking role)."""

POLICY = {
    "sso.start": "public",
    "sso.callback": "public",
    "two_factor.challenge": "public",
    "two_factor.setup_at_sign_in": "public",
    "two_factor.manage": "signed_in",
    "two_factor.begin_setup": "signed_in",
    "two_factor.confirm_setup": "signed_in",
    "two_factor.new_recovery_codes": "signed_in",
    "two_factor.disable": "signed_in",
    "admin.people.reset_two_factor": "admin",
    "scim.dispatch": "scim_token",
}
