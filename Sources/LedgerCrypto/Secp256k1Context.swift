// The single libsecp256k1 context that every secp256k1 operation in this target uses.
import CSecp256k1

/// Owns one libsecp256k1 context, created and randomized once, destroyed in `deinit`.
///
/// Thread safety: libsecp256k1 documents that a context may be used by several threads at
/// once for every operation that takes it as `const secp256k1_context*` (signing, verifying,
/// recovery, ECDH, key derivation, parsing, serializing). Only `secp256k1_context_randomize`
/// mutates it, and that runs once here, inside the initializer, before the context is
/// published through `shared` (whose lazy initialization Swift makes thread-safe). After that
/// nothing writes to it, so sharing it is sound: hence `@unchecked Sendable`.
final class Secp256k1Context: @unchecked Sendable {
    static let shared = Secp256k1Context()

    let pointer: OpaquePointer

    private init() {
        // A NONE context can do everything in 0.2 (SIGN/VERIFY flags are deprecated no-ops).
        // secp256k1_context_create only fails by running out of memory (it aborts through
        // its illegal-callback otherwise), which no caller could handle: trap with a message.
        guard let context = secp256k1_context_create(UInt32(SECP256K1_CONTEXT_NONE)) else {
            fatalError("secp256k1_context_create failed: out of memory")
        }
        // Blinding against side channels for signing and key derivation. The seed comes from
        // the system CSPRNG (getrandom), which traps rather than return weak bytes.
        var generator = SystemRandomNumberGenerator()
        var seed = InlineBytes32()
        seed.withUnsafeMutableBytes { buffer in
            for index in 0..<32 { buffer[index] = generator.next() }
        }
        let randomized = seed.withUnsafeBytes { buffer in
            secp256k1_context_randomize(context, buffer.baseAddress!.assumingMemoryBound(to: UInt8.self))
        }
        // Randomization only fails on a context that lacks signing support, which a NONE
        // context of 0.2 does not: a failure here would mean a broken library.
        precondition(randomized == 1, "secp256k1_context_randomize failed")
        pointer = context
    }

    deinit {
        secp256k1_context_destroy(pointer)
    }
}

/// The byte pointer libsecp256k1 wants, from a raw buffer known to be non-empty.
@inline(__always)
func bytePointer(_ buffer: UnsafeRawBufferPointer) -> UnsafePointer<UInt8> {
    buffer.baseAddress!.assumingMemoryBound(to: UInt8.self)
}
