"""Fixtures for the end-to-end fault scenarios (`make e2e`): local testnets of real `d6g-node run`
processes (tests/python/localnet.py), the fault proxy (proxy.py), the transfer load (load.py), a
seed per test and a way to print figures while pytest captures output.

The binary is $D6G_NODE_BIN, else .build/release/d6g-node, else .build/debug/d6g-node.
D6G_E2E_SEED=N repeats a run's random choices."""
import importlib.util
import os
import random
import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "python"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from load import TransferLoad  # noqa: E402
from localnet import LocalTestnet  # noqa: E402
from proxy import FaultProxy  # noqa: E402

# tests/python/conftest.py holds the development keys and finds the binary. It is loaded under its
# own name: this file is the module called `conftest` while these tests run.
_spec = importlib.util.spec_from_file_location("d6g_python_conftest", ROOT / "tests" / "python" / "conftest.py")
_python_conftest = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_python_conftest)
DEV_KEYS = _python_conftest.DEV_KEYS
node_binary = _python_conftest.node_binary


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    # Keeps each phase's report on the test item so fixtures can tell at teardown whether it failed.
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"report_{report.when}", report)


@pytest.fixture
def report(request):
    """Prints a line on the terminal as it happens (pytest captures print) and into the test's
    captured output, so the seed and the timings are there with -q and in a failure report."""
    terminal = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    name = request.node.name
    lines = []

    def say(text: str):
        print(text, flush=True)
        if terminal is not None and capture is not None:
            with capture.global_and_fixture_disabled():
                # The first line of a test starts below the progress dots of the ones before.
                terminal.write_line(("\n" if not lines else "") + f"[{name}] {text}")
        lines.append(text)
    return say


@pytest.fixture
def seed(report):
    value = int(os.environ.get("D6G_E2E_SEED") or random.SystemRandom().randrange(1, 2**31))
    report(f"seed {value} (D6G_E2E_SEED={value} repeats this run's choices)")
    return value


@pytest.fixture(scope="session")
def binary(tmp_path_factory):
    """A copy of the node binary taken when the session starts: a build that replaces
    .build/release/d6g-node mid-run must not restart half a network on other code (a changed
    genesis, say, makes a restarted node refuse its own data directory)."""
    copy = tmp_path_factory.mktemp("binary") / "d6g-node"
    shutil.copy2(node_binary(), copy)
    return str(copy)


@pytest.fixture
def testnet_factory(request, tmp_path, binary):
    """make(validators=4, followers=1, **LocalTestnet options) → a written, initialised but not
    started network under the test's temporary directory. Every node is stopped at teardown; if
    the test failed, each node's log tail is printed with it."""
    made = []

    def make(validators: int = 4, followers: int = 1, **options) -> LocalTestnet:
        net = LocalTestnet(str(tmp_path / f"testnet{len(made)}"), binary, validators, followers, **options)
        made.append(net)
        return net

    yield make
    failed = any(getattr(request.node, f"report_{phase}", None) is not None
                 and getattr(request.node, f"report_{phase}").failed for phase in ("setup", "call"))
    problems = []
    for net in made:
        if failed:
            print(f"logs of {net.root}:\n{net.log_tails(4000)}")
        # A node asked to stop must stop cleanly (exit 0), whatever the scenario did to it before.
        for index, code in net.stop().items():
            if code != 0:
                problems.append(f"node{index} of {net.root} " + ("did not stop within 15 s of SIGTERM" if code is None
                                                               else f"exited with {code} on SIGTERM"))
    if problems and not failed:
        pytest.fail("; ".join(problems) + "\n" + "\n".join(net.log_tails(2000) for net in made))


@pytest.fixture
def proxy_factory(seed):
    """make(avoid=ports) → a FaultProxy, closed at teardown."""
    made = []

    def make(avoid=()) -> FaultProxy:
        proxy = FaultProxy(seed=seed, avoid=avoid)
        made.append(proxy)
        return proxy

    yield make
    for proxy in made:
        proxy.close()


@pytest.fixture
def load_factory():
    """start(net, targets=None, **options) → a running TransferLoad, stopped at teardown."""
    started = []

    def start(net, targets=None, **options) -> TransferLoad:
        load = TransferLoad(net, DEV_KEYS, targets, **options).start()
        started.append(load)
        return load

    yield start
    for load in started:
        load.stop()
