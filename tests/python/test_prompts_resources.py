"""Prompts, resources and completion, as a host's UI uses them, over stdio with the Python SDK."""

import json
import urllib.parse

import pytest
from mcp import Client, StdioServerParameters, types
from mcp.shared.exceptions import MCPError as McpError

pytestmark = pytest.mark.anyio


async def test_prompts_resources_and_completion(binary, server_env):
    async with Client(StdioServerParameters(command=binary, env=server_env)) as client:
        created = await client.call_tool(
            "create_single_page_app",
            {"application_name": "Resource Shop", "redirect_url": "https://shop.example.com/cb"},
        )
        assert not created.is_error, created.content[0].text
        api = await client.call_tool(
            "create_api_resource",
            {"identifier": "https://orders.example.com", "name": "Orders", "requiresAuthorization": True,
             "scopes": [{"name": "orders:read", "displayName": "Read orders"}]},
        )
        assert not api.is_error, api.content[0].text

        # Prompts: listed with their arguments; a prompt lays out the tool sequence.
        prompts = {p.name: p for p in (await client.list_prompts()).prompts}
        assert {"secure_web_app", "add_social_login", "add_mfa", "setup_m2m_client"} <= set(prompts)
        assert {a.name for a in prompts["add_mfa"].arguments} == {"application_name", "factor"}
        prompt = await client.get_prompt("secure_web_app", {"framework": "react", "application_name": "Resource Shop"})
        text = prompt.messages[0].content.text
        assert "get_integration_guide" in text and "Resource Shop" in text
        with pytest.raises(McpError, match="framework"):
            await client.get_prompt("secure_web_app", {"framework": "cobol", "application_name": "x"})

        # Resources: the applications and API resources, each readable; templates for the rest.
        listed = {str(r.uri) for r in (await client.list_resources()).resources}
        app_uri = "asgardeo://applications/" + urllib.parse.quote("Resource Shop", safe="")
        api_uri = "asgardeo://api-resources/" + urllib.parse.quote("https://orders.example.com", safe="")
        assert {"asgardeo://applications", "asgardeo://api-resources", app_uri, api_uri} <= listed
        templates = {t.uri_template for t in (await client.list_resource_templates()).resource_templates}
        assert "asgardeo://applications/{application_name}/guide/{framework}" in templates
        app = json.loads((await client.read_resource(app_uri)).contents[0].text)
        assert app["name"] == "Resource Shop" and app["oauth"]["public_client"] is True
        guide = json.loads((await client.read_resource(app_uri + "/guide/react")).contents[0].text)
        assert guide["ready"] is True and any(f["path"] == "src/App.jsx" for f in guide["files"])
        orders = json.loads((await client.read_resource(api_uri)).contents[0].text)
        assert orders["identifier"] == "https://orders.example.com"
        with pytest.raises(McpError, match="Not found|not found"):
            await client.read_resource("asgardeo://applications/" + urllib.parse.quote("No Such App"))

        # Completion: application names from the organization, frameworks from the list.
        done = await client.complete(types.PromptReference(type="ref/prompt", name="add_mfa"), {"name": "application_name", "value": "resource"})
        assert "Resource Shop" in done.completion.values
        done = await client.complete(types.ResourceTemplateReference(type="ref/resource", uri="asgardeo://applications/{application_name}/guide/{framework}"), {"name": "framework", "value": "ne"})
        assert done.completion.values == ["nextjs"]
        done = await client.complete(types.PromptReference(type="ref/prompt", name="setup_m2m_client"), {"name": "api_identifier", "value": "orders"})
        assert done.completion.values == ["https://orders.example.com"]
