"""The binary's command line: environment-only read-only mode, `call`, `doctor`, and the
standalone sandbox's fault flags."""

import json
import subprocess
import urllib.error
import urllib.request

import pytest
from mcp import Client, StdioServerParameters

from conftest import free_port


def run(binary, *args, env=None):
    return subprocess.run([binary, *args], capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL, env=env or {"PATH": "/usr/bin:/bin"})


@pytest.mark.anyio
async def test_read_only_from_the_environment_alone(binary, server_env):
    env = dict(server_env, ASGARDEO_MCP_READ_ONLY="true")
    async with Client(StdioServerParameters(command=binary, env=env)) as client:
        tools = (await client.list_tools()).tools
    names = {t.name for t in tools}
    assert {
        "list_applications", "get_application_by_name", "get_application_by_client_id", "list_authorized_api",
        "list_api_resources", "search_api_resources_by_name", "get_api_resource_by_identifier", "list_claims",
        "list_users", "list_groups", "list_roles", "list_connections", "list_login_options",
    } <= names
    assert all(t.annotations.read_only_hint for t in tools)
    everything = json.loads(run(binary, "tools", "--json").stdout)
    assert names == {t["name"] for t in everything if t["access"] == "read"}


def test_call_prints_the_structured_result_and_fails_with_the_message(binary):
    ok = run(binary, "--sandbox", "call", "create_m2m_app", "--arg", "application_name=Billing")
    assert ok.returncode == 0, ok.stderr
    created = json.loads(ok.stdout)
    assert created["grant_types"] == ["client_credentials"] and created["client_secret"]
    missing = run(binary, "--sandbox", "call", "get_application_by_name", "--json", '{"application_name": "Nope"}')
    assert missing.returncode == 1
    assert missing.stdout.startswith("Not found")


def test_doctor_lists_usable_tools(binary):
    report = run(binary, "--sandbox", "doctor", "--json")
    assert report.returncode == 0, report.stderr
    parsed = json.loads(report.stdout)
    assert all(check["ok"] for check in parsed["checks"])
    every_tool = json.loads(run(binary, "tools", "--json").stdout)
    assert sum(t["usable"] for t in parsed["tools"]) == len(every_tool)


def test_a_pattern_matching_no_tool_stops_the_server(binary):
    proc = run(binary, "--sandbox", "--tools", "nothing_like_this")
    assert proc.returncode != 0
    assert "nothing_like_this" in proc.stderr and proc.stdout == ""


def test_sandbox_fault_flags(binary):
    port = free_port()
    proc = subprocess.Popen([binary, "sandbox", "--port", str(port), "--fault-status", "503", "--fault-fraction", "1"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        settings = dict(line.strip().split("=", 1) for line in (proc.stdout.readline() for _ in range(4)) if "=" in line)
        request = urllib.request.Request(settings["BASE_URL"] + "/api/server/v1/applications")
        with pytest.raises(urllib.error.HTTPError) as failure:
            urllib.request.urlopen(request, timeout=10)
        assert failure.value.code == 503
        assert json.loads(failure.value.read())["code"] == "SANDBOX-FAULT"
    finally:
        proc.terminate()
        proc.wait(timeout=10)
