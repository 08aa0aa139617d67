"""Remote mode with the sandbox as the authorization server, driven by the Python SDK's own OAuth
client: it meets the 401, discovers the protected resource metadata and the sandbox's OpenID
configuration, runs authorization code + PKCE (the login form is submitted here, as a person
would), and calls tools with the token. An administrator sees every tool; a reader sees only
tools that change nothing and is refused a write with the scope named."""

import json
import re
import subprocess
import time
import urllib.parse

import httpx2
import pytest
from mcp import ClientSession
from mcp.client.auth import OAuthClientProvider
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client
from mcp.shared.auth import AuthorizationCodeResult, OAuthClientInformationFull, OAuthClientMetadata, OAuthToken

from conftest import free_port

pytestmark = pytest.mark.anyio

REDIRECT = "http://127.0.0.1:33418/callback"
READER = ("reader@sandbox.test", "Reader-Pass-1")
ADMIN = ("admin@sandbox.test", "Sandbox-Admin-1")


def run(binary, env, *args):
    done = subprocess.run([binary, *args], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


@pytest.fixture(scope="module")
def remote(binary, sandbox):
    """`setup-remote` against the sandbox, a reader user, then `serve --http` protected by it."""
    import os

    env = {k: v for k, v in os.environ.items() if k not in ("BASE_URL", "CLIENT_ID", "CLIENT_SECRET")}
    env.update(sandbox)
    port = free_port()
    audience = f"http://127.0.0.1:{port}/mcp"
    run(binary, env, "call", "create_user", "--json", json.dumps(
        {"username": READER[0], "email": READER[0], "first_name": "Read", "last_name": "Only",
         "password": READER[1]}))
    report = json.loads(run(binary, env, "setup-remote", "--json", "--audience", audience,
                            "--redirect-url", REDIRECT, "--admin-user", ADMIN[0], "--reader-user", READER[0]))
    server = subprocess.Popen(
        [binary, "serve", "--http", "--port", str(port), "--allowed-clients", report["client_id"]], env=env,
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )
    line = server.stdout.readline()
    assert "listening on" in line, line
    yield {"url": audience, "client_id": report["client_id"], "report": report, "sandbox": sandbox}
    server.terminate()
    server.wait(timeout=30)


class Memory:
    """Token storage holding the pre-registered client (so no dynamic registration is needed)."""

    def __init__(self, client_id):
        self.tokens = None
        self.client = OAuthClientInformationFull(
            client_id=client_id, redirect_uris=[REDIRECT], token_endpoint_auth_method="none",
            grant_types=["authorization_code", "refresh_token"],
        )

    async def get_tokens(self):
        return self.tokens

    async def set_tokens(self, tokens: OAuthToken):
        self.tokens = tokens

    async def get_client_info(self):
        return self.client

    async def set_client_info(self, info):
        self.client = info


def person(username, password):
    """The browser half: open the authorization URL, fill the login form, follow to the callback."""
    redirected = {}

    async def redirect_handler(url: str):
        assert "code_challenge=" in url and "code_challenge_method=S256" in url
        redirected["authorize"] = url
        async with httpx2.AsyncClient(follow_redirects=False) as browser:
            page = await browser.get(url)
            assert page.status_code == 200, page.text
            key = re.search(r'name="sessionDataKey" value="([^"]+)"', page.text).group(1)
            action = re.search(r'<form[^>]*action="([^"]+)"', page.text).group(1)
            back = await browser.post(
                urllib.parse.urljoin(url, action),
                data={"sessionDataKey": key, "username": username, "password": password},
            )
            assert back.status_code == 302, back.text
            redirected["callback"] = back.headers["location"]

    async def callback_handler():
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(redirected["callback"]).query)
        assert redirected["callback"].startswith(REDIRECT), redirected["callback"]
        return AuthorizationCodeResult(code=query["code"][0], state=query.get("state", [None])[0])

    return redirect_handler, callback_handler, redirected


async def signed_in_session(remote, username, password):
    storage = Memory(remote["client_id"])
    redirect_handler, callback_handler, seen = person(username, password)
    auth = OAuthClientProvider(
        server_url=remote["url"],
        client_metadata=OAuthClientMetadata(redirect_uris=[REDIRECT], token_endpoint_auth_method="none",
                                            client_name="pytest"),
        storage=storage,
        redirect_handler=redirect_handler,
        callback_handler=callback_handler,
    )
    return create_mcp_http_client(auth=auth), storage, seen


async def tools_of(remote, username, password):
    http, storage, seen = await signed_in_session(remote, username, password)
    async with http, streamable_http_client(remote["url"], http_client=http) as (read, write, *_):
        async with ClientSession(read, write) as session:
            await session.initialize()
            tools = {t.name for t in (await session.list_tools()).tools}
            listed = await session.call_tool("list_applications", {})
            write_attempt = await session.call_tool(
                "create_single_page_app",
                {"application_name": f"Remote {username}", "redirect_url": "https://remote.example.com/cb"},
            )
    return tools, listed, write_attempt, storage, seen


async def test_an_administrator_signs_in_with_the_sdk_and_uses_every_tool(remote):
    tools, listed, created, storage, seen = await tools_of(remote, *ADMIN)
    # The SDK found the sandbox through the metadata and asked for the server's scopes.
    assert seen["authorize"].startswith(remote["sandbox"]["BASE_URL"] + "/oauth2/authorize")
    assert "mcp%3Aapplications%3Awrite" in seen["authorize"]
    assert "mcp:applications:write" in storage.tokens.scope.split()
    assert {"create_single_page_app", "delete_application", "list_applications"} <= tools
    assert len(tools) >= 40
    assert not listed.is_error, listed.content[0].text
    assert not created.is_error, created.content[0].text


async def test_a_reader_sees_only_read_tools_and_is_refused_a_write(remote):
    tools, listed, refused, storage, _ = await tools_of(remote, *READER)
    granted = set(storage.tokens.scope.split())
    assert "mcp:applications:read" in granted and "mcp:applications:write" not in granted
    assert "list_applications" in tools and "get_application_by_name" in tools
    assert not {"create_single_page_app", "delete_application", "create_user"} & tools
    assert not listed.is_error, listed.content[0].text
    assert refused.is_error
    assert "mcp:applications:write" in refused.content[0].text


async def test_without_a_token_the_server_points_to_its_metadata(remote):
    async with httpx2.AsyncClient() as http:
        answer = await http.post(remote["url"], json={"jsonrpc": "2.0", "id": 1, "method": "ping"},
                                 headers={"accept": "application/json, text/event-stream"})
        assert answer.status_code == 401
        challenge = answer.headers["www-authenticate"]
        metadata_url = re.search(r'resource_metadata="([^"]+)"', challenge).group(1)
        metadata = (await http.get(metadata_url)).json()
    assert metadata["resource"] == remote["url"]
    assert metadata["authorization_servers"] == [remote["sandbox"]["BASE_URL"] + "/oauth2/token"]
    assert set(remote["report"]["scopes"]) == set(metadata["scopes_supported"])


def test_doctor_checks_the_deployment_as_a_client_meets_it(binary, remote):
    import os

    env = {k: v for k, v in os.environ.items() if k not in ("BASE_URL", "CLIENT_ID", "CLIENT_SECRET")}
    env.update(remote["sandbox"])
    env["ASGARDEO_MCP_ALLOWED_CLIENTS"] = remote["client_id"]
    report = json.loads(run(binary, env, "doctor", "--http", remote["url"], "--json"))
    assert report["ok"], report
    statuses = {c["name"]: c["status"] for c in report["checks"]}
    assert statuses == {"challenge": "ok", "metadata": "ok", "authorization server": "ok",
                        "signing keys": "ok", "readiness": "ok", "registration": "ok",
                        "trusted clients": "ok"}, statuses
    # A client the organization never authorized for the server fails the check, and says so.
    env["ASGARDEO_MCP_ALLOWED_CLIENTS"] = "not-a-registered-client"
    done = subprocess.run([binary, "doctor", "--http", remote["url"], "--json"],
                          env=env, capture_output=True, text=True, timeout=60)
    trusted = next(c for c in json.loads(done.stdout)["checks"] if c["name"] == "trusted clients")
    assert trusted["status"] == "fail" and "not authorized" in trusted["detail"], trusted
    del env["ASGARDEO_MCP_ALLOWED_CLIENTS"]

    # An unprotected server is a failure, and says why.
    port = free_port()
    open_server = subprocess.Popen([binary, "--sandbox", "serve", "--http", "--no-auth", "--port", str(port)],
                                   stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert "listening on" in open_server.stdout.readline()
        done = subprocess.run([binary, "doctor", "--http", f"http://127.0.0.1:{port}/mcp", "--json"],
                              env=env, capture_output=True, text=True, timeout=60)
        assert done.returncode == 1
        report = json.loads(done.stdout)
        challenge = next(c for c in report["checks"] if c["name"] == "challenge")
        assert challenge["status"] == "fail" and "not protected" in challenge["detail"]
    finally:
        open_server.terminate()
        open_server.wait(timeout=30)
