// Ethereum value codecs: quantities, data, addresses, hashes and block selectors, valid and
// invalid, with geth's messages; and the typed params accessors that wrap them.
import LedgerJSON
import LedgerPrimitives
import RPCServer
import Testing

@Suite("Ethereum codecs")
struct EthereumCodecTests {
    @Test("quantities encode without leading zeros")
    func quantityEncoding() {
        #expect(EthereumHex.quantity(UInt64(0)) == "0x0")
        #expect(EthereumHex.quantity(UInt64(0x400)) == "0x400")
        #expect(EthereumHex.quantity(UInt64.max) == "0xffffffffffffffff")
        #expect(EthereumHex.quantity(UInt256.zero) == "0x0")
        #expect(EthereumHex.quantity(UInt256(limb0: 1, limb1: 0, limb2: 0, limb3: 0x10)) ==
            "0x10" + String(repeating: "0", count: 47) + "1")
        #expect(EthereumHex.quantity(UInt256.max) == "0x" + String(repeating: "f", count: 64))
    }

    @Test("valid quantities decode")
    func quantityDecoding() throws {
        #expect(try UInt64(rpcParam: "0x0") == 0)
        #expect(try UInt64(rpcParam: "0x1") == 1)
        #expect(try UInt64(rpcParam: "0xDEADbeef") == 0xdead_beef)
        #expect(try UInt64(rpcParam: "0Xff") == 255)
        #expect(try UInt64(rpcParam: "0xffffffffffffffff") == .max)
        #expect(try UInt256(rpcParam: .string("0x1" + String(repeating: "0", count: 63))) == UInt256(limb0: 0, limb1: 0, limb2: 0, limb3: 1 << 60))
        #expect(try UInt256(rpcParam: "0x123456789abcdef0123") == UInt256(limb0: 0x4567_89ab_cdef_0123, limb1: 0x123, limb2: 0, limb3: 0))
        for value: UInt64 in [0, 1, 15, 16, 255, 256, 0xffff_ffff, .max] {
            #expect(try UInt64(rpcParam: .quantity(value)) == value)
        }
    }

    /// Each invalid quantity and geth's message for it.
    static let invalidQuantities: [(JSONValue, String)] = [
        ("0x", "hex string \"0x\""),
        ("", "hex string without 0x prefix"),
        ("0", "hex string without 0x prefix"),
        ("12", "hex string without 0x prefix"),
        ("x1", "hex string without 0x prefix"),
        ("0x00", "hex number with leading zero digits"),
        ("0x01", "hex number with leading zero digits"),
        ("0xg", "invalid hex string"),
        ("0x1 ", "invalid hex string"),
        (" 0x1", "hex string without 0x prefix"),
        ("0x-1", "invalid hex string"),
        ("0x10000000000000000", "hex number > 64 bits"),
        (1, "expected a hex string"),
        (.null, "expected a hex string"),
        (["0x1"], "expected a hex string"),
    ]

    @Test("invalid quantities are refused with geth's messages")
    func invalidQuantityCatalogue() {
        for (value, message) in Self.invalidQuantities {
            #expect(throws: EthereumDecodingError(message), "\(value)") { try UInt64(rpcParam: value) }
        }
        #expect(throws: EthereumDecodingError("hex number > 256 bits")) { try UInt256(rpcParam: .string("0x1" + String(repeating: "0", count: 64))) }
        #expect(throws: EthereumDecodingError("hex number with leading zero digits")) { try UInt256(rpcParam: "0x0001") }
    }

    @Test("data: even hex digits after 0x, empty allowed")
    func data() throws {
        #expect(try [UInt8](rpcParam: "0x") == [])
        #expect(try [UInt8](rpcParam: "0x00ff10") == [0x00, 0xff, 0x10])
        #expect(try [UInt8](rpcParam: "0xABcd") == [0xab, 0xcd])
        #expect(throws: EthereumDecodingError("hex string of odd length")) { try [UInt8](rpcParam: "0x123") }
        #expect(throws: EthereumDecodingError("hex string without 0x prefix")) { try [UInt8](rpcParam: "1234") }
        #expect(throws: EthereumDecodingError("invalid hex string")) { try [UInt8](rpcParam: "0x12zz") }
        #expect(throws: EthereumDecodingError("expected a hex string")) { try [UInt8](rpcParam: 12) }
        #expect(JSONValue.data([0xde, 0xad]) == "0xdead")
        #expect(JSONValue.data([]) == "0x")
    }

    @Test("addresses: 20 bytes, any case, EIP-55 checked when mixed")
    func addresses() throws {
        let lower = "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed"
        let checksummed = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"  // EIP-55's own example
        let address = try Address(rpcParam: .string(lower))
        #expect(try Address(rpcParam: .string(checksummed)) == address)
        #expect(try Address(rpcParam: .string("0x" + lower.dropFirst(2).uppercased())) == address)
        #expect(JSONValue.address(address) == .string(lower))
        #expect(throws: EthereumDecodingError.self) { try Address(rpcParam: "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD") }
        #expect(throws: EthereumDecodingError("hex string has length 38, want 40 for address")) {
            try Address(rpcParam: "0x5aaeb6053f3e94c9b9a09f33669435e7ef1bea")
        }
        #expect(throws: EthereumDecodingError("hex string has length 42, want 40 for address")) {
            try Address(rpcParam: "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed00")
        }
        #expect(throws: EthereumDecodingError("hex string without 0x prefix")) { try Address(rpcParam: "5aaeb6053f3e94c9b9a09f33669435e7ef1beaed") }
        #expect(throws: EthereumDecodingError("invalid hex string")) { try Address(rpcParam: "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaeg") }
    }

    @Test("hashes: exactly 32 bytes")
    func hashes() throws {
        let text = "0x" + String(repeating: "ab", count: 32)
        let hash = try Hash32(rpcParam: .string(text))
        #expect(JSONValue.hash(hash) == .string(text))
        #expect(throws: EthereumDecodingError("hex string has length 62, want 64 for hash")) {
            try Hash32(rpcParam: .string("0x" + String(repeating: "ab", count: 31)))
        }
        #expect(throws: EthereumDecodingError("invalid hex string")) { try Hash32(rpcParam: .string("0x" + String(repeating: "zz", count: 32))) }
    }

    @Test("params: required, optional, fields and counts with geth's messages")
    func params() throws {
        let params = RPCParams(["0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed", .null, ["gas": "0x01", "to": "0x1"]])
        #expect(try params.required(0, as: Address.self) == Address(rpcParam: "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed"))
        #expect(try params.optional(1, as: Hash32.self) == nil)
        #expect(try params.optional(5, as: UInt64.self) == nil)
        #expect(throws: RPCError.invalidParams("missing value for required argument 1")) { try params.required(1, as: UInt64.self) }
        #expect(throws: RPCError(code: -32602, message: "invalid argument 0: hex string without 0x prefix")) {
            _ = try RPCParams(["12"]).required(0, as: UInt64.self)
        }
        let object = try params.required(2, as: JSONObject.self)
        #expect(throws: RPCError(code: -32602, message: "invalid argument 2: field gas: hex number with leading zero digits")) {
            try params.optional("gas", in: object, argument: 2, as: UInt64.self)
        }
        #expect(try params.optional("value", in: object, argument: 2, as: UInt256.self) == nil)
        #expect(throws: RPCError(code: -32602, message: "invalid argument 2: missing required field 'from'")) {
            try params.required("from", in: object, argument: 2, as: Address.self)
        }
        #expect(throws: RPCError(code: -32602, message: "too many arguments, want at most 2")) { try params.expectCount(0...2) }
        #expect(throws: RPCError(code: -32602, message: "non-array args")) { try RPCParams(["a": 1]) }
        #expect(try RPCParams(.null).count == 0)
    }

    @Test("error objects: revert data, rejected transactions, geth's method-not-found wording")
    func errorObjects() {
        let revert = RPCError.executionReverted(reason: "user error", data: [0x08, 0xc3, 0x79, 0xa0])
        #expect(revert.jsonValue == ["code": 3, "message": "execution reverted: user error", "data": "0x08c379a0"])
        #expect(RPCError.executionReverted(reason: nil, data: []).message == "execution reverted")
        #expect(RPCError.transactionRejected("nonce too low").jsonValue == ["code": -32000, "message": "nonce too low"])
        #expect(RPCError.methodNotFound("eth_foo").message == "the method eth_foo does not exist/is not available")
    }
}
