"""A minimal Language Server Protocol client: drives the real yaml-language-server over stdio.

VS Code's « YAML » extension (Red Hat) runs this same server; what it reports here is
what a référent sees in her editor: diagnostics (underlined mistakes) and completion.
"""

from __future__ import annotations

import json
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

SERVER = Path(__file__).parent / "node_modules" / "yaml-language-server" / "bin" / "yaml-language-server"


def _yaml_settings(workspace: Path) -> dict[str, Any]:
    """Return the `yaml` settings VS Code sends: its defaults here, then the workspace's `.vscode/settings.json`."""
    settings: dict[str, Any] = {"validate": True, "completion": True, "hover": True, "schemaStore": {"enable": False}}
    path = workspace / ".vscode" / "settings.json"
    if path.is_file():
        for key, value in json.loads(path.read_text(encoding="utf-8")).items():
            if key.startswith("yaml."):
                settings[key.removeprefix("yaml.")] = value
    return settings


class YamlLanguageServer:
    """One yaml-language-server process, opened on a workspace folder."""

    def __init__(self, workspace: Path, locale: str = "fr") -> None:
        self.settings = _yaml_settings(workspace)
        self.process = subprocess.Popen(["node", str(SERVER), "--stdio"], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        self.next_id = 0
        self.responses: dict[int, Any] = {}
        self.diagnostics: dict[str, list[dict[str, Any]]] = {}
        self.versions: dict[str, int] = {}
        self.lock = threading.Condition()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        self.request("initialize", {"processId": None, "rootUri": workspace.as_uri(), "locale": locale,
                                    "capabilities": {"textDocument": {"completion": {"completionItem": {
                                        "documentationFormat": ["markdown", "plaintext"]}}}},
                                    "workspaceFolders": [{"uri": workspace.as_uri(), "name": "depot"}]})
        self.notify("initialized", {})
        self.notify("workspace/didChangeConfiguration", {"settings": {"yaml": self.settings}})

    # ------------------------------------------------------------ protocol

    def _send(self, message: dict[str, Any]) -> None:
        body = json.dumps(message).encode("utf-8")
        assert self.process.stdin is not None
        self.process.stdin.write(f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
        self.process.stdin.flush()

    def _read(self) -> None:
        stream = self.process.stdout
        assert stream is not None
        while True:
            length = 0
            while True:
                line = stream.readline()
                if not line:
                    return
                if line in (b"\r\n", b"\n"):
                    break
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            message = json.loads(stream.read(length))
            with self.lock:
                if "id" in message and "method" not in message:
                    self.responses[message["id"]] = message
                elif message.get("method") == "textDocument/publishDiagnostics":
                    params = message["params"]
                    self.diagnostics[params["uri"]] = params["diagnostics"]
                elif "id" in message:  # a request from the server (configuration, …): what VS Code answers
                    result: Any = None
                    if message["method"] == "workspace/configuration":
                        result = [self.settings if item.get("section") == "yaml" else {}
                                  for item in message["params"]["items"]]
                    self._send({"jsonrpc": "2.0", "id": message["id"], "result": result})
                self.lock.notify_all()

    def request(self, method: str, params: dict[str, Any], timeout: float = 30) -> Any:
        """Send a request and wait for its answer."""
        with self.lock:
            self.next_id += 1
            ident = self.next_id
        self._send({"jsonrpc": "2.0", "id": ident, "method": method, "params": params})
        with self.lock:
            if not self.lock.wait_for(lambda: ident in self.responses, timeout):
                raise TimeoutError(f"yaml-language-server n'a pas répondu à {method}")
            return self.responses.pop(ident).get("result")

    def notify(self, method: str, params: dict[str, Any]) -> None:
        """Send a notification (no answer)."""
        self._send({"jsonrpc": "2.0", "method": method, "params": params})

    # ------------------------------------------------------------ what an editor does

    def open(self, path: Path, text: str | None = None, timeout: float = 30) -> list[dict[str, Any]]:
        """Open (or change) a file as the editor would; return the diagnostics it gets."""
        uri = path.resolve().as_uri()
        text = path.read_text(encoding="utf-8") if text is None else text
        with self.lock:
            self.diagnostics.pop(uri, None)
        if uri in self.versions:
            self.versions[uri] += 1
            self.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": self.versions[uri]},
                                                   "contentChanges": [{"text": text}]})
        else:
            self.versions[uri] = 1
            self.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "yaml",
                                                                  "version": 1, "text": text}})
        deadline = time.monotonic() + timeout
        with self.lock:
            if not self.lock.wait_for(lambda: uri in self.diagnostics, max(0.0, deadline - time.monotonic())):
                raise TimeoutError(f"aucun diagnostic publié pour {path}")
            return self.diagnostics[uri]

    def complete(self, path: Path, line: int, character: int) -> list[dict[str, Any]]:
        """Return the completion items at a 0-based position of an opened file."""
        result = self.request("textDocument/completion", {"textDocument": {"uri": path.resolve().as_uri()},
                                                          "position": {"line": line, "character": character}})
        return result.get("items", []) if isinstance(result, dict) else (result or [])

    def close(self) -> None:
        """Shut the server down."""
        try:
            self.request("shutdown", {}, timeout=10)
            self.notify("exit", {})
            self.process.wait(timeout=10)
        except (TimeoutError, OSError, subprocess.TimeoutExpired):
            self.process.kill()
            self.process.wait(timeout=10)
        self.reader.join(timeout=10)
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None:
                stream.close()
