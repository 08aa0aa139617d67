"""The release binary over stdio, driven by the official Python MCP SDK."""

import json
import uuid

import pytest
from mcp import Client, StdioServerParameters
from mcp import types

pytestmark = pytest.mark.anyio

REFERENCE = {
    "list_applications": set(),
    "create_single_page_app": {"application_name", "redirect_url"},
    "create_webapp_with_ssr": {"application_name", "redirect_url"},
    "create_mobile_app": {"application_name", "redirect_url"},
    "create_m2m_app": {"application_name"},
    "get_application_by_name": {"application_name"},
    "get_application_by_client_id": {"client_id"},
    "update_application_basic_info": {"id", "name", "description", "image_url", "access_url", "logout_return_url"},
    "update_application_oauth_config": {
        "id", "redirect_urls", "allowed_origins", "user_access_token_expiry_time",
        "application_access_token_expiry_time", "refresh_token_expiry_time",
        "revoke_tokens_when_idp_session_terminated", "access_token_attributes",
    },
    "update_application_claim_config": {"id", "claims"},
    "authorize_api": {"appId", "id", "policyIdentifier", "scopes"},
    "list_authorized_api": {"app_id"},
    "update_login_flow": {"app_id", "user_prompt"},
    "list_api_resources": {"filter", "limit", "before", "after"},
    "search_api_resources_by_name": {"name"},
    "get_api_resource_by_identifier": {"identifier"},
    "create_api_resource": {"identifier", "name", "requiresAuthorization", "scopes"},
    "create_user": {"username", "password", "email", "first_name", "last_name", "userstore_domain"},
    "list_claims": set(),
}


def server(binary, env, *args, **options):
    return Client(StdioServerParameters(command=binary, args=list(args), env=env), **options)


def structured(result):
    assert not result.is_error, result.content[0].text
    data = result.structured_content
    assert data == json.loads(result.content[0].text), "text and structured content carry the same JSON"
    return data


def message(result):
    assert result.is_error, f"expected a failure, got {result.structured_content}"
    return result.content[0].text


def unique(name):
    return f"{name} {uuid.uuid4().hex[:8]}"


async def test_all_19_tools_with_the_reference_parameter_names(binary, server_env):
    async with server(binary, server_env) as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
    assert set(REFERENCE) <= set(tools)
    for name, params in REFERENCE.items():
        declared = set(tools[name].input_schema.get("properties", {}))
        assert params <= declared, (name, declared)
        assert tools[name].annotations.read_only_hint is not None
        assert tools[name].output_schema is not None


async def test_embedded_sandbox_needs_no_configuration(binary):
    async with server(binary, {"PATH": "/usr/bin:/bin"}, "--sandbox") as client:
        page = structured(await client.call_tool("list_applications", {}))
    assert page["total"] >= 1 and page["applications"][0]["name"] == "MCP Sandbox Client"


async def test_every_tool_succeeds_and_fails_clearly(binary, server_env):
    async with server(binary, server_env) as client:
        spa = structured(await client.call_tool("create_single_page_app", {"application_name": unique("SPA"), "redirect_url": "https://spa.example.com/cb"}))
        assert spa["public_client"] and "client_secret" not in spa
        assert "redirect_url" in message(await client.call_tool("create_single_page_app", {"application_name": unique("SPA"), "redirect_url": "not a url"}))

        web = structured(await client.call_tool("create_webapp_with_ssr", {"application_name": unique("Web"), "redirect_url": "https://web.example.com/cb"}))
        assert web["client_secret"]
        assert "already exists" in message(await client.call_tool("create_webapp_with_ssr", {"application_name": web["name"], "redirect_url": "https://web.example.com/cb"}))

        mobile = structured(await client.call_tool("create_mobile_app", {"application_name": unique("Mobile"), "redirect_url": "myapp://callback"}))
        assert mobile["redirect_urls"] == ["myapp://callback"]
        assert "redirect_url" in message(await client.call_tool("create_mobile_app", {"application_name": unique("Mobile"), "redirect_url": "javascript://x"}))

        m2m = structured(await client.call_tool("create_m2m_app", {"application_name": unique("M2M")}))
        assert m2m["grant_types"] == ["client_credentials"] and m2m["client_secret"]
        assert "application_name" in message(await client.call_tool("create_m2m_app", {}))

        page = structured(await client.call_tool("list_applications", {"limit": 2}))
        assert page["total"] >= 4 and page["has_more"] and page["next_cursor"]
        assert "limit" in message(await client.call_tool("list_applications", {"limit": 1000}))

        by_name = structured(await client.call_tool("get_application_by_name", {"application_name": web["name"]}))
        assert by_name["application_type"] == "web_app_with_ssr"
        assert web["client_secret"] not in json.dumps(by_name)
        assert message(await client.call_tool("get_application_by_name", {"application_name": "No Such App"})).startswith("Not found")

        by_client = structured(await client.call_tool("get_application_by_client_id", {"client_id": spa["client_id"]}))
        assert by_client["id"] == spa["id"]
        assert "client_id" in message(await client.call_tool("get_application_by_client_id", {"client_id": "../x"}))

        basic = structured(await client.call_tool("update_application_basic_info", {"id": spa["id"], "description": "Storefront"}))
        assert basic["current"]["description"] == "Storefront" and "previous" in basic
        assert "nothing to update" in message(await client.call_tool("update_application_basic_info", {"id": spa["id"]}))

        oauth = structured(await client.call_tool("update_application_oauth_config", {"id": spa["id"], "redirect_urls": ["https://spa.example.com/cb", "https://spa.example.com/alt"]}))
        assert oauth["current"]["redirect_urls"] == ["https://spa.example.com/cb", "https://spa.example.com/alt"]
        assert "allowed_origins" in message(await client.call_tool("update_application_oauth_config", {"id": spa["id"], "allowed_origins": ["not-an-origin"]}))

        claims = structured(await client.call_tool("update_application_claim_config", {"id": spa["id"], "claims": ["username", "last_name"]}))
        assert claims["current"] == ["http://wso2.org/claims/username", "http://wso2.org/claims/lastname"]
        assert "did you mean" in message(await client.call_tool("update_application_claim_config", {"id": spa["id"], "claims": ["usernme"]}))

        api = structured(await client.call_tool("create_api_resource", {"identifier": f"https://api.example.com/{uuid.uuid4().hex[:6]}", "name": unique("Customers"), "requiresAuthorization": True, "scopes": [f"read:c{uuid.uuid4().hex[:6]}"]}))
        assert "already exists" in message(await client.call_tool("create_api_resource", {"identifier": api["identifier"], "name": "again"}))

        found = structured(await client.call_tool("get_api_resource_by_identifier", {"identifier": api["identifier"]}))
        assert found["id"] == api["id"] and found["scopes"][0]["name"] == api["scopes"][0]["name"]
        assert message(await client.call_tool("get_api_resource_by_identifier", {"identifier": "https://nowhere"})).startswith("Not found")

        search = structured(await client.call_tool("search_api_resources_by_name", {"name": api["name"]}))
        assert [r["id"] for r in search["api_resources"]] == [api["id"]]
        assert "name" in message(await client.call_tool("search_api_resources_by_name", {"name": ""}))

        listed = structured(await client.call_tool("list_api_resources", {"limit": 3}))
        assert len(listed["api_resources"]) == 3 and listed["next_cursor"]
        assert "before" in message(await client.call_tool("list_api_resources", {"before": "a", "after": "b"}))

        granted = structured(await client.call_tool("authorize_api", {"appId": m2m["id"], "id": api["id"], "scopes": [api["scopes"][0]["name"]]}))
        assert granted["policy"] == "RBAC"
        assert "already exists" in message(await client.call_tool("authorize_api", {"appId": m2m["id"], "id": api["id"], "scopes": []}))

        authorized = structured(await client.call_tool("list_authorized_api", {"app_id": m2m["id"]}))
        assert authorized["authorized_apis"][0]["scopes"] == [api["scopes"][0]["name"]]
        assert message(await client.call_tool("list_authorized_api", {"app_id": "00000000-0000-0000-0000-000000000000"})).startswith("Not found")

        user = structured(await client.call_tool("create_user", {"username": f"u{uuid.uuid4().hex[:6]}", "email": "u@example.com", "first_name": "U", "last_name": "Ser"}))
        assert user["id"] and user["invitation_sent"]
        assert "email" in message(await client.call_tool("create_user", {"username": "x", "email": "nope", "first_name": "a", "last_name": "b"}))

        all_claims = structured(await client.call_tool("list_claims", {}))
        assert all_claims["total"] == len(all_claims["claims"]) > 10
        assert "`extra` is not an argument" in message(await client.call_tool("list_claims", {"extra": 1}))

        progress = []

        async def on_progress(value, total, text):
            progress.append((value, total, text))

        flow = structured(await client.call_tool("update_login_flow", {"app_id": spa["id"], "user_prompt": "username and password, then email OTP"}, progress_callback=on_progress))
        assert flow["steps"] == [{"step": 1, "options": ["BasicAuthenticator@LOCAL"]}, {"step": 2, "options": ["email-otp-authenticator@LOCAL"]}]
        assert progress and progress[-1][0] <= progress[-1][1]
        assert "failed" in message(await client.call_tool("update_login_flow", {"app_id": spa["id"], "user_prompt": "something pleasant"}))


async def test_read_only_mode_hides_and_refuses_writes(binary, server_env):
    async with server(binary, server_env, "--read-only") as client:
        tools = (await client.list_tools()).tools
        assert tools and all(t.annotations.read_only_hint for t in tools)
        with pytest.raises(Exception, match="unknown tool"):
            result = await client.call_tool("create_m2m_app", {"application_name": "x"})
            if result.is_error:
                raise RuntimeError(result.content[0].text)


async def test_missing_configuration_fails_at_start_naming_it(binary):
    import subprocess

    proc = subprocess.run([binary], env={"PATH": "/usr/bin:/bin", "CLIENT_ID": "x"}, capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL)
    assert proc.returncode != 0
    assert "BASE_URL" in proc.stderr and "CLIENT_SECRET" in proc.stderr
    assert proc.stdout == ""


def person(agrees, shown):
    """An elicitation callback: a person who reads the form and agrees (or not)."""

    async def answer(context, params):
        shown.append(params.message)
        if agrees:
            return types.ElicitResult(action="accept", content={"confirm": True})
        return types.ElicitResult(action="decline")

    return answer


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_a_deletion_is_confirmed_by_the_person_in_a_form(binary, server_env, mode):
    """On 2026-07-28 (`auto` negotiates it) the form is an input request of the call; on older
    protocols (`legacy`) the server asks within the call. Either way the person sees what goes."""
    shown = []
    async with server(binary, server_env, mode=mode, elicitation_callback=person(True, shown)) as client:
        app = structured(await client.call_tool("create_m2m_app", {"application_name": unique("doomed")}))
        deleted = structured(await client.call_tool("delete_application", {"app_id": app["id"]}))
        assert deleted["deleted"]["id"] == app["id"]
        assert "client_secret" not in json.dumps(deleted)
        gone = message(await client.call_tool("get_application_by_client_id", {"client_id": app["client_id"]}))
        assert "Not found" in gone
    assert len(shown) == 1
    assert app["name"] in shown[0] and "DELETE" in shown[0]


async def test_a_declined_form_deletes_nothing(binary, server_env):
    shown = []
    async with server(binary, server_env, elicitation_callback=person(False, shown)) as client:
        app = structured(await client.call_tool("create_m2m_app", {"application_name": unique("kept")}))
        refused = message(await client.call_tool("delete_application", {"app_id": app["id"]}))
        assert "declined" in refused
        kept = structured(await client.call_tool("get_application_by_client_id", {"client_id": app["client_id"]}))
        assert kept["id"] == app["id"]
    assert len(shown) == 1


async def test_without_elicitation_a_deletion_needs_the_plans_token(binary, server_env):
    async with server(binary, server_env) as client:
        app = structured(await client.call_tool("create_m2m_app", {"application_name": unique("token")}))
        plan = structured(await client.call_tool("delete_application", {"app_id": app["id"]}))["plan"]
        assert plan["status"] == "confirmation_required"
        assert structured(await client.call_tool("get_application_by_client_id", {"client_id": app["client_id"]}))
        token = plan["confirmation_token"]
        done = structured(await client.call_tool("delete_application", {"app_id": app["id"], "confirmation_token": token}))
        assert done["deleted"]["id"] == app["id"]
        reused = message(await client.call_tool("delete_application", {"app_id": app["id"], "confirmation_token": token}))
        assert "already used" in reused
