// A second, independent MCP client (the official TypeScript SDK) lists the tools of the
// release binary over stdio and calls one. Exits non-zero on any mismatch.
import assert from "node:assert/strict";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";

const binary = process.env.ASGARDEO_MCP_BIN ?? new URL("../../target/release/asgardeo-mcp", import.meta.url).pathname;
const transport = new StdioClientTransport({ command: binary, args: ["--sandbox"], stderr: "ignore" });
const client = new Client({ name: "second-client", version: "1.0.0" });
await client.connect(transport);

const { tools } = await client.listTools();
assert.ok(tools.length >= 19, "the reference's 19 tools and more");
for (const name of ["list_applications", "create_single_page_app", "update_login_flow", "create_user", "list_claims", "set_login_flow", "delete_user"]) {
  assert.ok(tools.some((t) => t.name === name), `tool ${name}`);
}

const created = await client.callTool({ name: "create_single_page_app", arguments: { application_name: "From TypeScript", redirect_url: "https://ts.example.com/cb" } });
assert.notEqual(created.isError, true, JSON.stringify(created.content));
assert.equal(created.structuredContent.application_type, "single_page_app");
assert.deepEqual(created.structuredContent.allowed_origins, ["https://ts.example.com"]);

const failed = await client.callTool({ name: "get_application_by_name", arguments: { application_name: "Missing" } });
assert.equal(failed.isError, true);

// A name WSO2's filter grammar would split at "and" is found exactly, and lists carry client ids.
const tricky = await client.callTool({ name: "create_m2m_app", arguments: { application_name: "Sales and Marketing" } });
assert.notEqual(tricky.isError, true, JSON.stringify(tricky.content));
const found = await client.callTool({ name: "get_application_by_name", arguments: { application_name: "Sales and Marketing" } });
assert.equal(found.structuredContent.id, tricky.structuredContent.id);
const page = await client.callTool({ name: "list_applications", arguments: {} });
assert.ok(page.structuredContent.applications.every((a) => a.client_id), "client ids in the list");

// Bad arguments are tool errors, and a URL outside the policy is refused by name.
const refused = await client.callTool({ name: "create_single_page_app", arguments: { application_name: "x", redirect_url: "http://evil.example.com/cb" } });
assert.equal(refused.isError, true);
assert.match(refused.content[0].text, /redirect_url/);

// A destructive call from a host that cannot ask: a plan with a token (which this SDK checks
// against the output schema), then the call with the token.
const user = await client.callTool({ name: "create_user", arguments: { username: "ts-user", email: "ts@example.com", first_name: "T", last_name: "S" } });
assert.notEqual(user.isError, true, JSON.stringify(user.content));
const plan = await client.callTool({ name: "delete_user", arguments: { user_id: user.structuredContent.id } });
assert.equal(plan.structuredContent.plan.status, "confirmation_required");
const deleted = await client.callTool({ name: "delete_user", arguments: { user_id: user.structuredContent.id, confirmation_token: plan.structuredContent.plan.confirmation_token } });
assert.notEqual(deleted.isError, true, JSON.stringify(deleted.content));
assert.equal(deleted.structuredContent.deleted.id, user.structuredContent.id);

await client.close();
console.log("1 passed, 0 failed");
