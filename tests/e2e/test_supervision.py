"""`make run` under its supervisor: a process that dies is started again, the others go on.

Starts the single-machine run as `make run` does (bin/supervise on the Procfile, the
secrets in an env file) on private ports and a temporary data directory, then kills Rasa.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from tests.support.stack import BOT_PY, ROOT, ChatClient, Stack, wait_until

pytestmark = pytest.mark.e2e

# The target. Most of it is Rasa's own start (imports, then the model), which is
# slower on a slow or busy machine: where this run's cold start of Rasa takes more than
# RASA_BACK_WITHIN_S / RESTART_VS_COLD_START, the bound is that cold start times the
# factor. Either way, supervision itself may add next to nothing.
RASA_BACK_WITHIN_S = 30
RESTART_VS_COLD_START = 1.5
RESPAWNED_WITHIN_S = 5
NAMES = ("api", "internal", "rasa", "actions")  # the Procfile's processes
COMMANDS = {
    "api": "uvicorn",
    "internal": "api.internal_main",
    "rasa": "bot.serve",
    "actions": "actions.server",
}


def session_pids(session: int) -> set[int]:
    """Every process in the session the supervisor was started in (all it ever started)."""
    found = set()
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:  # gone meanwhile
            continue
        fields = stat.rsplit(")", 1)[1].split()  # after "(comm)": state ppid pgrp session
        if int(fields[3]) == session and fields[0] != "Z":
            found.add(int(pid))
    return found


def command_line(pid: int) -> str:
    return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")


@dataclass
class SupervisedRun:
    stack: Stack
    popen: subprocess.Popen
    output: Path
    rasa_cold_start_s: float = 0.0

    @property
    def config(self) -> Path:
        return self.stack.data_dir / "supervisord.conf"

    def status(self) -> dict[str, tuple[str, int | None]]:
        """{name: (state, pid)} as `supervisorctl status` reports them."""
        result = subprocess.run(
            [str(BOT_PY.with_name("supervisorctl")), "-c", str(self.config), "status"],
            capture_output=True,
            text=True,
            timeout=10,
        )
        states = {}
        for line in result.stdout.splitlines():
            if len(line.split()) < 2:
                continue
            name, state, *rest = line.split()
            pid = int(rest[1].rstrip(",")) if rest[:1] == ["pid"] else None
            states[name] = (state, pid)
        return states

    def pid(self, name: str) -> int:
        """The process's pid, in any state (0 while none runs)."""
        result = subprocess.run(
            [str(BOT_PY.with_name("supervisorctl")), "-c", str(self.config), "pid", name],
            capture_output=True,
            text=True,
            timeout=10,
        )
        return int(result.stdout.strip() or 0)

    def stop(self) -> None:
        """Ctrl-C, as a person at the terminal would; then nothing may be left, whatever
        happened."""
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGINT)
            try:
                self.popen.wait(45)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()
        for pid in session_pids(self.popen.pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


@pytest.fixture(scope="module")
def make_run():
    if not any((ROOT / "models").glob("*.tar.gz")):
        pytest.fail("no trained model in models/: run `make train` (make test does it)")
    stack = Stack()  # free ports, fresh secrets, a temporary data directory
    run = None
    try:
        env = stack.env()
        endpoints = stack.write_endpoints("rasa", env)
        stack.migrate()
        # The secrets reach the processes as under `make run`: from the env file only.
        env_file = stack.data_dir / "dev.env"
        env_file.write_text("".join(f"{name}={env.pop(name)}\n" for name in stack.secrets))
        env_file.chmod(0o600)
        env.update(
            API_HOST="127.0.0.1",
            API_PORT=str(stack.api_port),
            INTERNAL_API_PORT=str(stack.internal_api_port),
            RASA_PORT=str(stack.rasa_port),
            RASA_ENDPOINTS=str(endpoints),
        )
        output = stack.data_dir / "terminal.log"
        # Appending, as a terminal does: supervisord and the processes all write to it.
        with open(output, "ab") as terminal:
            popen = subprocess.Popen(
                [str(BOT_PY), "bin/supervise", "Procfile", str(env_file)],
                cwd=ROOT,
                env=env,
                stdout=terminal,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        run = SupervisedRun(stack, popen, output)
        started_at = time.monotonic()
        try:
            wait_until(lambda: rasa_ready(stack), 180, "rasa", popen)
            run.rasa_cold_start_s = time.monotonic() - started_at
            wait_until(
                lambda: (
                    requests.get(f"{stack.api_url}/readyz", timeout=5).ok
                    and requests.get(f"{stack.internal_api_url}/healthz", timeout=5).ok
                    and requests.get(f"{stack.actions_url}/health", timeout=5).ok
                ),
                60,
                "api, internal listener and action server",
                popen,
            )
        except (RuntimeError, TimeoutError) as exc:
            tail = output.read_text(errors="replace")[-4000:]
            raise AssertionError(f"{exc}; the terminal said:\n{tail}") from exc
        yield run
    finally:
        if run is not None:
            run.stop()
        shutil.rmtree(stack.data_dir, ignore_errors=True)


def rasa_ready(stack: Stack) -> bool:
    headers = {"Authorization": f"Bearer {stack.secrets['RASA_TOKEN']}"}
    try:
        return requests.get(
            f"{stack.rasa_url}/webhooks/gateway/ready", headers=headers, timeout=2
        ).ok
    except requests.RequestException:
        return False


def test_a_killed_rasa_is_started_again_and_answers_while_nothing_else_stops(make_run):
    stack = make_run.stack
    chat = ChatClient(stack.api_url)
    assert chat.say("hello")
    before = make_run.status()
    assert set(before) == set(NAMES) and all(s == "RUNNING" for s, _ in before.values()), before
    for name, (_, pid) in before.items():  # the supervisor watches the processes themselves
        assert COMMANDS[name] in command_line(pid), (name, command_line(pid))

    os.kill(before["rasa"][1], signal.SIGKILL)
    killed_at = time.monotonic()
    wait_until(
        lambda: make_run.pid("rasa") not in (0, before["rasa"][1]),
        RESPAWNED_WITHIN_S,
        "a new rasa process",
    )
    respawned_after = time.monotonic() - killed_at

    # Down: the user is told, in words, and what they typed is kept.
    response = chat.http.post(
        f"{stack.api_url}/api/v1/chat", json={"message": "are you there?"}, timeout=30
    )
    assert response.status_code == 503, response.text
    assert "can't reach its coach right now" in response.json()["detail"]
    turns = chat.get("/api/v1/me/conversation").json()["turns"]
    assert (turns[-1]["text"], turns[-1].get("undelivered")) == ("are you there?", True)

    bound = max(RASA_BACK_WITHIN_S, RESTART_VS_COLD_START * make_run.rasa_cold_start_s)
    wait_until(
        lambda: rasa_ready(stack), bound - (time.monotonic() - killed_at), "rasa after SIGKILL"
    )
    back_after = time.monotonic() - killed_at
    print(
        f"\nrasa: new process {respawned_after:.1f} s after SIGKILL, answering after "
        f"{back_after:.1f} s (its cold start in this run: {make_run.rasa_cold_start_s:.1f} s)"
    )
    assert back_after <= bound

    chat.say("hello")
    assert chat.last and "can't reach" not in chat.text(), chat.last
    after = make_run.status()
    for name in ("api", "internal", "actions"):
        assert after[name] == before[name], (name, before[name], after[name])
    assert after["rasa"][0] == "RUNNING" and after["rasa"][1] != before["rasa"][1]
    assert "bot.serve" in command_line(after["rasa"][1])


def test_ctrl_c_stops_every_process_and_each_log_line_names_its_process(make_run):
    supervised = session_pids(make_run.popen.pid)
    pids = {pid for _, pid in make_run.status().values()}
    assert pids <= supervised
    make_run.popen.send_signal(signal.SIGINT)
    assert make_run.popen.wait(45) == 0
    # sed, which puts the names in front, ends once it has written the last lines.
    wait_until(lambda: not session_pids(make_run.popen.pid), 10, "every process stopping")
    lines = make_run.output.read_text(errors="replace").splitlines()
    for name in NAMES:
        assert any(line.startswith(f"{name:<8} | ") for line in lines), name
