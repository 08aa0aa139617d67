"""The behaviour that real servers call for, seen through the official Python SDK over stdio:
names the filter grammar would misread, client ids in lists, scope-hidden tools that say why,
least-privilege tokens, and an audit record of every write with its outcome."""

import json
import urllib.request
import uuid

import pytest
from mcp import Client, StdioServerParameters

pytestmark = pytest.mark.anyio


def server(binary, env, *args):
    return Client(StdioServerParameters(command=binary, args=list(args), env=env))


def structured(result):
    assert not result.is_error, result.content[0].text
    return result.structured_content


def control(sandbox, path, body=None):
    base = sandbox["BASE_URL"].split("/t/")[0]
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(base + path, data=data, headers={"content-type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read() or b"null")


async def test_names_with_filter_words_are_found_exactly(binary, server_env):
    suffix = uuid.uuid4().hex[:6]
    names = [f"Research and Development {suffix}", f"Research {suffix}", f"R&D {suffix}", f'Say "hi" {suffix}']
    async with server(binary, server_env) as client:
        ids = {}
        for name in names:
            ids[name] = structured(await client.call_tool("create_m2m_app", {"application_name": name}))["id"]
        for name in names:
            found = structured(await client.call_tool("get_application_by_name", {"application_name": name}))
            assert found["id"] == ids[name] and found["name"] == name
        page = structured(await client.call_tool("list_applications", {"name_contains": suffix}))
        assert all(app.get("client_id") for app in page["applications"]), page


async def test_a_scope_hidden_tool_says_which_scope_to_grant(binary, server_env, sandbox):
    client_creds = control(sandbox, "/sandbox/clients", {"scopes": ["internal_application_mgt_view"]})
    env = dict(server_env, CLIENT_ID=client_creds["client_id"], CLIENT_SECRET=client_creds["client_secret"])
    async with server(binary, env) as client:
        names = {t.name for t in (await client.list_tools()).tools}
        assert "list_applications" in names and "create_user" not in names
        result = await client.call_tool("create_user", {"username": "x", "email": "x@example.com", "first_name": "a", "last_name": "b"})
    assert result.is_error
    assert "internal_user_mgt_create" in result.content[0].text
    assert "--keep-unauthorized-tools" in result.content[0].text


async def test_a_read_only_server_asks_for_view_scopes_only(binary, server_env, sandbox):
    async with server(binary, server_env, "--read-only") as client:
        structured(await client.call_tool("list_applications", {}))
    requested = control(sandbox, "/sandbox/stats")["last_requested_scopes"]
    assert requested and all(scope.endswith(("_view", "_list")) for scope in requested), requested


async def test_every_write_is_audited_with_its_outcome(binary, server_env, tmp_path):
    audit = tmp_path / "audit.jsonl"
    async with server(binary, server_env, "--audit-log", str(audit)) as client:
        created = structured(await client.call_tool("create_m2m_app", {"application_name": f"Audited {uuid.uuid4().hex[:6]}"}))
        failed = await client.call_tool("create_m2m_app", {"application_name": created["name"]})
        assert failed.is_error
        refused = await client.call_tool("create_single_page_app", {"application_name": "x", "redirect_url": "http://evil.example.com/cb"})
        assert refused.is_error
    records = [json.loads(line) for line in audit.read_text().splitlines()]
    assert [r["outcome"] for r in records] == ["ok", "failed", "none"]
    assert records[0]["created"] == [created["id"]]
    assert records[1]["status"] == 409
    assert created["client_secret"] not in audit.read_text()
