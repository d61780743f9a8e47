"""The configuration file with a real `d6g-node`: settings come from it, flags win over it, and a
bad file stops the node with the key or line at fault before anything starts."""
import os
import subprocess
import tempfile

from conftest import DevNode, node_binary


def test_settings_come_from_the_file_and_flags_win():
    with tempfile.TemporaryDirectory(prefix="d6g-config-") as base:
        config = os.path.join(base, "node.toml")
        with open(config, "w") as out:
            out.write('[rpc]\naddr = "256.0.0.1"   # not an address: the flag below must win\n'
                      f'backup-dir = "{os.path.join(base, "backups")}"\n')
        node = DevNode(os.path.join(base, "dev"), ["--config", config, "--rpc-addr", "127.0.0.1"]).start()
        try:
            w3 = node.web3()
            assert w3.eth.chain_id == 1337
            # backup-dir from the file enables admin_backup there.
            backup = w3.provider.make_request("admin_backup", [])["result"]
            assert backup["path"].startswith(os.path.join(base, "backups"))
        finally:
            assert node.stop() == 0


def test_a_bad_file_stops_the_node_naming_the_key():
    with tempfile.TemporaryDirectory(prefix="d6g-config-") as base:
        for text, expected in (("[rpc]\nport = 70000\n", "rpc.port: 70000 is outside 0…65535"),
                               ("[rpc]\nprot = 1\n", "rpc.prot: unknown key"),
                               ("datadir = /tmp\n", "line 1: /tmp is not a value")):
            config = os.path.join(base, "bad.toml")
            with open(config, "w") as out:
                out.write(text)
            result = subprocess.run([node_binary(), "dev", "--datadir", os.path.join(base, "d"), "--config", config],
                                    capture_output=True, text=True, timeout=60)
            assert result.returncode != 0 and expected in result.stderr, result.stderr
            assert not os.path.exists(os.path.join(base, "d")), "nothing may be created before the file is read"
        missing = subprocess.run([node_binary(), "dev", "--config", os.path.join(base, "none.toml")],
                                 capture_output=True, text=True, timeout=60)
        assert missing.returncode != 0 and "cannot read the configuration file" in missing.stderr


def test_run_takes_its_data_directory_from_the_file():
    with tempfile.TemporaryDirectory(prefix="d6g-config-") as base:
        config = os.path.join(base, "node.toml")
        with open(config, "w") as out:
            out.write(f'datadir = "{os.path.join(base, "nowhere")}"\n')
        result = subprocess.run([node_binary(), "run", "--config", config], capture_output=True, text=True, timeout=60)
        assert result.returncode != 0 and "nowhere holds no chain" in result.stderr
        bare = subprocess.run([node_binary(), "run"], capture_output=True, text=True, timeout=60)
        assert bare.returncode != 0 and "no data directory" in bare.stderr
