"""Talking to a booted kernel over its serial console: QEMU runs with
-serial stdio, this module reads what the kernel prints and writes what a
user would type, one command at a time after each prompt (process.run
writes all of stdin at once, which a shell must not depend on).

    with Session(command, timeout=120, echo=print) as s:
        s.expect("veil> ")
        s.send("stats\n")
        s.expect("veil> ")
"""
import os
import selectors
import signal
import subprocess
import time


class SessionError(Exception):
    pass


class Session:
    def __init__(self, command, timeout, echo=None):
        self.deadline = time.monotonic() + timeout
        self.echo = echo
        self.output = ""     # everything read, CRs dropped
        self.position = 0    # where the next expect() starts looking
        self.status = None
        self._partial = ""
        self.process = subprocess.Popen(command, stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE,
                                        stderr=subprocess.STDOUT,
                                        start_new_session=True)
        self.selector = selectors.DefaultSelector()
        self.selector.register(self.process.stdout, selectors.EVENT_READ)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _read(self, wait):
        """Reads what is there (waiting at most wait seconds); False at EOF."""
        if not self.selector.select(timeout=wait):
            return self.process.poll() is None
        data = os.read(self.process.stdout.fileno(), 65536)
        if not data:
            return False
        text = data.decode("utf-8", "replace").replace("\r", "")
        self.output += text
        if self.echo:
            *lines, self._partial = (self._partial + text).split("\n")
            for line in lines:
                self.echo(line)
        return True

    def expect(self, marker, timeout=None):
        """Waits until marker appears after the last match; returns the text
        up to and including it. SessionError on timeout or exit."""
        limit = self.deadline if timeout is None else min(
            self.deadline, time.monotonic() + timeout)
        while True:
            found = self.output.find(marker, self.position)
            if found >= 0:
                text = self.output[self.position:found + len(marker)]
                self.position = found + len(marker)
                return text
            remaining = limit - time.monotonic()
            if remaining <= 0:
                raise SessionError(f"timed out waiting for {marker!r}")
            if not self._read(min(remaining, 0.5)):
                raise SessionError(f"QEMU ended before {marker!r} appeared")

    def send(self, text):
        """Types text, a byte at a time as a terminal would send it."""
        self.send_bytes(text.encode())

    def send_bytes(self, data):
        """Sends raw bytes (control bytes, bytes above 0x7f) one at a time."""
        for byte in data:
            self.process.stdin.write(bytes([byte]))
            self.process.stdin.flush()

    def wait(self, timeout=30):
        """Reads until QEMU exits; returns its exit status (None if it had
        to be killed)."""
        limit = min(self.deadline, time.monotonic() + timeout)
        while time.monotonic() < limit:
            if not self._read(min(limit - time.monotonic(), 0.5)):
                break
        try:
            self.status = self.process.wait(timeout=max(0.1, limit - time.monotonic()))
        except subprocess.TimeoutExpired:
            self.close()
        return self.status

    def close(self):
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.process.wait()
        self.selector.close()
