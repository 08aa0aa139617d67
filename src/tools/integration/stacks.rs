//! The code of each guide. Versions are pinned to what the code was written and tested
//! against; the APIs used are the ones the packages' own type declarations give (`@asgardeo/
//! react` 0.16.2 `AsgardeoProvider`, `SignedIn`, `SignInButton`, `useAsgardeo`; `@asgardeo/
//! nextjs` 0.1.96 `asgardeoMiddleware` and the server `AsgardeoProvider`; `@asgardeo/node` 0.0.63
//! `LegacyAsgardeoNodeClient`; `@asgardeo/browser` 0.5.6 `AsgardeoSPAClient`; `asgardeo` 0.2.3
//! `AsgardeoTokenClient`, `generate_pkce_pair`).

use super::{AppFacts, EnvVar, Framework, GuideFile, Package};

pub struct Written {
    pub install: Vec<String>,
    pub files: Vec<GuideFile>,
    pub env: Vec<EnvVar>,
    pub run: String,
    /// The redirect URL the code sends (checked against the application's).
    pub redirect: Option<String>,
    pub notes: Vec<String>,
}

pub const REACT_SDK: &str = "0.16.2";
pub const NEXTJS_SDK: &str = "0.1.96";
pub const NODE_SDK: &str = "0.0.63";
pub const BROWSER_SDK: &str = "0.5.6";
pub const PYTHON_SDK: &str = "0.2.3";
const REACT: &str = "19.2.4";
const VITE: &str = "8.3.8";
const VITE_REACT: &str = "6.3.0";
const NEXT: &str = "16.4.6";
const EXPRESS: &str = "5.1.0";
const COOKIE_PARSER: &str = "1.4.7";
const FLASK: &str = "3.1.2";

fn package(name: &str, version: &str) -> Package {
    Package {
        name: name.to_owned(),
        version: version.to_owned(),
    }
}

fn file(path: &str, action: &str, contents: String) -> GuideFile {
    GuideFile {
        path: path.to_owned(),
        action: action.to_owned(),
        contents,
    }
}

fn var(name: &str, value: &str) -> EnvVar {
    EnvVar {
        name: name.to_owned(),
        value: value.to_owned(),
        secret: false,
    }
}

fn secret(name: &str) -> EnvVar {
    EnvVar {
        name: name.to_owned(),
        value: "<the client secret: shown once by the create tool or regenerate_client_secret>"
            .to_owned(),
        secret: true,
    }
}

fn npm_install(packages: &[Package]) -> String {
    let list: Vec<String> = packages
        .iter()
        .map(|p| format!("{}@{}", p.name, p.version))
        .collect();
    format!("npm install --save-exact {}", list.join(" "))
}

pub fn write(facts: &AppFacts, framework: Framework) -> Written {
    match framework {
        Framework::React => react(facts),
        Framework::Nextjs => nextjs(facts),
        Framework::Express => express(facts),
        Framework::Browser => browser(facts),
        Framework::Python => python(facts),
        Framework::M2m => m2m(facts),
        Framework::Mobile => mobile(facts),
    }
}

fn app_url(facts: &AppFacts, default: &str) -> String {
    facts.app_url.clone().unwrap_or_else(|| default.to_owned())
}

/// The redirect URL the code uses: the application's registered one on the app's origin (so
/// the code follows the application), else the app's origin with the stack's usual path.
fn redirect_for(facts: &AppFacts, url: &str, default_path: &str) -> String {
    facts
        .oauth
        .redirect_urls
        .iter()
        .find(|r| super::origin(r).as_deref() == Some(url))
        .cloned()
        .unwrap_or_else(|| format!("{url}{default_path}"))
}

/// The path part of a URL (`/` when it has none).
fn path_of(url: &str) -> String {
    url::Url::parse(url).map_or_else(|_| "/".to_owned(), |u| u.path().to_owned())
}

fn client_id(facts: &AppFacts) -> String {
    facts.oauth.client_id.clone().unwrap_or_default()
}

fn port_of(url: &str, default: u16) -> u16 {
    url::Url::parse(url)
        .ok()
        .and_then(|u| u.port_or_known_default())
        .unwrap_or(default)
}

/// A Vite app's `files` after its `package.json` and `vite.config.js`, served on `port` (the
/// origin registered as the application's redirect URL), with React's plugin when `react`.
fn vite_project(name: &str, port: u16, react: bool, files: Vec<GuideFile>) -> Vec<GuideFile> {
    let (import, plugins) = if react {
        (
            "import react from \"@vitejs/plugin-react\";\n",
            "  plugins: [react()],\n",
        )
    } else {
        ("", "")
    };
    let package_json = format!(
        r#"{{
  "name": "{name}",
  "private": true,
  "type": "module",
  "scripts": {{ "dev": "vite", "build": "vite build", "preview": "vite preview" }}
}}
"#
    );
    let config = format!(
        r#"import {{ defineConfig }} from "vite";
{import}
// The app must be served from the origin registered as the application's redirect URL.
export default defineConfig({{
{plugins}  server: {{ port: {port}, strictPort: true }},
  preview: {{ port: {port}, strictPort: true }},
}});
"#
    );
    [
        file("package.json", "create", package_json),
        file("vite.config.js", "create", config),
    ]
    .into_iter()
    .chain(files)
    .collect()
}

/// The `.env` of a Vite app: Vite exposes only `VITE_` variables to the page.
fn vite_env(facts: &AppFacts, redirect: &str) -> Vec<EnvVar> {
    vec![
        var("VITE_ASGARDEO_CLIENT_ID", &client_id(facts)),
        var("VITE_ASGARDEO_BASE_URL", &facts.base_url),
        var("VITE_ASGARDEO_AFTER_SIGN_IN_URL", redirect),
    ]
}

fn react(facts: &AppFacts) -> Written {
    let url = app_url(facts, "http://localhost:5173");
    let redirect = redirect_for(facts, &url, "");
    let port = port_of(&url, 5173);
    let packages = vec![
        package("@asgardeo/react", REACT_SDK),
        package("react", REACT),
        package("react-dom", REACT),
        package("vite", VITE),
        package("@vitejs/plugin-react", VITE_REACT),
    ];
    let main = r#"import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { AsgardeoProvider } from "@asgardeo/react";
import App from "./App.jsx";

createRoot(document.getElementById("root")).render(
  <StrictMode>
    <AsgardeoProvider
      clientId={import.meta.env.VITE_ASGARDEO_CLIENT_ID}
      baseUrl={import.meta.env.VITE_ASGARDEO_BASE_URL}
      afterSignInUrl={import.meta.env.VITE_ASGARDEO_AFTER_SIGN_IN_URL}
      afterSignOutUrl={import.meta.env.VITE_ASGARDEO_AFTER_SIGN_IN_URL}
      scopes={["openid", "profile", "email", "internal_login"]}
    >
      <App />
    </AsgardeoProvider>
  </StrictMode>
);
"#;
    let app = r#"import { SignedIn, SignedOut, SignInButton, SignOutButton, useAsgardeo } from "@asgardeo/react";

// After sign-in `user` is the SCIM profile (/scim2/Me: `name.givenName`, `userName`), or the
// ID token's claims when the profile cannot be read (`given_name`, `username`).
function displayName(user) {
  if (!user) return "";
  const given = user.name?.givenName ?? user.given_name;
  const family = user.name?.familyName ?? user.family_name;
  return [given, family].filter(Boolean).join(" ") || user.displayName || user.userName || user.username || "";
}

export default function App() {
  const { user } = useAsgardeo();
  const name = displayName(user);
  return (
    <main>
      <SignedOut>
        <h1>Welcome</h1>
        <SignInButton>Sign in</SignInButton>
      </SignedOut>
      <SignedIn>
        <h1 id="greeting">Hello, {name}</h1>
        <SignOutButton>Sign out</SignOutButton>
      </SignedIn>
    </main>
  );
}
"#;
    let index = r#"<!doctype html>
<html lang="en">
  <head>
    <meta charset="UTF-8" />
    <title>Asgardeo sign-in</title>
  </head>
  <body>
    <div id="root"></div>
    <script type="module" src="/src/main.jsx"></script>
  </body>
</html>
"#;
    Written {
        install: vec![npm_install(&packages)],
        files: vite_project(
            "asgardeo-react-app",
            port,
            true,
            vec![
                file("index.html", "create", index.to_owned()),
                file("src/main.jsx", "create", main.to_owned()),
                file("src/App.jsx", "create", app.to_owned()),
            ],
        ),
        env: vite_env(facts, &redirect),
        run: "npm run dev".to_owned(),
        redirect: Some(redirect),
        notes: vec![
            "A public client: the SDK uses the authorization code flow with PKCE (S256); no secret is in the app.".to_owned(),
            "`internal_login` lets the SDK read the user's profile from /scim2/Me after sign-in.".to_owned(),
        ],
    }
}

fn nextjs(facts: &AppFacts) -> Written {
    let url = app_url(facts, "http://localhost:3000");
    let packages = vec![
        package("@asgardeo/nextjs", NEXTJS_SDK),
        package("next", NEXT),
        package("react", REACT),
        package("react-dom", REACT),
    ];
    let middleware = r#"import { asgardeoMiddleware } from "@asgardeo/nextjs/server";

export default asgardeoMiddleware();

export const config = {
  matcher: ["/((?!_next|[^?]*\\.(?:html?|css|js(?!on)|jpe?g|webp|png|gif|svg|ttf|woff2?|ico|csv|docx?|xlsx?|zip|webmanifest)).*)"],
};
"#;
    let layout = r#"import type { ReactNode } from "react";
import { AsgardeoProvider } from "@asgardeo/nextjs/server";

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body>
        <AsgardeoProvider>{children}</AsgardeoProvider>
      </body>
    </html>
  );
}
"#;
    let page = r#"import { SignedIn, SignedOut, SignInButton, SignOutButton, User } from "@asgardeo/nextjs";

export default function Home() {
  return (
    <main>
      <SignedOut>
        <SignInButton />
      </SignedOut>
      <SignedIn>
        <User>{(user) => <h1>Hello, {user?.displayName ?? user?.username}</h1>}</User>
        <SignOutButton />
      </SignedIn>
    </main>
  );
}
"#;
    Written {
        install: vec![
            format!("npx create-next-app@{NEXT} my-app --ts --app --no-tailwind --no-eslint"),
            npm_install(&packages),
        ],
        files: vec![
            file("middleware.ts", "create", middleware.to_owned()),
            file("app/layout.tsx", "replace", layout.to_owned()),
            file("app/page.tsx", "replace", page.to_owned()),
        ],
        env: vec![
            var("NEXT_PUBLIC_ASGARDEO_BASE_URL", &facts.base_url),
            var("NEXT_PUBLIC_ASGARDEO_CLIENT_ID", &client_id(facts)),
            var("NEXT_PUBLIC_ASGARDEO_AFTER_SIGN_IN_URL", &url),
            var("NEXT_PUBLIC_ASGARDEO_AFTER_SIGN_OUT_URL", &url),
            secret("ASGARDEO_CLIENT_SECRET"),
            EnvVar {
                name: "ASGARDEO_SECRET".to_owned(),
                value: "<a random string of 32 characters or more: the SDK signs its session cookie with it (openssl rand -base64 32)>".to_owned(),
                secret: true,
            },
        ],
        run: "npm run dev".to_owned(),
        redirect: Some(url),
        notes: vec!["Keep `.env.local` out of version control: it holds the client secret.".to_owned()],
    }
}

fn express(facts: &AppFacts) -> Written {
    let url = app_url(facts, "http://localhost:3000");
    let port = port_of(&url, 3000);
    let redirect = redirect_for(facts, &url, "/login");
    let route = path_of(&redirect);
    let packages = vec![
        package("@asgardeo/node", NODE_SDK),
        package("express", EXPRESS),
        package("cookie-parser", COOKIE_PARSER),
    ];
    let server = format!(
        r#"import crypto from "node:crypto";
import express from "express";
import cookieParser from "cookie-parser";
import {{ LegacyAsgardeoNodeClient }} from "@asgardeo/node";

const APP_URL = process.env.APP_URL;
const auth = new LegacyAsgardeoNodeClient();
await auth.initialize({{
  baseUrl: process.env.ASGARDEO_BASE_URL,
  clientId: process.env.ASGARDEO_CLIENT_ID,
  clientSecret: process.env.ASGARDEO_CLIENT_SECRET,
  afterSignInUrl: process.env.ASGARDEO_REDIRECT_URL,
  afterSignOutUrl: APP_URL,
  scopes: ["openid", "profile", "email"],
}});

const SESSION = "ASGARDEO_SESSION_ID";
const app = express();
app.use(cookieParser());

app.get("/", async (req, res) => {{
  const session = req.cookies[SESSION];
  if (session && (await auth.isSignedIn(session))) {{
    const user = await auth.getUser(session);
    const name = user.displayName || user.username;
    res.send(`<h1 id="greeting">Hello, ${{name}}</h1><a href="/logout">Sign out</a>`);
  }} else {{
    res.send(`<h1>Welcome</h1><a id="sign-in" href="{route}">Sign in</a>`);
  }}
}});

// Starts the sign-in, and is where the organization sends the browser back with the code.
app.get("{route}", async (req, res) => {{
  let session = req.cookies[SESSION];
  if (!session) {{
    session = crypto.randomUUID();
    res.cookie(SESSION, session, {{ httpOnly: true, sameSite: "lax" }});
  }}
  const {{ code, session_state, state }} = req.query;
  try {{
    const tokens = await auth.signIn((url) => res.redirect(url), session, code, session_state, state);
    if (tokens?.accessToken || tokens?.idToken) res.redirect("/");
  }} catch (err) {{
    res.status(500).send(`Sign-in failed: ${{err?.message ?? err}}`);
  }}
}});

app.get("/logout", async (req, res) => {{
  const session = req.cookies[SESSION];
  if (!session) return res.redirect("/");
  const url = await auth.signOut(session);
  res.clearCookie(SESSION);
  res.redirect(url);
}});

app.listen({port}, () => console.log(`listening on ${{APP_URL}}`));
"#
    );
    let package_json = r#"{
  "name": "asgardeo-express-app",
  "private": true,
  "type": "module",
  "scripts": { "start": "node --env-file=.env server.js" }
}
"#;
    Written {
        install: vec![npm_install(&packages)],
        files: vec![
            file("package.json", "create", package_json.to_owned()),
            file("server.js", "create", server),
        ],
        env: vec![
            var("APP_URL", &url),
            var("ASGARDEO_REDIRECT_URL", &redirect),
            var("ASGARDEO_BASE_URL", &facts.base_url),
            var("ASGARDEO_CLIENT_ID", &client_id(facts)),
            secret("ASGARDEO_CLIENT_SECRET"),
        ],
        run: "npm start".to_owned(),
        redirect: Some(redirect),
        notes: vec![
            format!("{route} both starts the sign-in and receives the code (the redirect URL)."),
            "Sign-out returns to APP_URL: register it as a redirect URL too (the server checks the return URL against them).".to_owned(),
            "The SDK keeps each user's tokens in memory by session id; give it a shared `Store` (second argument of `initialize`) when you run several instances.".to_owned(),
        ],
    }
}

fn browser(facts: &AppFacts) -> Written {
    let url = app_url(facts, "http://localhost:5173");
    let redirect = redirect_for(facts, &url, "");
    let port = port_of(&url, 5173);
    let packages = vec![
        package("@asgardeo/browser", BROWSER_SDK),
        package("vite", VITE),
    ];
    let main = r##"import { AsgardeoSPAClient } from "@asgardeo/browser";

const auth = AsgardeoSPAClient.getInstance();
await auth.initialize({
  clientId: import.meta.env.VITE_ASGARDEO_CLIENT_ID,
  baseUrl: import.meta.env.VITE_ASGARDEO_BASE_URL,
  afterSignInUrl: import.meta.env.VITE_ASGARDEO_AFTER_SIGN_IN_URL,
  afterSignOutUrl: import.meta.env.VITE_ASGARDEO_AFTER_SIGN_IN_URL,
  scopes: ["openid", "profile", "email"],
});

const root = document.getElementById("app");
// Completes the sign-in when the organization sends the browser back with a code.
const user = await auth.signIn({ callOnlyOnRedirect: true });
if (await auth.isSignedIn()) {
  const profile = user || (await auth.getUser());
  root.innerHTML = `<h1 id="greeting"></h1><button id="sign-out">Sign out</button>`;
  root.querySelector("#greeting").textContent = `Hello, ${profile.displayName || profile.username}`;
  root.querySelector("#sign-out").onclick = () => auth.signOut();
} else {
  root.innerHTML = `<button id="sign-in">Sign in</button>`;
  root.querySelector("#sign-in").onclick = () => auth.signIn();
}
"##;
    let index = r#"<!doctype html>
<html lang="en">
  <head><meta charset="UTF-8" /><title>Asgardeo sign-in</title></head>
  <body>
    <div id="app"></div>
    <script type="module" src="/main.js"></script>
  </body>
</html>
"#;
    Written {
        install: vec![npm_install(&packages)],
        files: vite_project(
            "asgardeo-browser-app",
            port,
            false,
            vec![
                file("index.html", "create", index.to_owned()),
                file("main.js", "create", main.to_owned()),
            ],
        ),
        env: vite_env(facts, &redirect),
        run: "npm run dev".to_owned(),
        redirect: Some(redirect),
        notes: vec!["A public client with PKCE: no secret is in the page.".to_owned()],
    }
}

fn python(facts: &AppFacts) -> Written {
    let url = app_url(facts, "http://localhost:5000");
    let redirect = redirect_for(facts, &url, "/callback");
    let route = path_of(&redirect);
    let packages = [package("asgardeo", PYTHON_SDK), package("flask", FLASK)];
    let app = r#"import asyncio
import os
import secrets
import urllib.parse

from flask import Flask, redirect, request, session

from asgardeo import AsgardeoConfig, AsgardeoTokenClient, generate_pkce_pair, generate_state

BASE_URL = os.environ["ASGARDEO_BASE_URL"]
CONFIG = AsgardeoConfig(
    base_url=BASE_URL,
    client_id=os.environ["ASGARDEO_CLIENT_ID"],
    client_secret=os.environ["ASGARDEO_CLIENT_SECRET"],
    redirect_uri=os.environ["ASGARDEO_REDIRECT_URI"],
    scope="openid profile email",
)

app = Flask(__name__)
app.secret_key = os.environ.get("FLASK_SECRET_KEY") or secrets.token_hex(32)


@app.get("/")
def home():
    user = session.get("user")
    if user:
        return f'<h1 id="greeting">Hello, {user}</h1><a href="/logout">Sign out</a>'
    return '<h1>Welcome</h1><a id="sign-in" href="/login">Sign in</a>'


@app.get("/login")
def login():
    verifier, challenge = generate_pkce_pair()
    state = generate_state()
    session["pkce"], session["state"] = verifier, state
    query = urllib.parse.urlencode({
        "response_type": "code",
        "client_id": CONFIG.client_id,
        "redirect_uri": CONFIG.redirect_uri,
        "scope": CONFIG.scope,
        "state": state,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    })
    return redirect(f"{BASE_URL}/oauth2/authorize?{query}")


async def exchange(code: str, verifier: str):
    async with AsgardeoTokenClient(CONFIG) as client:
        return await client.get_token("authorization_code", code=code, code_verifier=verifier)


@app.get(os.environ.get("ASGARDEO_CALLBACK_PATH", "/callback"))
def callback():
    if request.args.get("state") != session.pop("state", None):
        return "State mismatch: start the sign-in again.", 400
    if "error" in request.args:
        return f"Sign-in failed: {request.args.get('error_description', request.args['error'])}", 400
    token = asyncio.run(exchange(request.args["code"], session.pop("pkce", "")))
    session["id_token"] = token.id_token
    claims = token.id_token.split(".")[1]
    import base64, json
    payload = json.loads(base64.urlsafe_b64decode(claims + "=" * (-len(claims) % 4)))
    session["user"] = payload.get("given_name") or payload.get("username") or payload["sub"]
    return redirect("/")


@app.get("/logout")
def logout():
    id_token = session.get("id_token", "")
    session.clear()
    query = urllib.parse.urlencode({"id_token_hint": id_token, "post_logout_redirect_uri": os.environ["APP_URL"]})
    return redirect(f"{BASE_URL}/oidc/logout?{query}")
"#;
    Written {
        install: vec![format!(
            "python -m pip install {}",
            packages
                .iter()
                .map(|p| format!("{}=={}", p.name, p.version))
                .collect::<Vec<_>>()
                .join(" ")
        )],
        files: vec![file("app.py", "create", app.to_owned())],
        env: vec![
            var("APP_URL", &url),
            var("ASGARDEO_BASE_URL", &facts.base_url),
            var("ASGARDEO_CLIENT_ID", &client_id(facts)),
            var("ASGARDEO_REDIRECT_URI", &redirect),
            var("ASGARDEO_CALLBACK_PATH", &route),
            secret("ASGARDEO_CLIENT_SECRET"),
        ],
        run: format!("flask --app app run --port {}", port_of(&url, 5000)),
        redirect: Some(redirect),
        notes: vec![
            "Load the .env before `flask run` (for example `set -a; . ./.env; set +a`).".to_owned(),
        ],
    }
}

fn m2m(facts: &AppFacts) -> Written {
    let scopes = facts.api_scopes.join(" ");
    let token_url = format!("{}/oauth2/token", facts.base_url);
    let curl = "curl --fail-with-body -sS -u \"$ASGARDEO_CLIENT_ID:$ASGARDEO_CLIENT_SECRET\" \\\n  -d grant_type=client_credentials \\\n  --data-urlencode \"scope=$ASGARDEO_SCOPES\" \\\n  \"$ASGARDEO_TOKEN_URL\"\n";
    let node = r#"// Node.js 18 or later: no packages needed.
const response = await fetch(process.env.ASGARDEO_TOKEN_URL, {
  method: "POST",
  headers: {
    Authorization: "Basic " + Buffer.from(`${process.env.ASGARDEO_CLIENT_ID}:${process.env.ASGARDEO_CLIENT_SECRET}`).toString("base64"),
    "Content-Type": "application/x-www-form-urlencoded",
  },
  body: new URLSearchParams({ grant_type: "client_credentials", scope: process.env.ASGARDEO_SCOPES }),
});
if (!response.ok) throw new Error(`token request failed: ${response.status} ${await response.text()}`);
const { access_token, expires_in, scope } = await response.json();
console.log(`got a token for "${scope}", valid ${expires_in} s`);
// Cache it until shortly before it expires; send it as `Authorization: Bearer ${access_token}`.
"#;
    let mut notes = vec![
        "The token carries only scopes of APIs the application is authorized for (authorize_api)."
            .to_owned(),
    ];
    if scopes.is_empty() {
        notes.push("The application is authorized for no API yet: call authorize_api first, or the token will carry no API scopes.".to_owned());
    }
    Written {
        install: Vec::new(),
        files: vec![
            file(
                "get-token.sh",
                "create",
                format!("#!/bin/sh\nset -eu\n{curl}"),
            ),
            file("get-token.mjs", "create", node.to_owned()),
        ],
        env: vec![
            var("ASGARDEO_TOKEN_URL", &token_url),
            var("ASGARDEO_CLIENT_ID", &client_id(facts)),
            secret("ASGARDEO_CLIENT_SECRET"),
            var("ASGARDEO_SCOPES", &scopes),
        ],
        run: "set -a; . ./.env; set +a; sh get-token.sh".to_owned(),
        redirect: None,
        notes,
    }
}

fn mobile(facts: &AppFacts) -> Written {
    let redirect = facts
        .oauth
        .redirect_urls
        .first()
        .cloned()
        .unwrap_or_else(|| "com.example.app://oauth2redirect".to_owned());
    let scheme = redirect.split(':').next().unwrap_or_default().to_owned();
    let config = serde_json::json!({
        "issuer": format!("{}/oauth2/token", facts.base_url),
        "discoveryUri": format!("{}/oauth2/token/.well-known/openid-configuration", facts.base_url),
        "authorizationEndpoint": format!("{}/oauth2/authorize", facts.base_url),
        "tokenEndpoint": format!("{}/oauth2/token", facts.base_url),
        "endSessionEndpoint": format!("{}/oidc/logout", facts.base_url),
        "clientId": client_id(facts),
        "redirectUri": redirect,
        "scopes": ["openid", "profile", "email"],
        "usePKCE": true,
        "codeChallengeMethod": "S256",
    });
    Written {
        install: vec![
            "Android: implementation 'net.openid:appauth:0.11.1'".to_owned(),
            "iOS: pod 'AppAuth', '~> 1.7' (or Swift Package Manager: https://github.com/openid/AppAuth-iOS)".to_owned(),
            "React Native: npm install --save-exact react-native-app-auth@8.0.3".to_owned(),
        ],
        files: vec![file(
            "asgardeo-auth.json",
            "create",
            serde_json::to_string_pretty(&config).unwrap_or_default() + "\n",
        )],
        env: Vec::new(),
        run: String::new(),
        redirect: Some(redirect),
        notes: vec![
            format!("Register the `{scheme}` URL scheme for the app (Android: `manifestPlaceholders = [appAuthRedirectScheme: \"{scheme}\"]`; iOS: CFBundleURLTypes) so the browser returns to it."),
            "A public client: no secret in the app; AppAuth sends a PKCE S256 challenge.".to_owned(),
        ],
    }
}
