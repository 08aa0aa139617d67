"""The sample deployment: the Kubernetes manifest validates against the Kubernetes 1.37 schemas
(strict: no unknown fields), and what it runs works: the binary accepts the container's
arguments and environment, and the probes' paths answer (bound to 127.0.0.1 here, port 0)."""

import json
import os
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
MANIFEST = ROOT / "deploy" / "kubernetes.yaml"


def test_the_manifest_validates_strictly_against_the_kubernetes_schemas():
    done = subprocess.run(
        [str(Path(os.sys.executable).parent / "kubernetes-validate"), "--strict", "--quiet", str(MANIFEST)],
        capture_output=True, text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_container_runs_as_the_manifest_says_and_its_probes_answer(binary, sandbox):
    documents = list(yaml.safe_load_all(MANIFEST.read_text()))
    config = next(d for d in documents if d["kind"] == "ConfigMap")["data"]
    deployment = next(d for d in documents if d["kind"] == "Deployment")
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    args = list(container["args"])
    # Tests bind loopback only, on a free port.
    args[args.index("--bind") + 1] = "127.0.0.1"
    args[args.index("--port") + 1] = "0"
    env = {"PATH": os.environ.get("PATH", ""), **config, **sandbox}
    server = subprocess.Popen([binary, *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        line = server.stdout.readline()
        assert "listening on" in line, line
        address = line.split()[2]
        # The public URL the ConfigMap names is the resource the metadata announces.
        metadata = json.load(urllib.request.urlopen(f"http://{address}/.well-known/oauth-protected-resource"))
        assert metadata["resource"] == config["ASGARDEO_MCP_PUBLIC_URL"] + "/mcp"
        for probe in ("readinessProbe", "livenessProbe"):
            path = container[probe]["httpGet"]["path"]
            with urllib.request.urlopen(f"http://{address}{path}") as answer:
                assert answer.status == 200, (probe, path)
    finally:
        server.terminate()
        assert server.wait(timeout=40) == 0, "SIGTERM (what Kubernetes sends) ends the server cleanly"
