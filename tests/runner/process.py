"""Running a boot (QEMU, Bochs, or a fake kernel in the runner's own
tests): the output is streamed line by line as it comes, a wall-clock limit
is enforced, and the run can be ended early once a marker line appears."""
import os
import selectors
import signal
import subprocess
import time


class Run:
    def __init__(self, status, output, timed_out, seconds):
        self.status = status  # exit status, None when killed
        self.output = output
        self.timed_out = timed_out
        self.seconds = seconds


def run(command, timeout, echo=None, stop_when=None, stdin=None, cwd=None, env=None):
    """Runs command (a list), streaming stdout+stderr to echo(line).
    stop_when(line) returning True ends the process early (status None).
    env, when given, is the whole environment of the command. Returns a Run."""
    start = time.monotonic()
    process = subprocess.Popen(command, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT,
                               stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
                               cwd=cwd, env=env, start_new_session=True)
    if stdin is not None:
        process.stdin.write(stdin)
        process.stdin.close()
    selector = selectors.DefaultSelector()
    selector.register(process.stdout, selectors.EVENT_READ)
    chunks, partial = [], b""
    timed_out = stopped = False
    while True:
        remaining = timeout - (time.monotonic() - start)
        if remaining <= 0:
            timed_out = True
            break
        if not selector.select(timeout=min(remaining, 0.5)):
            if process.poll() is not None:
                break
            continue
        data = os.read(process.stdout.fileno(), 65536)
        if not data:
            break
        chunks.append(data)
        partial += data
        *lines, partial = partial.split(b"\n")
        for raw in lines:
            line = raw.decode("utf-8", "replace").rstrip("\r")
            if echo:
                echo(line)
            if stop_when and stop_when(line):
                stopped = True
        if stopped:
            break
    if partial and echo:
        echo(partial.decode("utf-8", "replace").rstrip("\r"))
    if timed_out or stopped:
        _kill(process)
    status = process.wait() if not (timed_out or stopped) else None
    selector.close()
    output = b"".join(chunks).decode("utf-8", "replace").replace("\r", "")
    return Run(status, output, timed_out, time.monotonic() - start)


def _kill(process):
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait()
