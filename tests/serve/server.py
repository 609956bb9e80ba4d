"""Starts `ivraie serve` on a free loopback port for the scripts beside it."""
import socket
import subprocess
import sys
import time
import urllib.request


def start(ivraie, scenario):
    """Returns the server's process and its base URL (`http://127.0.0.1:P`),
    once `/api/report` answers (the traffic has been read)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    server = subprocess.Popen([ivraie, "serve", scenario, "--bind", "127.0.0.1:%d" % port,
                               "--no-progress"], stderr=subprocess.DEVNULL)
    base = "http://127.0.0.1:%d" % port
    for _ in range(600):
        try:
            urllib.request.urlopen(base + "/api/report", timeout=2).read()
            return server, base
        except OSError:
            if server.poll() is not None:
                sys.exit("serve exited %d before answering" % server.returncode)
            time.sleep(0.2)
    server.kill()
    sys.exit("serve did not start")
