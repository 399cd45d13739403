#!/usr/bin/python3
# Test support for tests/support/s3_server.sh: a single-node OpenStack Swift with s3api, run
# from Debian's python3-swift without touching /etc. Subcommands:
#
#   s3_swift.py init INSTANCE_DIR       configs, rings (1 replica) and storage for a new instance
#   s3_swift.py serve INSTANCE_DIR NAME runs one server (proxy|account|container|object) in the
#                                       foreground; the script records its PID
#   s3_swift.py ready INSTANCE_DIR SECS waits until a write through every server works; exit 0/1
#
# Swift reads /etc/swift/swift.conf (hash prefix/suffix, storage policies) when its utils module
# is imported; `serve` points it at INSTANCE_DIR/etc before any server code runs, and replaces
# the syslog handler (there is no /dev/log here) by a plain file handler.
import json
import logging
import os
import socket
import sys
import time
import urllib.error
import urllib.request

ACCESS_KEY = "test:tester"  # tempauth: account "test", user "tester"
SECRET_KEY = "testing"
REGION = "us-east-1"
BUCKET = "civic-test"       # created by `ready`, so tests find it there
SERVERS = ("account", "container", "object", "proxy")


def free_ports(n):
    socks = []
    try:
        for _ in range(n):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind(("127.0.0.1", 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def write(path, text):
    with open(path, "w") as f:
        f.write(text)


def init(inst):
    etc = os.path.join(inst, "etc")
    node = os.path.join(inst, "srv", "node")
    os.makedirs(etc, exist_ok=True)
    os.makedirs(os.path.join(node, "d1"), exist_ok=True)
    os.makedirs(os.path.join(inst, "log"), exist_ok=True)
    os.makedirs(os.path.join(inst, "run"), exist_ok=True)
    ports = dict(zip(SERVERS, free_ports(len(SERVERS))))
    write(os.path.join(inst, "ports.json"), json.dumps(ports))
    write(os.path.join(etc, "swift.conf"),
          "[swift-hash]\nswift_hash_path_prefix = civicsnap-test\n"
          "swift_hash_path_suffix = civicsnap-test\n\n"
          "[storage-policy:0]\nname = Policy-0\ndefault = yes\n")
    common = ("[DEFAULT]\nbind_ip = 127.0.0.1\nbind_port = {port}\nworkers = 0\n"
              "user = {user}\nswift_dir = {etc}\ndevices = {node}\nmount_check = false\n"
              "log_level = WARNING\n")
    import pwd
    user = pwd.getpwuid(os.getuid()).pw_name
    for name in ("account", "container", "object"):
        write(os.path.join(etc, name + "-server.conf"),
              common.format(port=ports[name], user=user, etc=etc, node=node) +
              "\n[pipeline:main]\npipeline = {0}-server\n\n"
              "[app:{0}-server]\nuse = egg:swift#{0}\n".format(name))
    write(os.path.join(etc, "proxy-server.conf"),
          common.format(port=ports["proxy"], user=user, etc=etc, node=node) +
          "\n[pipeline:main]\n"
          "pipeline = catch_errors gatekeeper healthcheck proxy-logging cache listing_formats "
          "s3api tempauth copy proxy-logging proxy-server\n\n"
          "[app:proxy-server]\nuse = egg:swift#proxy\naccount_autocreate = true\n\n"
          "[filter:catch_errors]\nuse = egg:swift#catch_errors\n\n"
          "[filter:gatekeeper]\nuse = egg:swift#gatekeeper\n\n"
          "[filter:healthcheck]\nuse = egg:swift#healthcheck\n\n"
          "[filter:proxy-logging]\nuse = egg:swift#proxy_logging\n\n"
          "[filter:cache]\npaste.filter_factory = s3_swift:cache_filter_factory\n\n"
          "[filter:listing_formats]\nuse = egg:swift#listing_formats\n\n"
          "[filter:s3api]\nuse = egg:swift#s3api\nlocation = " + REGION + "\n"
          "allow_multipart_uploads = false\n\n"
          "[filter:tempauth]\nuse = egg:swift#tempauth\n"
          "user_test_tester = " + SECRET_KEY + " .admin\n\n"
          "[filter:copy]\nuse = egg:swift#copy\n")
    # Rings: one device, one replica, 2^6 partitions.
    from swift.common.ring import RingBuilder
    for name in ("account", "container", "object"):
        b = RingBuilder(6, 1, 1)
        b.add_dev({"id": 0, "region": 1, "zone": 1, "ip": "127.0.0.1", "port": ports[name],
                   "device": "d1", "weight": 100.0, "meta": ""})
        b.rebalance()
        b.get_ring().save(os.path.join(etc, name + ".ring.gz"))


class _Cache(object):
    """What tempauth and the proxy need of memcache, in the proxy's own (single) process."""

    def __init__(self):
        self.items = {}

    def _live(self, key):
        item = self.items.get(key)
        if item is not None and item[1] and item[1] < time.time():
            del self.items[key]
            return None
        return item

    def get(self, key, raise_on_error=False, **kwargs):
        item = self._live(key)
        return None if item is None else json.loads(item[0])

    def set(self, key, value, serialize=True, time=0, min_compress_len=0, raise_on_error=False,
            **kwargs):
        import time as _t
        expires = 0
        if time:
            expires = time if time > 30 * 24 * 3600 else _t.time() + time
        self.items[key] = (json.dumps(value), expires)

    def incr(self, key, delta=1, time=0, **kwargs):
        item = self._live(key)
        value = (json.loads(item[0]) if item else 0) + delta
        self.set(key, value, time=time)
        return value

    def decr(self, key, delta=1, time=0, **kwargs):
        return self.incr(key, -delta, time)

    def delete(self, key, server_key=None, **kwargs):
        self.items.pop(key, None)

    def get_multi(self, keys, server_key, **kwargs):
        return [self.get(k) for k in keys]

    def set_multi(self, mapping, server_key, serialize=True, time=0, min_compress_len=0, **kwargs):
        for k, v in mapping.items():
            self.set(k, v, time=time)


def cache_filter_factory(global_conf, **local_conf):
    cache = _Cache()

    def factory(app):
        def middleware(env, start_response):
            env["swift.cache"] = cache
            return app(env, start_response)
        return middleware
    return factory


def serve(inst, name):
    etc = os.path.join(inst, "etc")
    log_path = os.path.join(inst, "log", name + ".log")

    class FileLogHandler(logging.FileHandler):
        def __init__(self, *args, **kwargs):
            logging.FileHandler.__init__(self, log_path)

    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # for the cache filter
    from swift.common import utils
    utils.ThreadSafeSysLogHandler = FileLogHandler
    utils.set_swift_dir(etc)
    from swift.common import constraints, storage_policy
    storage_policy.reload_storage_policies()
    constraints.reload_constraints()
    from swift.common.wsgi import run_wsgi
    sys.exit(run_wsgi(os.path.join(etc, name + "-server.conf"), name + "-server"))


def ready(inst, seconds):
    """Polls until tempauth issues a token and a container and an object can be written through
    the proxy (so all four servers answer); creates the test bucket on the way."""
    with open(os.path.join(inst, "ports.json")) as f:
        port = json.load(f)["proxy"]
    base = "http://127.0.0.1:%d" % port
    # Straight to the loopback port, whatever http_proxy the environment sets.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    deadline = time.time() + seconds
    last = ""
    while time.time() < deadline:
        try:
            req = urllib.request.Request(base + "/auth/v1.0", headers={
                "X-Auth-User": ACCESS_KEY, "X-Auth-Key": SECRET_KEY})
            with opener.open(req, timeout=5) as r:
                token = r.headers["X-Auth-Token"]
                url = r.headers["X-Storage-Url"]
            for method, path, body in (("PUT", "/" + BUCKET, b""),
                                       ("PUT", "/" + BUCKET + "/.ready", b"ok"),
                                       ("DELETE", "/" + BUCKET + "/.ready", None)):
                req = urllib.request.Request(url + path, data=body, method=method,
                                             headers={"X-Auth-Token": token})
                opener.open(req, timeout=5).close()
            return 0
        except (urllib.error.URLError, OSError, KeyError) as e:
            last = str(e)
            time.sleep(0.1)
    sys.stderr.write("s3_swift: not ready after %s s (%s)\n" % (seconds, last))
    return 1


if __name__ == "__main__":
    cmd = sys.argv[1] if len(sys.argv) > 1 else ""
    if cmd == "init" and len(sys.argv) == 3:
        init(sys.argv[2])
    elif cmd == "serve" and len(sys.argv) == 4 and sys.argv[3] in SERVERS:
        serve(sys.argv[2], sys.argv[3])
    elif cmd == "ready" and len(sys.argv) == 4:
        sys.exit(ready(sys.argv[2], float(sys.argv[3])))
    else:
        sys.stderr.write(__doc__ if __doc__ else "usage: s3_swift.py init|serve|ready ...\n")
        sys.exit(2)
