"""The organisation: people, teams and the assignments that reach them."""
