"""Posts to a team's Microsoft Teams or Slack incoming webhook (both accept {"text": ...})."""

from __future__ import annotations

import json
import urllib.request
from urllib.parse import urlsplit


class WebhookRefused(Exception):
    pass


def valid_url(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("https", "http") and bool(parts.netloc)


def post(url: str, text: str, timeout: float = 10) -> None:
    if not valid_url(url):
        raise WebhookRefused(f"not an http(s) address: {url!r}")
    body = json.dumps({"text": text}).encode()
    request = urllib.request.Request(  # noqa: S310  (checked to be http(s) above)
        url, data=body, headers={"Content-Type": "application/json"}, method="POST"
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310  (checked to be http(s) above)
        if response.status >= 300:
            raise WebhookRefused(f"answered {response.status}")
