"""A steady stream of transfers into a LocalTestnet while faults happen: one worker thread per
target node, each with its own development account (so the nonces it signs come from the one
node it talks to), signing with eth-account and sending through web3.py, then polling for the
receipts. Every transaction that got a receipt is recorded; the scenarios later require each of
them on every node."""
import threading
import time

from eth_account import Account
from web3 import Web3

from localnet import CHAIN_ID

RECIPIENT = Web3.to_checksum_address("0x000000000000000000000000000000000000beef")
# The testnet's base fee is fixed at 1 gwei (baseFeeFloats false in genesis): twice that always
# pays, and a transfer re-signed after a restart is then byte for byte the one sent before.
MAX_FEE = 2 * 10**9


class TransferLoad:
    def __init__(self, net, keys, targets=None, per_round: int = 3, receipt_timeout: float = 8.0):
        self.net = net
        self.targets = list(range(net.count) if targets is None else targets)
        assert len(self.targets) <= len(keys), "one account per target node"
        self.accounts = {index: Account.from_key(keys[n]) for n, index in enumerate(self.targets)}
        self.per_round = per_round
        self.receipt_timeout = receipt_timeout
        self.lock = threading.Lock()
        self.receipted = {}   # tx hash (0x-hex) → block number of its first receipt seen
        self.failed = {}      # tx hash → a receipt whose status is not 1
        self.sent = 0
        self.errors = 0
        self.last_error = None
        self.stop_event = threading.Event()
        self.threads = [threading.Thread(target=self._work, args=(index,), daemon=True, name=f"load-node{index}")
                        for index in self.targets]

    def start(self) -> "TransferLoad":
        for thread in self.threads:
            thread.start()
        return self

    def stop(self):
        self.stop_event.set()
        for thread in self.threads:
            thread.join(timeout=30)

    def receipted_hashes(self) -> list:
        with self.lock:
            return list(self.receipted)

    def count(self) -> int:
        with self.lock:
            return len(self.receipted)

    def summary(self) -> str:
        with self.lock:
            return (f"{self.sent} sent, {len(self.receipted)} receipted, {len(self.failed)} failed, "
                    f"{self.errors} send/poll errors (last: {self.last_error})")

    def _work(self, index: int):
        account = self.accounts[index]
        w3 = self.net.web3(index)
        while not self.stop_event.is_set():
            if not self.net.running(index):
                time.sleep(0.1)
                continue
            try:
                # The node's own view: after a restart its pool is empty and it re-signs from the chain.
                nonce = w3.eth.get_transaction_count(account.address, "pending")
                hashes = []
                for k in range(self.per_round):
                    signed = account.sign_transaction({
                        "chainId": CHAIN_ID, "nonce": nonce + k, "to": RECIPIENT, "value": 1, "gas": 21_000,
                        "maxFeePerGas": MAX_FEE, "maxPriorityFeePerGas": 0})
                    hashes.append(signed.hash.to_0x_hex())
                    try:
                        w3.eth.send_raw_transaction(signed.raw_transaction)
                    except Exception as error:
                        # The same bytes sent before this node restarted may still wait in a peer's
                        # pool and come back by gossip; any other refusal ends the round.
                        if "already known" not in str(error):
                            raise
                with self.lock:
                    self.sent += len(hashes)
                self._await_receipts(index, hashes)
            except Exception as error:
                with self.lock:
                    self.errors += 1
                    self.last_error = repr(error)[:200]
                time.sleep(0.2)

    def _await_receipts(self, index: int, hashes: list):
        deadline = time.time() + self.receipt_timeout
        waiting = list(hashes)
        while waiting and time.time() < deadline and not self.stop_event.is_set():
            asked = index if self.net.running(index) else next(iter(self.net.running_nodes()), None)
            if asked is None:
                return
            answers = self.net.batch(asked, [("eth_getTransactionReceipt", [h]) for h in waiting], timeout=10)
            still = []
            for tx_hash, receipt in zip(waiting, answers):
                if isinstance(receipt, dict):
                    with self.lock:
                        if receipt["status"] == "0x1":
                            self.receipted.setdefault(tx_hash, int(receipt["blockNumber"], 16))
                        else:
                            self.failed[tx_hash] = receipt
                else:
                    still.append(tx_hash)
            waiting = still
            if waiting:
                time.sleep(0.2)
