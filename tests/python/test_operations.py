"""Operations with a real node: the Prometheus endpoint parsed with prometheus_client's own parser
(height, mempool, rejects by reason, RPC latency per method, block times, database size), and
JSON log lines, one object per line with stable field names."""
import json
import os
import re
import tempfile
import urllib.request

import pytest
from eth_account import Account
from prometheus_client.parser import text_string_to_metric_families
from web3.exceptions import Web3RPCError

from conftest import DEV_KEYS, DevNode, signed_transfer


@pytest.fixture(scope="module")
def observed():
    with tempfile.TemporaryDirectory(prefix="d6g-ops-") as base:
        node = DevNode(os.path.join(base, "dev"), ["--metrics-port", "0", "--log-format", "json"]).start()
        try:
            yield node
        finally:
            assert node.stop() == 0


def scrape(node):
    url = re.findall(r'"metrics listening","address":"(http://[0-9.:]+/metrics)"', node.log())[-1]
    with urllib.request.urlopen(url, timeout=10) as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
        text = response.read().decode()
    samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def test_metrics_follow_the_chain_the_pool_and_rpc(observed):
    w3 = observed.web3()
    raw = signed_transfer(w3, Account.from_key(DEV_KEYS[1]))
    receipt = w3.eth.wait_for_transaction_receipt(w3.eth.send_raw_transaction(raw))
    with pytest.raises(Web3RPCError):
        w3.eth.send_raw_transaction(raw)                     # nonce too low now
    assert w3.provider.make_request("no_such_method", [])["error"]["code"] == -32601

    samples = scrape(observed)
    assert samples[("d6g_chain_height", ())] >= receipt.blockNumber
    assert samples[("d6g_transactions_committed_total", ())] >= 1
    assert samples[("d6g_blocks_committed_total", ())] >= receipt.blockNumber
    assert samples[("d6g_mempool_pending", ())] == 0
    rejected = {labels: value for (name, labels), value in samples.items() if name == "d6g_mempool_rejected_total"}
    assert rejected.get((("reason", "already_known"),), 0) + rejected.get((("reason", "nonce_too_low"),), 0) >= 1
    assert samples[("d6g_rpc_unknown_method_total", ())] >= 1
    assert samples[("d6g_rpc_request_duration_seconds_count", (("method", "eth_sendRawTransaction"),))] >= 2
    assert samples[("d6g_rpc_request_duration_seconds_count", (("method", "eth_getTransactionReceipt"),))] >= 1
    assert not any(labels == (("method", "no_such_method"),) for (_, labels) in samples), "unknown names never become labels"
    assert samples[("d6g_block_commit_seconds_count", ())] >= 1
    assert samples[("d6g_consensus_height_seconds_count", ())] >= receipt.blockNumber
    assert samples[("d6g_consensus_rounds_per_height_count", ())] >= receipt.blockNumber
    # One validator signs every certificate: it never misses one.
    assert not any(name == "d6g_consensus_missed_precommits_total" for (name, _) in samples)
    assert samples[("d6g_db_size_bytes", ())] > 0


def test_log_lines_are_json_objects_with_stable_fields(observed):
    # The log file also holds the dev banner (stdout); the log lines are the rest.
    lines = [line for line in observed.log().splitlines() if line.strip() and not line.startswith((" ", "d6g-node dev", "chain id",
                                                                                                   "funded", "validator"))]
    events = [json.loads(line) for line in lines]          # every log line parses on its own
    assert all(list(event)[:3] == ["time", "level", "message"] for event in events)
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", event["time"]) for event in events)
    committed = [event for event in events if event["message"] == "committed block"]
    assert committed and {"number", "hash", "transactions", "gasUsed", "round", "buildMs", "commitMs"} <= set(committed[-1])
    opened = next(event for event in events if event["message"] == "opened the chain")
    assert opened["chainId"] == "1337" and opened["level"] == "info"


def test_the_dashboard_and_scrape_config_name_what_the_node_exports(observed):
    """Docs/grafana-dashboard.json queries only metrics the node serves (docs stay true)."""
    from conftest import ROOT
    dashboard = json.loads((ROOT / "Docs" / "grafana-dashboard.json").read_text())
    # Labelled counters exist once used: make sure one rejection happened.
    w3 = observed.web3()
    raw = signed_transfer(w3, Account.from_key(DEV_KEYS[4]), nonce=0)
    for _ in range(2):
        try:
            w3.eth.send_raw_transaction(raw)
        except Web3RPCError:
            pass
    exported = {name for (name, _) in scrape(observed)}
    queried = set()
    for panel in dashboard["panels"]:
        for target in panel["targets"]:
            queried |= set(re.findall(r"\b(d6g_[a-z_]+)", target["expr"]))
    assert queried and queried <= exported, f"not exported: {sorted(queried - exported)}"
    assert "d6g-node" in (ROOT / "Docs" / "prometheus.yml").read_text()


def test_idle_metrics_connections_are_capped(observed):
    """Connections that send nothing cannot pile up: past 16 the endpoint closes them at once."""
    import socket
    url = re.findall(r'"metrics listening","address":"http://([0-9.]+):([0-9]+)/metrics"', observed.log())[-1]
    held = []
    try:
        for _ in range(24):
            held.append(socket.create_connection((url[0], int(url[1])), timeout=5))
        refused = 0
        for connection in held[16:]:
            connection.settimeout(5)
            try:
                refused += connection.recv(1) == b""
            except (ConnectionResetError, socket.timeout):
                refused += 1
        assert refused == 8
    finally:
        for connection in held:
            connection.close()
    time_left = 50
    while time_left:                                     # the endpoint serves again once they are gone
        try:
            scrape(observed)
            break
        except OSError:
            time_left -= 1
            import time
            time.sleep(0.1)
    assert scrape(observed)[("d6g_chain_height", ())] >= 1

