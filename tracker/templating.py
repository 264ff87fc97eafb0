"""The app's Jinja environment."""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

from flask.templating import Environment as FlaskEnvironment


class Environment(FlaskEnvironment):
    """Flask's environment, with each template's globals one plain dict.

    Jinja chains a template's globals to the environment's (a ChainMap) and copies them into a new context on every
    render: with the ~70 globals this app has, a copy through the ChainMap costs ~27 µs, from a dict 0.3 µs. The
    ChainMap lets a template see globals added after it was loaded; here every global is set while the app is
    created (`create_app`), before any template loads, so a copy taken at load time holds the same names.
    """

    def make_globals(self, d: MutableMapping[str, Any] | None) -> MutableMapping[str, Any]:
        return {**self.globals, **(d or {})}
