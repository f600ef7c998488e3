"""A private nginx for the tests: a master and its workers, loopback only, on
a port nobody else holds, its configuration, pid file, logs and temporary
files in a directory of its own, nothing of /etc/nginx or /var read or written.

The master runs in the foreground (daemon off), so its PID is ours to trace
and to wait for; the workers are its children. Readiness is a reply to a GET
and every worker forked, never a sleep.
"""
import http.client
import os
import shutil
import signal
import subprocess
import tempfile
import time

import host_processes
from redis_server import free_port

NGINX = "nginx"
START_TIMEOUT_S = 30
REPLY_TIMEOUT_S = 30
BODY = "memstacks busy host\n"

CONFIG = """\
daemon off;
master_process on;
worker_processes {workers};
pid {directory}/nginx.pid;
error_log {directory}/error.log notice;
events {{ worker_connections 64; }}
http {{
    access_log off;
    client_body_temp_path {directory}/client_body;
    proxy_temp_path {directory}/proxy;
    fastcgi_temp_path {directory}/fastcgi;
    uwsgi_temp_path {directory}/uwsgi;
    scgi_temp_path {directory}/scgi;
    server {{
        listen 127.0.0.1:{port};
        location / {{ return 200 "{body}"; }}
    }}
}}
"""


class NginxServer:
    """nginx's master and `workers` workers, stopped by stop()."""

    def __init__(self, workers=4):
        if not shutil.which(NGINX):
            raise AssertionError("nginx is missing: scripts/install-deps.sh tests installs "
                                 "nginx-light")
        self.workers = workers
        self.directory = tempfile.mkdtemp(prefix="memstacks-nginx-")
        self.port = free_port()
        config = os.path.join(self.directory, "nginx.conf")
        with open(config, "w") as f:
            f.write(CONFIG.format(workers=workers, directory=self.directory, port=self.port,
                                  body=BODY.replace("\n", "\\n")))
        # -e: the log of what goes wrong before the configuration is read.
        self.process = subprocess.Popen(
            [NGINX, "-p", self.directory, "-c", config, "-e",
             os.path.join(self.directory, "error.log")],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.pid = self.process.pid
        try:
            self.wait_ready()
        except AssertionError:
            self.stop()
            raise

    def worker_pids(self):
        return host_processes.children(self.pid)

    def wait_ready(self):
        deadline = time.monotonic() + START_TIMEOUT_S
        while len(self.worker_pids()) < self.workers or not self.answers():
            if self.process.poll() is not None:
                raise AssertionError(f"nginx exited with {self.process.returncode}: {self.log()}")
            if time.monotonic() > deadline:
                raise AssertionError(f"nginx not ready within {START_TIMEOUT_S} s: {self.log()}")
            time.sleep(0.05)    # polling for the workers and the first reply, not standing in

    def get(self):
        """(status, body) of a GET /; OSError if nothing answers."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=REPLY_TIMEOUT_S)
        try:
            connection.request("GET", "/")
            reply = connection.getresponse()
            return reply.status, reply.read().decode()
        finally:
            connection.close()

    def answers(self):
        try:
            return self.get() == (200, BODY)
        except OSError:
            return False

    def log(self):
        return host_processes.log_tail(os.path.join(self.directory, "error.log"))

    def stop(self):
        """A fast shutdown (SIGTERM: the master ends its workers, then itself), or a
        kill if it does not come; its directory removed."""
        workers = [host_processes.identify(pid) for pid in self.worker_pids()
                   if os.path.exists(f"/proc/{pid}")]
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            host_processes.wait_or_kill(self.process, REPLY_TIMEOUT_S)
        try:
            host_processes.wait_gone(workers)
        finally:
            shutil.rmtree(self.directory, ignore_errors=True)
