// The compiler's output (Docs/contract-dsl.md §Artifact): standard Ethereum ABI JSON, so that
// web3.py's `w3.eth.contract(abi=…)` works unchanged, the deploy payload and the runtime code,
// a source map, the storage layout and the compiler version. Encoded with sorted keys, so the
// same source always gives the same bytes.
import Foundation

public struct ABIParameter: Codable, Sendable, Equatable {
    public var name: String
    public var type: String
    public var indexed: Bool?

    public init(name: String, type: String, indexed: Bool? = nil) {
        self.name = name
        self.type = type
        self.indexed = indexed
    }
}

public struct ABIEntry: Codable, Sendable, Equatable {
    /// "function", "constructor", "event" or "error".
    public var type: String
    public var name: String?
    public var inputs: [ABIParameter]
    public var outputs: [ABIParameter]?
    public var stateMutability: String?
    public var anonymous: Bool?

    public init(type: String, name: String? = nil, inputs: [ABIParameter], outputs: [ABIParameter]? = nil,
                stateMutability: String? = nil, anonymous: Bool? = nil) {
        self.type = type
        self.name = name
        self.inputs = inputs
        self.outputs = outputs
        self.stateMutability = stateMutability
        self.anonymous = anonymous
    }
}

public struct StorageSlot: Codable, Sendable, Equatable {
    public var name: String
    /// The slot in decimal.
    public var slot: String
    public var type: String
}

public struct CompilerInfo: Codable, Sendable, Equatable {
    public var name: String
    public var version: String
}

public struct ContractArtifact: Codable, Sendable, Equatable {
    public var contractName: String
    public var abi: [ABIEntry]
    /// The deploy payload (init and runtime sections), hex with 0x; constructor arguments, ABI
    /// encoded, follow it in a deployment.
    public var bytecode: String
    /// The runtime container the chain stores.
    public var deployedBytecode: String
    /// "name(types)" → 4-byte selector in hex, for every function.
    public var methodIdentifiers: [String: String]
    public var sourceMap: [SourceMapEntry]
    public var storageLayout: [StorageSlot]
    public var compiler: CompilerInfo

    /// Pretty-printed JSON with sorted keys.
    public func jsonData() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(self)
    }

    public static func decode(_ data: Data) throws -> ContractArtifact {
        try JSONDecoder().decode(ContractArtifact.self, from: data)
    }
}
