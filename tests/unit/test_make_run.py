"""`make run PORT=...`: the public address printed in certificates and mails follows the port unless it is set."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")


def _dry_run(*args: str, env_url: str | None = None) -> str:
    env = {k: v for k, v in os.environ.items() if k != "PUBLIC_BASE_URL"}
    if env_url is not None:
        env["PUBLIC_BASE_URL"] = env_url
    # -n prints the commands without running them; -B so that nothing is taken as up to date either way.
    done = subprocess.run(["make", "-n", "-B", "run", *args], cwd=ROOT, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout


def _app_commands(output: str) -> list[str]:
    return [line for line in output.splitlines() if "--app tracker" in line]


def test_another_port_moves_the_public_address_with_it():
    commands = _app_commands(_dry_run("PORT=5101"))
    assert commands  # db upgrade, backfill, seed, demo data, the worker and the server
    assert all("PUBLIC_BASE_URL=http://127.0.0.1:5101 " in line for line in commands)
    assert any("--port 5101" in line for line in commands)


def test_the_default_port_and_host():
    commands = _app_commands(_dry_run("HOST=0.0.0.0"))
    assert all("PUBLIC_BASE_URL=http://0.0.0.0:5000 " in line for line in commands)


def test_a_public_address_set_in_the_environment_or_on_the_command_line_wins():
    from_env = _app_commands(_dry_run("PORT=5101", env_url="https://training.example.com"))
    assert all("PUBLIC_BASE_URL=https://training.example.com " in line for line in from_env)
    on_line = _app_commands(_dry_run("PORT=5101", "PUBLIC_BASE_URL=https://t.example.org"))
    assert all("PUBLIC_BASE_URL=https://t.example.org " in line for line in on_line)
