"""Sends one SQL statement to the spark server (scripts/py/spark_server.py); prints its JSON answer."""
import json
import os
import socket
import sys

with socket.create_connection(("127.0.0.1", int(os.environ.get("FLOE_SPARK_PORT", "15002"))), timeout=600) as s:
    s.sendall((json.dumps({"sql": sys.argv[1]}) + "\n").encode())
    data = b""
    while not data.endswith(b"\n"):
        chunk = s.recv(1 << 16)
        if not chunk:
            break
        data += chunk
out = json.loads(data)
print(json.dumps(out))
sys.exit(1 if "error" in out else 0)
