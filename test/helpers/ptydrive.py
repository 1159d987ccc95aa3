#!/usr/bin/env python3
# Drives a command on a pseudo-terminal for the interactive tests: argv[1]
# is a JSON object {"cmd": [...], "cwd": "...", "steps": [[expect, send, delay?], ...],
# "timeout": seconds}. For each step it reads until the regex `expect`
# appears in the output since the previous match (null: no wait), then
# writes `send` (null: nothing), after `delay` seconds if given. It prints the whole transcript and exits
# 0, or 3 naming the step whose text never came, within the timeout.
import fcntl, json, os, pty, re, select, signal, struct, sys, termios, time

spec = json.loads(sys.argv[1])
pid, fd = pty.fork()
if pid == 0:
    os.chdir(spec.get("cwd", "."))
    os.execvp(spec["cmd"][0], spec["cmd"])

# A 100-column terminal, so that wrapping is testable.
fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 100, 0, 0))

out = b""
mark = 0
deadline = time.time() + spec.get("timeout", 60)

def read_some(wait):
    global out
    r, _, _ = select.select([fd], [], [], wait)
    if r:
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            return False
        if not chunk:
            return False
        out += chunk
    return True

status = 0
for i, step in enumerate(spec["steps"]):
    expect, send = step[0], step[1]
    delay = step[2] if len(step) > 2 else 0
    if expect is not None:
        rx = re.compile(expect.encode(), re.S)
        while True:
            m = rx.search(out, mark)
            if m:
                mark = m.end()
                break
            if time.time() > deadline or not read_some(0.2):
                sys.stdout.write(out.decode("utf-8", "replace"))
                sys.stdout.write("\n[pty: step %d never saw %r]\n" % (i, expect))
                os.kill(pid, signal.SIGKILL)
                sys.exit(3)
    if delay:
        end = time.time() + delay
        while time.time() < end:
            read_some(0.05)
    if send is not None:
        os.write(fd, send.encode())
# Drain what follows (the command's exit).
end = time.time() + 5
while time.time() < end and read_some(0.2):
    pass
try:
    os.kill(pid, signal.SIGKILL)
except ProcessLookupError:
    pass
sys.stdout.write(out.decode("utf-8", "replace"))
