"""A small real SMTP server for tests: it listens on a loopback port, speaks enough SMTP for
Django's smtp backend (EHLO, MAIL, RCPT, DATA, RSET, NOOP, QUIT), and records each message it
accepts. `hold(predicate, seconds)` makes it wait before accepting matching messages (a slow
server); a client that hangs up while a message is held never gets it accepted, as with a real
server. Separate processes (commands, a Celery worker) reach it with
EMAIL_URL=smtp://127.0.0.1:<port>."""
from __future__ import annotations

import email
import select
import socket
import socketserver
import threading
import time
from dataclasses import dataclass, field
from email.message import Message


@dataclass
class Accepted:
    message: Message
    at: float


@dataclass
class State:
    accepted: list[Accepted] = field(default_factory=list)
    received: threading.Event = field(default_factory=threading.Event)  # any DATA arrived
    holds: list = field(default_factory=list)  # (predicate(message) -> bool, seconds)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _peer_gone(sock: socket.socket) -> bool:
    readable, _, _ = select.select([sock], [], [], 0)
    if not readable:
        return False
    try:
        return sock.recv(1, socket.MSG_PEEK) == b""
    except OSError:
        return True


class Handler(socketserver.StreamRequestHandler):
    def reply(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")
        self.wfile.flush()

    def handle(self):
        state: State = self.server.state
        self.reply("220 test.smtp.example ESMTP")
        while True:
            line = self.rfile.readline()
            if not line:
                return
            command = line.strip().upper()
            if command.startswith((b"EHLO", b"HELO")):
                self.reply("250 test.smtp.example")
            elif command.startswith((b"MAIL", b"RCPT", b"RSET", b"NOOP")):
                self.reply("250 OK")
            elif command == b"DATA":
                self.reply("354 End data with <CR><LF>.<CR><LF>")
                self.receive(state)
            elif command == b"QUIT":
                self.reply("221 Bye")
                return
            else:
                self.reply("502 Command not implemented")

    def receive(self, state: State) -> None:
        lines = []
        while True:
            line = self.rfile.readline()
            if not line or line == b".\r\n":
                break
            lines.append(line[1:] if line.startswith(b"..") else line)
        if not line:
            return
        message = email.message_from_bytes(b"".join(lines))
        state.received.set()
        delay = max((seconds for predicate, seconds in list(state.holds) if predicate(message)), default=0)
        deadline = time.monotonic() + delay
        while time.monotonic() < deadline:
            if _peer_gone(self.connection):
                return  # the client died before we accepted: the message was never delivered
            time.sleep(0.05)
        with state.lock:
            state.accepted.append(Accepted(message, time.time()))
        self.reply("250 OK queued")


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


class SmtpServer:
    def __init__(self):
        self.state = State()
        self.server = _Server(("127.0.0.1", 0), Handler)
        self.server.state = self.state
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def hold(self, predicate, seconds: float) -> None:
        self.state.holds.append((predicate, seconds))

    def release(self) -> None:
        self.state.holds.clear()

    def messages(self) -> list[Message]:
        with self.state.lock:
            return [a.message for a in self.state.accepted]

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


class SilentServer:
    """A mail server that accepts every connection and never says a word (not even its greeting):
    a hung server. Each client waits for its timeout. `connections` counts who came."""

    def __init__(self):
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.held: list[socket.socket] = []
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._accept, daemon=True)

    def _accept(self):
        self.listener.settimeout(0.2)
        while not self.stopped.is_set():
            try:
                client, _ = self.listener.accept()
            except (TimeoutError, OSError):
                continue
            self.held.append(client)  # kept open and silent

    @property
    def connections(self) -> int:
        return len(self.held)

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.listener.getsockname()[1]}"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stopped.set()
        self.thread.join(5)
        for client in self.held:
            client.close()
        self.listener.close()
