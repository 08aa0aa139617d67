"""Fixtures: the release binary, a standalone sandbox it talks to, and MCP sessions over stdio."""

import contextlib
import os
import socket
import subprocess
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def anyio_backend():
    return "asyncio"


@pytest.fixture(scope="session")
def binary() -> str:
    path = Path(os.environ.get("ASGARDEO_MCP_BIN", ROOT / "target" / "release" / "asgardeo-mcp"))
    if not path.exists():
        pytest.fail(f"{path} does not exist: build it with `cargo build --release`")
    return str(path)


def free_port() -> int:
    with contextlib.closing(socket.socket()) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def sandbox(binary):
    """A standalone sandbox; yields its BASE_URL, CLIENT_ID and CLIENT_SECRET."""
    port = free_port()
    proc = subprocess.Popen(
        [binary, "sandbox", "--port", str(port), "--login-flow-ms", "600"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    settings = {}
    deadline = time.monotonic() + 30
    while len(settings) < 3 and time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        key, _, value = line.strip().partition("=")
        if key in ("BASE_URL", "CLIENT_ID", "CLIENT_SECRET"):
            settings[key] = value
    if len(settings) < 3:
        proc.kill()
        pytest.fail("the sandbox did not print its settings")
    yield settings
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture
def server_env(sandbox):
    """The environment a host would give the server: the reference's variables."""
    env = {k: v for k, v in os.environ.items() if k not in ("BASE_URL", "CLIENT_ID", "CLIENT_SECRET")}
    env.update(sandbox)
    return env
