"""Free loopback ports for tests that start several servers at once.

free_ports(n) returns n different ports that were free a moment ago. Every
socket stays bound until all are chosen: asking one at a time, the kernel may
hand the same port out twice (CI once gave oauthd's admin API and the gateway
one port in docs.commands). Another process can still take a port before the
server binds it; the servers then fail with a clear "port in use" line.
"""

import socket


def free_ports(n):
    sockets = []
    try:
        for _ in range(n):
            s = socket.socket()
            sockets.append(s)
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()
