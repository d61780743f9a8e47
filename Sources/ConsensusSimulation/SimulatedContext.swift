// The value, identity and signature types the simulator plugs into the consensus core, and a fake
// but checkable signature scheme: a signature is a keyed hash of (validator, message).

import LedgerPrimitives
import ConsensusCore

/// A simulated block: who proposed it where, and whether executing it would succeed.
public struct SimulatedValue: Hashable, Sendable, CustomStringConvertible {
    public let height: Height
    public let round: Int
    public let proposer: Int
    public let isValid: Bool
    public let nonce: UInt64

    public init(height: Height, round: Int, proposer: Int, isValid: Bool, nonce: UInt64) {
        self.height = height
        self.round = round
        self.proposer = proposer
        self.isValid = isValid
        self.nonce = nonce
    }

    public var description: String {
        "v(h\(height) r\(round) p\(proposer)\(isValid ? "" : " invalid") #\(nonce % 10_000))"
    }
}

/// Values are their own ids here; validators are numbered; signatures are 64-bit tags.
public enum SimulatedContext: ConsensusContext {
    public typealias Value = SimulatedValue
    public typealias ValueID = SimulatedValue
    public typealias ValidatorID = Int
    public typealias Signature = UInt64

    public static func id(of value: SimulatedValue) -> SimulatedValue { value }

    public static func appendCanonicalBytes(of id: SimulatedValue, to bytes: inout [UInt8]) {
        for word in [id.height, UInt64(bitPattern: Int64(id.round)), UInt64(bitPattern: Int64(id.proposer)),
                     id.isValid ? 1 : 0, id.nonce] {
            for shift in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: word >> UInt64(shift))) }
        }
    }
}

/// The fake scheme: tag = hash(secret, validator, message). Anyone who knows the scheme's secret
/// could forge, but a message altered after signing, or signed as someone else, fails to verify.
public struct FakeSignatureScheme: Sendable {
    public let secret: UInt64

    public init(secret: UInt64 = 0x6436_6721_5349_4D31) { self.secret = secret }

    public func signature(of message: [UInt8], by validator: Int) -> UInt64 {
        var hash = SplitMix64.mix(secret ^ UInt64(bitPattern: Int64(validator)))
        var word: UInt64 = 0
        var filled = 0
        for byte in message {
            word = word << 8 | UInt64(byte)
            filled += 1
            if filled == 8 {
                hash = SplitMix64.mix(hash ^ word)
                word = 0
                filled = 0
            }
        }
        return SplitMix64.mix(hash ^ word ^ UInt64(message.count) << 56)
    }
}

public struct FakeSigner: ConsensusSigner {
    public typealias Context = SimulatedContext
    public let validator: Int
    public let scheme: FakeSignatureScheme

    public init(validator: Int, scheme: FakeSignatureScheme = FakeSignatureScheme()) {
        self.validator = validator
        self.scheme = scheme
    }

    public func sign(_ message: [UInt8]) -> UInt64 { scheme.signature(of: message, by: validator) }
}

public struct FakeVerifier: SignatureVerifier {
    public typealias Context = SimulatedContext
    public let scheme: FakeSignatureScheme

    public init(scheme: FakeSignatureScheme = FakeSignatureScheme()) { self.scheme = scheme }

    public func isValid(_ signature: UInt64, of message: [UInt8], by validator: Int) -> Bool {
        scheme.signature(of: message, by: validator) == signature
    }
}
