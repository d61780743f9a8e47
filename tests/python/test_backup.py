"""Backups and the restore drill with real processes: a live backup of a running dev node through
admin_backup, an offline one with `d6g-node backup`, each restored into a new directory with
`d6g-node restore`, where a node serves the same chain and goes on producing blocks."""
import json
import os
import subprocess
import tempfile

import pytest

from conftest import DEV_KEYS, DevNode, node_binary, signed_transfer
from eth_account import Account


def node_command(*arguments, check=True):
    result = subprocess.run([node_binary(), *arguments], capture_output=True, text=True, timeout=120)
    if check:
        assert result.returncode == 0, f"d6g-node {' '.join(arguments)}:\n{result.stdout}\n{result.stderr}"
    return result


def send_transfer(w3, value):
    raw = signed_transfer(w3, Account.from_key(DEV_KEYS[2]), value=value)
    return w3.eth.wait_for_transaction_receipt(w3.eth.send_raw_transaction(raw))


def test_live_and_offline_backups_restore_to_a_working_node():
    with tempfile.TemporaryDirectory(prefix="d6g-backup-") as base:
        datadir, backups = os.path.join(base, "dev"), os.path.join(base, "backups")
        node = DevNode(datadir, ["--backup-dir", backups]).start()
        try:
            w3 = node.web3()
            receipt = send_transfer(w3, 12_345)
            live = w3.provider.make_request("admin_backup", [])["result"]
            assert live["path"].startswith(backups) and int(live["headNumber"], 16) >= receipt.blockNumber
            manifest = json.loads(open(os.path.join(live["path"], "backup.json")).read())
            assert manifest["headHash"] == live["headHash"] and manifest["chainId"] == 1337
            # The stopped-node command refuses a running node's directory.
            refused = node_command("backup", "--datadir", datadir, "--out", os.path.join(base, "no"), check=False)
            assert refused.returncode != 0 and "in use by another d6g-node process" in refused.stderr
            send_transfer(w3, 1)
        finally:
            assert node.stop() == 0

        offline = os.path.join(base, "offline")
        printed = node_command("backup", "--datadir", datadir, "--out", offline).stdout
        assert "head" in printed and os.path.exists(os.path.join(offline, "chaindata"))
        again = node_command("backup", "--datadir", datadir, "--out", offline, check=False)
        assert again.returncode != 0 and "already exists" in again.stderr

        for backup, expected in ((live["path"], 12_345), (offline, 12_346)):
            restored_dir = os.path.join(base, "restored-" + os.path.basename(backup))
            node_command("restore", "--from", backup, "--datadir", restored_dir)
            restored = DevNode(restored_dir).start()
            try:
                w3 = restored.web3()
                assert w3.eth.get_balance("0x000000000000000000000000000000000000bEEF") == expected
                head = w3.eth.block_number
                send_transfer(w3, 1)
                assert w3.eth.block_number > head
            finally:
                assert restored.stop() == 0


def test_restore_refuses_what_it_cannot_trust():
    with tempfile.TemporaryDirectory(prefix="d6g-restore-") as base:
        not_a_backup = os.path.join(base, "empty")
        os.makedirs(not_a_backup)
        result = node_command("restore", "--from", not_a_backup, "--datadir", os.path.join(base, "a"), check=False)
        assert result.returncode != 0 and "is not a backup" in result.stderr

        datadir = os.path.join(base, "dev")
        DevNode(datadir).start().stop()
        backup = os.path.join(base, "backup")
        node_command("backup", "--datadir", datadir, "--out", backup)
        occupied = os.path.join(base, "occupied")
        os.makedirs(occupied)
        open(os.path.join(occupied, "something"), "w").write("x")
        result = node_command("restore", "--from", backup, "--datadir", occupied, check=False)
        assert result.returncode != 0 and "not empty" in result.stderr

        manifest_path = os.path.join(backup, "backup.json")
        manifest = json.loads(open(manifest_path).read())
        manifest["headNumber"] += 5
        open(manifest_path, "w").write(json.dumps(manifest))
        result = node_command("restore", "--from", backup, "--datadir", os.path.join(base, "b"), check=False)
        assert result.returncode != 0 and "damaged" in result.stderr


def test_admin_backup_is_off_unless_enabled_and_only_on_loopback(node, w3):
    assert w3.provider.make_request("admin_backup", [])["error"]["code"] == -32601
    result = node_command("dev", "--datadir", "/tmp/unused", "--rpc-addr", "0.0.0.0", "--backup-dir", "/tmp/b", check=False)
    assert result.returncode != 0 and "loopback" in result.stderr
