// Remote mode with the official TypeScript SDK's OAuth client: a standalone sandbox is the
// organization, `setup-remote` registers the server there, `serve --http` is protected by it.
// The SDK meets the 401, discovers the metadata, runs authorization code + PKCE (the login form
// is submitted here, as a person would), and calls tools; a reader sees only read tools and is
// refused a write with the scope named. Exits non-zero on any mismatch.
import assert from "node:assert/strict";
import { spawn, execFileSync } from "node:child_process";
import { createInterface } from "node:readline";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { UnauthorizedError } from "@modelcontextprotocol/sdk/client/auth.js";

const binary = process.env.ASGARDEO_MCP_BIN ?? new URL("../../target/release/asgardeo-mcp", import.meta.url).pathname;
const REDIRECT = "http://127.0.0.1:43117/callback";
const children = [];
process.on("exit", () => children.forEach((c) => c.kill()));

/** Starts the binary and resolves with the stdout lines read until `done(lines)` says so. */
function start(args, env, done) {
  const child = spawn(binary, args, { env, stdio: ["ignore", "pipe", "ignore"] });
  children.push(child);
  const lines = [];
  return new Promise((resolve, reject) => {
    const reader = createInterface({ input: child.stdout });
    reader.on("line", (line) => {
      lines.push(line);
      if (done(lines)) resolve(lines);
    });
    child.on("exit", (code) => reject(new Error(`${args[0]} exited with ${code}: ${lines.join("\n")}`)));
  });
}

const sandboxLines = await start(["sandbox", "--port", "0"], process.env, (l) => l.some((x) => x.startsWith("CLIENT_SECRET=")));
const settings = Object.fromEntries(sandboxLines.filter((l) => /^[A-Z_]+=/.test(l)).map((l) => l.split(/=(.*)/s).slice(0, 2)));
const env = { ...process.env, BASE_URL: settings.BASE_URL, CLIENT_ID: settings.CLIENT_ID, CLIENT_SECRET: settings.CLIENT_SECRET };
const run = (...args) => execFileSync(binary, args, { env, stdio: ["ignore", "pipe", "ignore"] }).toString();

// The server's port must be known before setup (the audience is its URL): take a free one.
const { createServer } = await import("node:net");
const port = await new Promise((resolve) => {
  const probe = createServer().listen(0, "127.0.0.1", () => {
    const { port } = probe.address();
    probe.close(() => resolve(port));
  });
});
const url = `http://127.0.0.1:${port}/mcp`;
run("call", "create_user", "--json", JSON.stringify({ username: "ts-reader@sandbox.test", email: "ts-reader@sandbox.test", first_name: "Ts", last_name: "Reader", password: "Reader-Pass-2" }));
const report = JSON.parse(run("setup-remote", "--json", "--audience", url, "--redirect-url", REDIRECT, "--admin-user", "admin@sandbox.test", "--reader-user", "ts-reader@sandbox.test"));
await start(["serve", "--http", "--port", String(port), "--allowed-clients", report.client_id], env, (l) => l.some((x) => x.includes("listening on")));

/** The browser half: the authorization URL, the login form, the redirect back with a code. */
async function signIn(authorizationUrl, username, password) {
  const page = await fetch(authorizationUrl, { redirect: "manual" });
  assert.equal(page.status, 200);
  const html = await page.text();
  const key = html.match(/name="sessionDataKey" value="([^"]+)"/)[1];
  const action = html.match(/<form[^>]*action="([^"]+)"/)[1];
  const back = await fetch(new URL(action, authorizationUrl), {
    method: "POST",
    redirect: "manual",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ sessionDataKey: key, username, password }),
  });
  assert.equal(back.status, 302);
  const location = new URL(back.headers.get("location"));
  assert.equal(`${location.origin}${location.pathname}`, REDIRECT);
  return location.searchParams.get("code");
}

/** An OAuthClientProvider with the pre-registered public client (no dynamic registration). */
function provider(username, password) {
  const ctx = { pending: null, seen: null };
  return {
    ctx,
    get redirectUrl() { return REDIRECT; },
    get clientMetadata() {
      return { client_name: "ts-test", redirect_uris: [REDIRECT], grant_types: ["authorization_code", "refresh_token"], response_types: ["code"], token_endpoint_auth_method: "none" };
    },
    clientInformation: () => ({ client_id: report.client_id }),
    tokens: () => ctx.tokens,
    saveTokens: (tokens) => { ctx.tokens = tokens; },
    saveCodeVerifier: (v) => { ctx.verifier = v; },
    codeVerifier: () => ctx.verifier,
    redirectToAuthorization: (authorizationUrl) => {
      ctx.seen = authorizationUrl;
      ctx.pending = signIn(authorizationUrl, username, password);
    },
  };
}

async function connect(username, password) {
  const auth = provider(username, password);
  let transport = new StreamableHTTPClientTransport(new URL(url), { authProvider: auth });
  let client = new Client({ name: "ts-remote", version: "1.0.0" });
  try {
    await client.connect(transport);
  } catch (error) {
    assert.ok(error instanceof UnauthorizedError, String(error));
    const code = await auth.ctx.pending;
    await transport.finishAuth(code);
    transport = new StreamableHTTPClientTransport(new URL(url), { authProvider: auth });
    client = new Client({ name: "ts-remote", version: "1.0.0" });
    await client.connect(transport);
  }
  return { client, auth };
}

const admin = await connect("admin@sandbox.test", "Sandbox-Admin-1");
assert.ok(admin.auth.ctx.seen.href.startsWith(`${settings.BASE_URL}/oauth2/authorize`), admin.auth.ctx.seen.href);
assert.equal(admin.auth.ctx.seen.searchParams.get("code_challenge_method"), "S256");
const adminTools = (await admin.client.listTools()).tools.map((t) => t.name);
assert.ok(adminTools.includes("create_single_page_app") && adminTools.includes("delete_application"), adminTools.join(","));
const created = await admin.client.callTool({ name: "create_single_page_app", arguments: { application_name: "From TS remote", redirect_url: "https://ts-remote.example.com/cb" } });
assert.notEqual(created.isError, true, JSON.stringify(created.content));
await admin.client.close();

const reader = await connect("ts-reader@sandbox.test", "Reader-Pass-2");
const readerTools = (await reader.client.listTools()).tools.map((t) => t.name);
assert.ok(readerTools.includes("list_applications"), readerTools.join(","));
assert.ok(!readerTools.some((t) => t.startsWith("create_") || t.startsWith("delete_")), readerTools.join(","));
const listed = await reader.client.callTool({ name: "list_applications", arguments: {} });
assert.ok(listed.structuredContent.applications.some((a) => a.name === "From TS remote"));
const refused = await reader.client.callTool({ name: "delete_application", arguments: { id: created.structuredContent.id } });
assert.equal(refused.isError, true);
assert.match(refused.content[0].text, /mcp:applications:write/);
await reader.client.close();

console.log(`remote OAuth with the TypeScript SDK: admin ${adminTools.length} tools, reader ${readerTools.length} tools, write refused`);
process.exit(0);
