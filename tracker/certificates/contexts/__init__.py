"""JSON-LD contexts the credentials name, kept in the package: nothing is ever fetched from the network.

`CONTEXTS` maps each context URL to its vendored file; `load(url)` returns the parsed document.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources

CONTEXTS = {
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json": "ob-v3p0-context-3.0.3.json",
}


@cache
def load(url: str) -> dict:
    name = CONTEXTS.get(url)
    if name is None:
        raise KeyError(f"no vendored JSON-LD context for {url}")
    return json.loads(resources.files(__name__).joinpath(name).read_text(encoding="utf-8"))
