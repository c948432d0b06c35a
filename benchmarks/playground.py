"""How fast the playground trains while it draws, and how soon it is ready.

    python benchmarks/playground.py

Starts ``deepzoo playground --no-browser`` as a user would and connects as the
page does (a WebSocket client with the page's Origin), measuring:

- ready: seconds from the command to the first frame received (page served,
  session built, first picture sent);
- with a 2-8-8-1 tanh network on the spiral (batch 10, SGD) playing for 10 s:
  training steps per second and frames per second received, each frame a 64 x 64
  output surface and a 16 x 16 map per hidden unit.

Targets: ready within 3 s on a warm numba cache; >= 2,000 steps/s at >= 15
frames/s. For comparison, the TensorFlow Playground redraws every 10 steps of
batch 10, in the browser.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
import urllib.request


def main(seconds=10.0):
    from websockets.sync.client import connect

    start = time.perf_counter()
    server = subprocess.Popen([sys.executable, "-m", "deepzoo", "playground", "--no-browser"],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        url = re.search(r"(http://127\.0\.0\.1:\d+/)", server.stdout.readline()).group(1)
        urllib.request.urlopen(url).read()  # the page
        host = url.split("//")[1].rstrip("/")
        settings = {"dataset": "spiral", "layers": [8, 8], "activation": "tanh", "batch_size": 10}
        with connect(f"ws://{host}/ws", origin=f"http://{host}") as socket:
            socket.send(json.dumps({"type": "settings", "settings": settings}))
            while json.loads(socket.recv())["type"] != "frame":
                pass
            ready = time.perf_counter() - start
            socket.send(json.dumps({"type": "play"}))
            first = json.loads(socket.recv())
            began, frames, last = time.perf_counter(), 0, first
            while time.perf_counter() - began < seconds:
                last = json.loads(socket.recv())
                frames += 1
            elapsed = time.perf_counter() - began
            socket.send(json.dumps({"type": "pause"}))
        steps = last["steps"] - first["steps"]
        print(f"ready (page served, first frame received): {ready:.2f} s after the command")
        print(f"2-8-8-1 tanh on the spiral, batch 10, for {elapsed:.1f} s: {steps / elapsed:,.0f} steps/s, "
              f"{frames / elapsed:.1f} frames/s ({len(json.dumps(last)):,} bytes a frame)")
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    main()
