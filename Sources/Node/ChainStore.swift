// The chain as the node keeps it: typed reads of blocks, receipts, indexes and state, and
// `commit`, which writes everything one block changes in ONE atomic synced batch with the head
// pointer last (DESIGN.md §8, Docs/storage.md §Batch per block). After any crash the head names
// a block that is wholly there, and nothing past the head exists.
import ChainQueries
import Execution
import LedgerPrimitives
import LedgerTypes
import StateTrie
import StorageAPI

/// What the chain store needs of a database: reads, scans and atomic batches. `RocksDBStore`
/// and `MemoryStore` both are one.
public typealias ChainStorage = KeyValueReading & KeyValueScanning & BatchWriting

public enum ChainStoreError: Error, Equatable, Sendable, CustomStringConvertible {
    case storage(StorageError)
    /// The database holds no chain: run `d6g-node init` first.
    case notInitialized
    /// The database was initialised with another genesis file.
    case genesisMismatch(stored: Hash32, given: Hash32)
    /// A block the head pointer implies is missing or inconsistent: the database is damaged.
    case inconsistent(String)
    /// The database was initialised for another chain id.
    case chainIdMismatch(stored: UInt64, given: UInt64)
    /// A block that does not extend the head.
    case notNextBlock(head: ChainHead, block: UInt64, parent: Hash32)

    public var description: String {
        switch self {
        case .storage(let error): return error.description
        case .notInitialized:
            return "the data directory holds no chain; run `d6g-node init --genesis FILE --datadir DIR` first"
        case .genesisMismatch(let stored, let given):
            return "the data directory was initialised with another genesis (block 0 \(stored)); this genesis makes \(given). Use another --datadir, or remove the old one"
        case .chainIdMismatch(let stored, let given):
            return "the data directory holds chain id \(stored), the genesis says \(given); use another --datadir"
        case .inconsistent(let detail): return "the chain database is inconsistent: \(detail)"
        case .notNextBlock(let head, let number, let parent):
            return "block \(number) with parent \(parent) does not extend the head \(head.number) (\(head.hash))"
        }
    }
}

/// Typed access to the node's database. Every method blocks on storage: call it from the node's
/// own threads, never from the Swift concurrency pool (DESIGN.md §7). Safe from any thread.
public final class ChainStore: TrieNodeStore, CodeStore, Sendable {
    public let storage: any ChainStorage

    public init(storage: any ChainStorage) {
        self.storage = storage
    }

    // MARK: Head and genesis

    /// The committed head, or nil for an empty database.
    public func head() throws(ChainStoreError) -> ChainHead? {
        guard let bytes = try read(ChainSchema.MetadataKey.head, from: ChainSchema.metadata) else { return nil }
        do { return try ChainSchema.decodeHead(bytes) } catch {
            throw .storage(.corruptValue(table: ChainSchema.metadata.name, error))
        }
    }

    /// The hash of block 0 this database was initialised with.
    public func genesisHash() throws(ChainStoreError) -> Hash32? {
        guard let bytes = try read(ChainSchema.MetadataKey.genesisHash, from: ChainSchema.metadata) else { return nil }
        guard let hash = Hash32(bytes: bytes) else {
            throw .storage(.corruptValue(table: ChainSchema.metadata.name, .wrongLength(expected: 32, actual: bytes.count)))
        }
        return hash
    }

    /// The chain id this database was initialised with.
    public func chainId() throws(ChainStoreError) -> UInt64? {
        guard let bytes = try read(ChainSchema.MetadataKey.chainId, from: ChainSchema.metadata) else { return nil }
        do { return try RLP.decode(bytes).uint64() } catch {
            throw .storage(.corruptValue(table: ChainSchema.metadata.name, .malformed("chain id: \(error)")))
        }
    }

    /// Block 0's hash says nothing of the chain id, so both are compared.
    private func checkIdentity(genesisHash stored: Hash32, against genesis: Genesis, hash given: Hash32) throws(ChainStoreError) {
        guard stored == given else { throw .genesisMismatch(stored: stored, given: given) }
        if let storedChainId = try chainId(), storedChainId != genesis.chainId {
            throw .chainIdMismatch(stored: storedChainId, given: genesis.chainId)
        }
    }

    /// Writes block 0 and its state when the database is empty (one batch); on a database
    /// already initialised with the same genesis it changes nothing. Returns the head.
    @discardableResult
    public func initialize(with genesis: Genesis) throws(ChainStoreError) -> ChainHead {
        let (block, diff) = genesis.build()
        if let stored = try genesisHash() {
            try checkIdentity(genesisHash: stored, against: genesis, hash: block.hash)
            guard let head = try head() else { throw .inconsistent("a genesis hash but no head pointer") }
            return head
        }
        var batch = WriteBatch()
        batch.put(block.header, forKey: 0, in: ChainSchema.headers)
        batch.put(0, forKey: block.hash, in: ChainSchema.headerNumbers)
        batch.put(StoredBody(transactions: [], lastCommit: []), forKey: 0, in: ChainSchema.bodies)
        batch.put([], forKey: 0, in: ChainSchema.receipts)
        append(diff, to: &batch)
        batch.put(block.hash.bytes, forKey: ChainSchema.MetadataKey.genesisHash, in: ChainSchema.metadata)
        batch.put(RLP.Item.uint64(genesis.chainId).encoded, forKey: ChainSchema.MetadataKey.chainId, in: ChainSchema.metadata)
        batch.put(RLP.Item.uint64(ChainSchema.schemaVersion).encoded, forKey: ChainSchema.MetadataKey.schemaVersion,
                  in: ChainSchema.metadata)
        let head = ChainHead(number: 0, hash: block.hash)
        batch.put(ChainSchema.encodeHead(head), forKey: ChainSchema.MetadataKey.head, in: ChainSchema.metadata)
        do { try storage.commit(batch) } catch { throw .storage(error) }
        return head
    }

    /// Opens an initialised database for `genesis`: refuses an empty one and one made from
    /// another genesis file. Returns the head.
    public func open(expecting genesis: Genesis) throws(ChainStoreError) -> ChainHead {
        guard let stored = try genesisHash(), let head = try head() else { throw .notInitialized }
        try checkIdentity(genesisHash: stored, against: genesis, hash: genesis.build().block.hash)
        guard try header(number: head.number)?.hash == head.hash else {
            throw .inconsistent("the head pointer names block \(head.number) (\(head.hash)) but that header is not stored")
        }
        return head
    }

    // MARK: Commit

    /// Writes `block` (which must extend `head`), its senders, receipts, transaction index,
    /// the execution's new trie nodes and code, the certificate that committed it, and the new
    /// head pointer, as one synced batch. Returns the new head.
    @discardableResult
    public func commit(_ block: Block, transactions: [RecoveredTransaction], execution: BlockExecution,
                       certificate: [UInt8], onto head: ChainHead) throws(ChainStoreError) -> ChainHead {
        guard block.number == head.number + 1, block.header.parentHash == head.hash else {
            throw .notNextBlock(head: head, block: block.number, parent: block.header.parentHash)
        }
        let number = block.number
        let hash = block.hash
        var batch = WriteBatch()
        batch.reserveCapacity(6 + 2 * transactions.count + execution.diff.trieNodes.count + execution.diff.code.count)
        batch.put(block.header, forKey: number, in: ChainSchema.headers)
        batch.put(number, forKey: hash, in: ChainSchema.headerNumbers)
        batch.put(StoredBody(transactions: transactions, lastCommit: block.lastCommit), forKey: number, in: ChainSchema.bodies)
        batch.put(execution.transactions.map(StoredReceipt.init), forKey: number, in: ChainSchema.receipts)
        for (index, transaction) in transactions.enumerated() {
            batch.put(TransactionLocation(blockNumber: number, index: index), forKey: transaction.hash,
                      in: ChainSchema.transactionIndex)
        }
        append(execution.diff, to: &batch)
        batch.put(certificate, forKey: number, in: ChainSchema.certificates)
        let newHead = ChainHead(number: number, hash: hash)
        // Last, so a reader of the batch's operations sees the head move only with the rest.
        batch.put(ChainSchema.encodeHead(newHead), forKey: ChainSchema.MetadataKey.head, in: ChainSchema.metadata)
        do { try storage.commit(batch) } catch { throw .storage(error) }
        return newHead
    }

    private func append(_ diff: StateDiff, to batch: inout WriteBatch) {
        for (hash, node) in diff.trieNodes { batch.put(node, forKey: hash, in: ChainSchema.trieNodes) }
        for (hash, code) in diff.code { batch.put(code, forKey: hash, in: ChainSchema.code) }
    }

    // MARK: Blocks and receipts

    public func header(number: UInt64) throws(ChainStoreError) -> BlockHeader? {
        try read(number, from: ChainSchema.headers)
    }

    public func blockNumber(hash: Hash32) throws(ChainStoreError) -> UInt64? {
        try read(hash, from: ChainSchema.headerNumbers)
    }

    public func header(hash: Hash32) throws(ChainStoreError) -> BlockHeader? {
        guard let number = try blockNumber(hash: hash) else { return nil }
        return try header(number: number)
    }

    public func body(number: UInt64) throws(ChainStoreError) -> StoredBody? {
        try read(number, from: ChainSchema.bodies)
    }

    public func receipts(number: UInt64) throws(ChainStoreError) -> [StoredReceipt]? {
        try read(number, from: ChainSchema.receipts)
    }

    public func certificate(number: UInt64) throws(ChainStoreError) -> [UInt8]? {
        try read(number, from: ChainSchema.certificates)
    }

    public func transactionLocation(hash: Hash32) throws(ChainStoreError) -> TransactionLocation? {
        try read(hash, from: ChainSchema.transactionIndex)
    }

    /// The block at `number` with its recovered transactions, or nil.
    public func block(number: UInt64) throws(ChainStoreError) -> (block: Block, transactions: [RecoveredTransaction])? {
        guard let header = try header(number: number) else { return nil }
        guard let body = try body(number: number) else { throw .inconsistent("block \(number) has a header but no body") }
        return (Block(header: header, transactions: body.transactions.map(\.transaction), lastCommit: body.lastCommit),
                body.transactions)
    }

    // MARK: State

    /// The state after block `header` (its state root), read through the trie-node table.
    public func state(at header: BlockHeader) throws(ChainStoreError) -> TrieStateReader {
        do { return try TrieStateReader(stateRoot: header.stateRoot, nodes: self, codes: self) } catch {
            throw .inconsistent("state root \(header.stateRoot) of block \(header.number): \(error)")
        }
    }

    public func encodedNode(for hash: Hash32) throws(TrieError) -> [UInt8] {
        let node: [UInt8]?
        do { node = try storage.get(hash, from: ChainSchema.trieNodes) } catch { throw .storeFailure(error.description) }
        guard let node else { throw .missingNode(hash) }
        return node
    }

    public func code(withHash hash: Hash32) throws(StateError) -> [UInt8]? {
        do { return try storage.get(hash, from: ChainSchema.code) } catch { throw .codeStoreFailure(error.description) }
    }

    private func read<K, V>(_ key: K.Value, from table: Table<K, V>) throws(ChainStoreError) -> V.Value? {
        do { return try storage.get(key, from: table) } catch { throw .storage(error) }
    }
}
