"""The Python integration guide, proven: its pinned packages install, its app compiles, and the
Flask app signs the sandbox's user in (PKCE, code exchange with the client secret through the
`asgardeo` SDK), driven by Flask's test client while the login form is submitted over HTTP."""

import importlib.util
import py_compile
import re
import shlex
import subprocess
import sys
import urllib.parse

import anyio
from mcp import Client, StdioServerParameters

APP_URL = "http://127.0.0.1:5000"


async def guide_for(binary, env):
    async with Client(StdioServerParameters(command=binary, env=env)) as client:
        created = await client.call_tool(
            "create_webapp_with_ssr",
            {"application_name": "Flask App", "redirect_url": f"{APP_URL}/callback"},
        )
        assert not created.is_error, created.content[0].text
        assert "`python`" in created.structured_content["next_step"]
        guide = await client.call_tool(
            "get_integration_guide", {"application_name": "Flask App", "framework": "python"}
        )
        assert not guide.is_error, guide.content[0].text
        return created.structured_content, guide.structured_content


def test_the_python_guide_installs_compiles_and_signs_a_user_in(binary, server_env, sandbox, tmp_path, monkeypatch):
    created, guide = anyio.run(guide_for, binary, server_env)
    assert guide["ready"], guide["checks"]

    # The guide's own install command, into this interpreter.
    words = shlex.split(guide["install"][0])
    assert words[:3] == ["python", "-m", "pip"]
    subprocess.run([sys.executable, *words[1:], "--quiet", "--disable-pip-version-check"], check=True, timeout=600)

    for file in guide["files"]:
        path = tmp_path / file["path"]
        path.write_text(file["contents"])
        py_compile.compile(str(path), doraise=True)
    for line in guide["env_file"].splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.partition("=")
            monkeypatch.setenv(name, created["client_secret"] if name == "ASGARDEO_CLIENT_SECRET" else value)
    spec = importlib.util.spec_from_file_location("guide_app", tmp_path / "app.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    app = module.app.test_client()

    import httpx  # installed with `asgardeo`, by the guide's install command

    assert "Sign in" in app.get("/").get_data(as_text=True)
    start = app.get("/login")
    assert start.status_code == 302
    authorize = start.headers["Location"]
    assert authorize.startswith(f"{sandbox['BASE_URL']}/oauth2/authorize")
    with httpx.Client(follow_redirects=False) as browser:
        page = browser.get(authorize)
        assert page.status_code == 200, page.text
        key = re.search(r'name="sessionDataKey" value="([^"]+)"', page.text).group(1)
        back = browser.post(
            f"{sandbox['BASE_URL']}/commonauth",
            data={"sessionDataKey": key, "username": "admin@sandbox.test", "password": "Sandbox-Admin-1"},
        )
    assert back.status_code == 302, back.text
    callback = urllib.parse.urlsplit(back.headers["Location"])
    assert f"{callback.scheme}://{callback.netloc}{callback.path}" == f"{APP_URL}/callback"
    done = app.get(f"{callback.path}?{callback.query}")
    assert done.status_code == 302, done.get_data(as_text=True)
    assert "Hello, Sandbox" in app.get("/").get_data(as_text=True)
