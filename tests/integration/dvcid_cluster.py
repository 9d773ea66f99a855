"""dvcid_cluster: the real dvcid processes spread over the hosts of a dvcid_netns.Network,
each host with its own configuration file, data directory and SMS sink, all talking
ZeroMQ over tcp between the hosts' addresses (Python 3 standard library only).

A Cluster is a dvcid_stack.Stack (same checks: every process must exit 0 on SIGTERM with
no sanitizer report, the temp dir is kept and the logs' tails printed on a failure), whose
processes are named by label ("b.account-svc.0.1") and each runs inside its host:

    with Network(["a", "b", "c"]) as net:
        cl = Cluster(net, gateway_host="a")       # base config as Stack's
        cl.configure("b", account={...})          # host b's dvcid.conf = base + this
        cl.add("b.account-svc", "b", "account-svc", args=["--shard", "0"])
        ...
        with cl:                                  # starts in add() order, waits for /readyz
            cl.register()                         # the test reaches the gateway in host a
"""

import copy
import http.client
import os
import threading
import time

from dvcid_stack import Stack, die_with_parent, write_config

class _NetnsHTTPConnection(http.client.HTTPConnection):
    """An HTTP connection whose socket is made inside a host of the network."""

    def __init__(self, net, host, address, port, timeout):
        super().__init__(address, port, timeout=timeout)
        self._net, self._from = net, host

    def connect(self):
        self.sock = self._net.connect(self._from, (self.host, self.port), self.timeout)


def _code(body):
    error = body.get("error") if isinstance(body, dict) else None
    return error.get("code") if isinstance(error, dict) else None


class Cluster(Stack):
    """Processes on the hosts of net; the gateway of gateway_host serves the test."""

    def __init__(self, net, gateway_host, config=None, **overrides):
        """config: the base configuration of every host ({section: {key: value}}; by
        default Stack's); overrides ({"otp": {"ttl": 3}}) go over it."""
        super().__init__(**overrides)
        if config is not None:
            self.config = copy.deepcopy(config)
            for section, keys in overrides.items():
                self.config.setdefault(section, {}).update(keys)
        self.net = net
        self.preexec = die_with_parent  # a killed test leaves no service behind
        self.gateway_host = gateway_host
        # The gateway listens where its config says, inside its host; the test connects
        # from inside that host too.
        self.http_host, port = self.config["gateway"]["listen"].rsplit(":", 1)
        self.port = int(port)
        self.order = []
        self.where = {}  # label -> (host, service, extra argv)
        self.host_config = {}  # host -> its config dict
        self.host_config_path = {}
        self.in_doubt = None  # see request()
        self.doubt_lock = threading.Lock()

    def host_dir(self, host):
        return os.path.join(self.tmp, host)

    def configure(self, host, moves=None, **sections):
        """Writes host's dvcid.conf: the base config with every path under a key of moves
        moved under host_dir(host)/<its value> (default: Stack's var dir to "var"), then
        sections ({"otp": {"endpoint": ...}}) over it. Returns its path."""
        moves = moves or {self.var: "var"}
        config = copy.deepcopy(self.config)
        for keys in config.values():
            for key, value in keys.items():
                value = str(value)
                for old, new in moves.items():
                    if value == old or value.startswith(old + "/"):
                        keys[key] = os.path.join(self.host_dir(host), new) + value[len(old):]
        for section, keys in sections.items():
            config.setdefault(section, {}).update(keys)
        os.makedirs(self.host_dir(host), exist_ok=True)
        path = os.path.join(self.host_dir(host), "dvcid.conf")
        write_config(path, config)
        self.host_config[host] = config
        self.host_config_path[host] = path
        return path

    def add(self, label, host, service, args=()):
        """One process of service on host (started in the order of add()); args are
        extra flags after --config."""
        assert host in self.host_config, "configure(%r) first" % host
        assert label not in self.where, label
        self.where[label] = (host, service, list(args))
        self.order.append(label)

    def labels(self, service=None, host=None):
        return [lb for lb in self.order if (service is None or self.where[lb][1] == service)
                and (host is None or self.where[lb][0] == host)]

    def data_dir(self, host, sub):
        """The LMDB directory of a service on host (<storage.dir>/<sub>)."""
        return os.path.join(self.host_config[host]["storage"]["dir"], sub)

    # ---- Stack's hooks ----------------------------------------------------------------

    def command(self, name):
        host, service, args = self.where[name]
        return self.net.wrap(host, [self.binaries[service], "--config",
                                    self.host_config_path[host]] + args)

    def log_path(self, name):
        return os.path.join(self.tmp, name + ".log")

    def connection(self, timeout):
        return _NetnsHTTPConnection(self.net, self.gateway_host, self.http_host, self.port,
                                    timeout)

    def request(self, method, path, **kw):
        """Stack.request. While self.in_doubt is a list, each answer 503 "unavailable" (a
        request caught in flight by a fault: done once or not at all, the service cannot
        tell which) is recorded there as (thread id, method, path, time)."""
        r = super().request(method, path, **kw)
        if self.in_doubt is not None and r.status == 503 and _code(r.body) == "unavailable":
            with self.doubt_lock:
                self.in_doubt.append((threading.get_ident(), method, path, time.monotonic()))
        return r

    def sinks(self):
        hosts = sorted({self.where[lb][0] for lb in self.labels("sms-worker")})
        return [self.host_config[h]["sms"]["file"] for h in hosts]

    def start_all(self):
        """Starts each process once the one before it said it is ready (its loop runs),
        then waits for the gateway's /readyz."""
        for name in self.order:
            self.start(name)
            self.wait_log(name, "%s ready" % self.where[name][1])
        self.wait_ready()

    def wait_log(self, name, text, timeout=20):
        """Waits until the log of process name holds text; raises with its tail if it
        ends or the time passes first."""
        deadline = time.monotonic() + timeout
        while text not in self.log(name):
            if self.procs[name].poll() is not None or time.monotonic() > deadline:
                raise AssertionError("%s: no %r in its log within %d s (%s)\n%s" % (
                    name, text, timeout, "ended" if self.procs[name].poll() is not None
                    else "running", self.logs_tail()))
            time.sleep(0.05)

    def log(self, name):
        with open(self.log_path(name), "rb") as f:
            return f.read().decode("utf-8", "replace")
