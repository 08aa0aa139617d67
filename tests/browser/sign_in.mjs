// The integration guides, proven: through the real binary (TypeScript MCP SDK over stdio) this
// creates applications in a sandbox, asks get_integration_guide for their code, and runs it:
//  - react: the guide's files and pinned packages, built with Vite, served on loopback; in
//    headless Chromium (Debian's, driven by puppeteer-core) a user clicks sign in, submits the
//    sandbox's login form, lands back signed in with their name shown, and signs out;
//  - react with a wrong redirect URL: the guide says it is not ready, and the browser stops at
//    the sandbox's error page with the error Asgardeo shows (invalid_callback);
//  - m2m: the guide's curl script gets a token.
// Bounded: every wait has a timeout; all servers bind 127.0.0.1 and are stopped at the end.
import assert from "node:assert/strict";
import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync, mkdirSync, rmSync, existsSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import puppeteer from "puppeteer-core";

const binary = process.env.ASGARDEO_MCP_BIN ?? new URL("../../target/release/asgardeo-mcp", import.meta.url).pathname;
const chromium = process.env.CHROMIUM ?? "/usr/bin/chromium";
const children = [];
const work = mkdtempSync(join(tmpdir(), "amcp-sign-in-"));
let passed = 0;

function cleanup() {
  for (const child of children) child.kill("SIGTERM");
  rmSync(work, { recursive: true, force: true });
}
process.on("exit", cleanup);
setTimeout(() => { console.error("sign-in tests: timed out after 15 minutes"); process.exit(1); }, 15 * 60_000).unref();

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, "127.0.0.1", () => { const { port } = server.address(); server.close(() => resolve(port)); });
    server.on("error", reject);
  });
}

/** Starts `command`, resolves with the first stdout match of `pattern`. */
function startAndWait(command, args, options, pattern, what) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { ...options, env: { ...process.env, NO_COLOR: "1", FORCE_COLOR: "0" }, stdio: ["ignore", "pipe", "pipe"] });
    children.push(child);
    let out = "";
    const timer = setTimeout(() => reject(new Error(`${what} did not start: ${out}`)), 60_000);
    const onData = (chunk) => {
      // Colour codes stripped: tools colour their output when they think a person reads it.
      out += chunk.toString().replace(/\x1b\[[0-9;]*m/g, "");
      const match = out.match(pattern);
      if (match) { clearTimeout(timer); resolve({ child, match, output: () => out }); }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", (c) => { out += c; });
    child.on("exit", (code) => reject(new Error(`${what} exited (${code}): ${out}`)));
  });
}

function writeProject(dir, guide) {
  for (const file of guide.files) {
    mkdirSync(dirname(join(dir, file.path)), { recursive: true });
    writeFileSync(join(dir, file.path), file.contents);
  }
  writeFileSync(join(dir, ".env"), guide.env_file);
}

// The sandbox, standalone, and the server over stdio against it.
const sandbox = await startAndWait(binary, ["sandbox", "--port", "0"], {}, /BASE_URL=(\S+)[\s\S]*CLIENT_ID=(\S+)[\s\S]*CLIENT_SECRET=(\S+)[\s\S]*sign-in user \(.*?\): (\S+) \/ (\S+)\n/, "sandbox");
const [, baseUrl, clientId, clientSecret, username, password] = sandbox.match;
const transport = new StdioClientTransport({
  command: binary,
  env: { ...process.env, BASE_URL: baseUrl, CLIENT_ID: clientId, CLIENT_SECRET: clientSecret },
  stderr: "ignore",
});
const mcp = new Client({ name: "sign-in-tests", version: "1.0.0" });
await mcp.connect(transport);
async function call(name, args) {
  const result = await mcp.callTool({ name, arguments: args });
  assert.notEqual(result.isError, true, `${name}: ${JSON.stringify(result.content)}`);
  return result.structuredContent;
}

// --- React: the guide's code signs a user in and out in Chromium. ---
const port = await freePort();
const appUrl = `http://127.0.0.1:${port}`;
const spa = await call("create_single_page_app", { application_name: "Vite React", redirect_url: appUrl });
assert.match(spa.next_step, /get_integration_guide/);
assert.match(spa.next_step, /`react`/);
const guide = await call("get_integration_guide", { application_name: "Vite React", framework: "react" });
assert.equal(guide.ready, true, JSON.stringify(guide.checks));
assert.match(guide.install[0], /@asgardeo\/react@\d/);
assert.match(guide.env_file, new RegExp(`VITE_ASGARDEO_CLIENT_ID=${spa.client_id}`));

const app = join(work, "react");
mkdirSync(app);
writeProject(app, guide);
const started = Date.now();
execFileSync("sh", ["-c", `${guide.install[0]} --no-audit --no-fund --loglevel=error`], { cwd: app, stdio: "inherit", timeout: 600_000 });
execFileSync(join(app, "node_modules", ".bin", "vite"), ["build", "--logLevel", "error"], { cwd: app, stdio: "inherit", timeout: 300_000 });
console.log(`react app installed and built in ${((Date.now() - started) / 1000).toFixed(1)} s`);
const vite = join(app, "node_modules", ".bin", "vite");
const preview = () => startAndWait(vite, ["preview", "--host", "127.0.0.1", "--port", String(port), "--strictPort"], { cwd: app }, /127\.0\.0\.1:\d+/, "vite preview");
let server = await preview();

const browser = await puppeteer.launch({
  executablePath: chromium,
  headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
});
try {
  const page = await browser.newPage();
  page.setDefaultTimeout(30_000);
  const log = [];
  page.on("console", (m) => log.push(`console ${m.type()}: ${m.text()}`));
  page.on("requestfailed", (r) => log.push(`request failed: ${r.url()} ${r.failure()?.errorText}`));
  page.on("response", (r) => { if (r.status() >= 400) log.push(`${r.status()} ${r.request().method()} ${r.url()}`); });
  process.on("exit", (code) => { if (code !== 0) console.error(log.join("\n")); });
  await page.goto(appUrl);
  const signIn = await page.waitForSelector("::-p-text(Sign in)");
  await signIn.click();
  await page.waitForSelector("#login-form");
  assert.ok(page.url().startsWith(`${baseUrl}/oauth2/authorize`), `at the sandbox's login form: ${page.url()}`);
  // A wrong password is refused with the server's words, and the form stays.
  await page.type("#usernameUserInput", username);
  await page.type("#password", "not-the-password");
  await Promise.all([page.waitForNavigation(), page.click("#sign-in")]);
  assert.match(await page.$eval("#login-error", (e) => e.textContent), /Login failed/);
  await page.type("#usernameUserInput", username);
  await page.type("#password", password);
  await Promise.all([page.waitForNavigation(), page.click("#sign-in")]);
  const greeting = await page.waitForSelector("#greeting");
  await page.waitForFunction(() => /Hello, \S/.test(document.querySelector("#greeting")?.textContent ?? ""));
  const text = await greeting.evaluate((e) => e.textContent);
  assert.ok(page.url().startsWith(appUrl), `back in the app: ${page.url()}`);
  assert.match(text, /Sandbox Admin|admin@sandbox\.test/, text);
  console.log(`ok - react: signed in, the app shows "${text}"`); passed++;

  const signOut = await page.waitForSelector("::-p-text(Sign out)");
  await Promise.all([page.waitForNavigation(), signOut.click()]);
  await page.waitForSelector("::-p-text(Sign in)");
  assert.ok(page.url().startsWith(appUrl), `back in the app after sign-out: ${page.url()}`);
  console.log("ok - react: signed out through /oidc/logout"); passed++;

  // --- The same app built for a client whose redirect URL is elsewhere. ---
  // Registered for localhost, while the app is served from 127.0.0.1: a different origin.
  await call("create_single_page_app", { application_name: "Wrong Redirect", redirect_url: `http://localhost:${port}` });
  const wrong = await call("get_integration_guide", { application_name: "Wrong Redirect", framework: "react", app_url: appUrl });
  const redirectCheck = wrong.checks.find((c) => c.setting === "redirect URL");
  assert.equal(wrong.ready, false);
  assert.equal(redirectCheck.ok, false);
  assert.match(redirectCheck.fix, /update_application_oauth_config/);
  await new Promise((resolve) => { server.child.removeAllListeners("exit"); server.child.on("exit", resolve); server.child.kill("SIGTERM"); });
  writeFileSync(join(app, ".env"), wrong.env_file);
  execFileSync(join(app, "node_modules", ".bin", "vite"), ["build", "--logLevel", "error"], { cwd: app, stdio: "inherit", timeout: 300_000 });
  server = await preview();
  const page2 = await (await browser.createBrowserContext()).newPage();
  page2.setDefaultTimeout(30_000);
  await page2.goto(appUrl);
  const signIn2 = await page2.waitForSelector("::-p-text(Sign in)");
  await Promise.all([page2.waitForNavigation(), signIn2.click()]);
  await page2.waitForSelector("#oauth-error");
  assert.equal(await page2.$eval("#error-code", (e) => e.textContent), "invalid_callback");
  assert.match(await page2.$eval("#error-message", (e) => e.textContent), /Registered callback does not match with the provided url/);
  console.log("ok - react: a wrong redirect URL stops at the sandbox's error page (invalid_callback)"); passed++;
} finally {
  await browser.close();
}

// --- Plain browser JavaScript: the `browser` guide (@asgardeo/browser), built and run the same way. ---
{
  const plainPort = await freePort();
  const plainUrl = `http://127.0.0.1:${plainPort}`;
  await call("create_single_page_app", { application_name: "Plain Browser", redirect_url: plainUrl });
  const plainGuide = await call("get_integration_guide", { application_name: "Plain Browser", framework: "browser" });
  assert.equal(plainGuide.ready, true, JSON.stringify(plainGuide.checks));
  const dir = join(work, "browser");
  mkdirSync(dir);
  writeProject(dir, plainGuide);
  execFileSync("sh", ["-c", `${plainGuide.install[0]} --no-audit --no-fund --loglevel=error`], { cwd: dir, stdio: "inherit", timeout: 600_000 });
  const plainVite = join(dir, "node_modules", ".bin", "vite");
  execFileSync(plainVite, ["build", "--logLevel", "error"], { cwd: dir, stdio: "inherit", timeout: 300_000 });
  const served = await startAndWait(plainVite, ["preview", "--host", "127.0.0.1", "--port", String(plainPort), "--strictPort"], { cwd: dir }, /127\.0\.0\.1:\d+/, "vite preview (browser)");
  const chrome = await puppeteer.launch({ executablePath: chromium, headless: true, args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"] });
  try {
    const page = await chrome.newPage();
    page.setDefaultTimeout(30_000);
    await page.goto(plainUrl);
    await (await page.waitForSelector("#sign-in")).click();
    await page.waitForSelector("#login-form");
    await page.type("#usernameUserInput", username);
    await page.type("#password", password);
    await Promise.all([page.waitForNavigation(), page.click("#sign-in")]);
    await page.waitForFunction(() => /Hello, \S/.test(document.querySelector("#greeting")?.textContent ?? ""));
    const text = await page.$eval("#greeting", (e) => e.textContent);
    assert.match(text, /Sandbox Admin|admin@sandbox\.test/, text);
    console.log(`ok - browser: signed in with @asgardeo/browser, the page shows "${text}"`); passed++;
  } finally {
    await chrome.close();
    served.child.kill("SIGTERM");
  }
}

// --- Express: the guide's server, run under Node, completes a sign-in. A small cookie-keeping
// client follows the redirects a browser would and submits the sandbox's login form. ---
{
  const expressPort = await freePort();
  const expressUrl = `http://127.0.0.1:${expressPort}`;
  const web = await call("create_webapp_with_ssr", { application_name: "Express App", redirect_url: `${expressUrl}/login` });
  const expressGuide = await call("get_integration_guide", { application_name: "Express App", framework: "express" });
  assert.equal(expressGuide.ready, true, JSON.stringify(expressGuide.checks));
  const dir = join(work, "express");
  mkdirSync(dir);
  writeProject(dir, expressGuide);
  writeFileSync(join(dir, ".env"), expressGuide.env_file.replace(/ASGARDEO_CLIENT_SECRET=.*/, `ASGARDEO_CLIENT_SECRET=${web.client_secret}`));
  execFileSync("sh", ["-c", `${expressGuide.install[0]} --no-audit --no-fund --loglevel=error`], { cwd: dir, stdio: "inherit", timeout: 600_000 });
  await startAndWait("node", ["--env-file=.env", "server.js"], { cwd: dir }, /listening on/, "express app");

  const jar = new Map();
  async function visit(url, init = {}) {
    const host = new URL(url).host;
    const cookies = [...(jar.get(host) ?? new Map())].map(([k, v]) => `${k}=${v}`).join("; ");
    const response = await fetch(url, { ...init, redirect: "manual", headers: { ...(init.headers ?? {}), cookie: cookies } });
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(";");
      const [k, v] = pair.split("=");
      if (!jar.has(host)) jar.set(host, new Map());
      jar.get(host).set(k.trim(), v);
    }
    return response;
  }
  async function follow(url, init) {
    let response = await visit(url, init);
    for (let hops = 0; response.status >= 300 && response.status < 400 && hops < 10; hops++) {
      response = await visit(new URL(response.headers.get("location"), url).toString());
      url = response.url || url;
    }
    return response;
  }
  assert.match(await (await follow(`${expressUrl}/`)).text(), /Sign in/);
  const form = await follow(`${expressUrl}/login`);
  const page = await form.text();
  const key = page.match(/name="sessionDataKey" value="([^"]+)"/)?.[1];
  assert.ok(key, `the sandbox's login form: ${page.slice(0, 300)}`);
  const submitted = await follow(`${baseUrl}/commonauth`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ sessionDataKey: key, username, password }).toString(),
  });
  const home = await submitted.text();
  assert.match(home, /Hello, (Sandbox Admin|admin@sandbox\.test|Sandbox)/, home.slice(0, 300));
  console.log(`ok - express: the guide's server signed the user in ("${home.match(/Hello, [^<]*/)[0]}")`); passed++;
}

// --- Next.js: the guide's files type-check against the pinned packages (tsc --noEmit, with the
// TypeScript settings create-next-app writes). ---
{
  await call("create_webapp_with_ssr", { application_name: "Next App", redirect_url: "http://localhost:3000" });
  const nextGuide = await call("get_integration_guide", { application_name: "Next App", framework: "nextjs" });
  assert.equal(nextGuide.ready, true, JSON.stringify(nextGuide.checks));
  const dir = join(work, "nextjs");
  mkdirSync(dir);
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "next-app", private: true }));
  writeFileSync(join(dir, "tsconfig.json"), JSON.stringify({
    compilerOptions: {
      target: "ES2017", lib: ["dom", "dom.iterable", "esnext"], allowJs: true, skipLibCheck: true, strict: true,
      noEmit: true, esModuleInterop: true, module: "esnext", moduleResolution: "bundler", resolveJsonModule: true,
      isolatedModules: true, jsx: "preserve", incremental: false, plugins: [{ name: "next" }],
    },
    include: ["**/*.ts", "**/*.tsx"], exclude: ["node_modules"],
  }));
  writeProject(dir, nextGuide);
  const started = Date.now();
  // The guide's install (its first command makes the project, which is done above).
  execFileSync("sh", ["-c", `${nextGuide.install[1]} typescript@5.9.3 @types/react@19.2.14 @types/react-dom@19.2.3 @types/node@22.20.5 --no-audit --no-fund --loglevel=error`], { cwd: dir, stdio: "inherit", timeout: 600_000 });
  execFileSync(join(dir, "node_modules", ".bin", "tsc"), ["--noEmit", "-p", "."], { cwd: dir, stdio: "inherit", timeout: 300_000 });
  console.log(`ok - nextjs: the guide's files type-check (${((Date.now() - started) / 1000).toFixed(1)} s)`); passed++;
}

// --- M2M: the guide's curl gets a token. ---
const m2m = await call("create_m2m_app", { application_name: "Token Getter" });
const m2mGuide = await call("get_integration_guide", { application_name: "Token Getter", framework: "m2m" });
assert.equal(m2mGuide.ready, true, JSON.stringify(m2mGuide.checks));
const m2mDir = join(work, "m2m");
mkdirSync(m2mDir);
writeProject(m2mDir, m2mGuide);
const env = m2mGuide.env_file.replace(/ASGARDEO_CLIENT_SECRET=.*/, `ASGARDEO_CLIENT_SECRET='${m2m.client_secret}'`);
writeFileSync(join(m2mDir, ".env"), env);
const answer = execFileSync("sh", ["-c", m2mGuide.run], { cwd: m2mDir, timeout: 30_000 }).toString();
const token = JSON.parse(answer);
assert.ok(token.access_token, answer);
assert.equal(token.token_type, "Bearer");
console.log("ok - m2m: the guide's curl got a token"); passed++;

await mcp.close();
console.log(`${passed} passed, 0 failed`);
process.exit(0);
