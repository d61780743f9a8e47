// `d6g-node keygen`: makes a fresh secp256k1 key (for a validator, a node or an account).
import ArgumentParser
import Foundation
import LedgerCrypto
import LedgerPrimitives

struct KeygenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keygen",
        abstract: "Generate a secp256k1 key and print its address and public key.",
        discussion: """
            With --out, the private key is written as hex to a new file readable only by its owner \
            (mode 0600); an existing file is never overwritten. Without --out the private key is \
            printed only if --show-private-key is given.
            """
    )

    @Option(help: "Write the private key (hex) to this new file, mode 0600.")
    var out: String?

    @Flag(help: "Print the private key on standard output (for development keys only).")
    var showPrivateKey = false

    func validate() throws {
        if let out, FileManager.default.fileExists(atPath: out) {
            throw ValidationError("\(out) already exists; choose another path or move the old key away first")
        }
    }

    func run() throws {
        let key = PrivateKey.generate()
        // Sign and recover once, so a broken crypto stack fails here rather than at first use.
        let probe = Keccak256.hash(Array("d6g-node keygen self-check".utf8))
        let signature = try key.signature(for: probe)
        guard try signature.recoverPublicKey(for: probe).address == key.address else {
            throw ValidationError("self-check failed: a signature by the new key did not recover to it")
        }

        print("address:    \(key.address.checksummed)")
        print("public key: \(key.publicKey.compressedBytes.hexString)")
        if let out {
            try writeSecret(key.bytes.hexString + "\n", to: out)
            print("private key written to \(out) (mode 0600)")
        }
        if showPrivateKey {
            print("private key: \(key.bytes.hexString)")
        }
    }
}

/// Creates the file with owner-only permissions before any byte is written, and refuses to
/// follow an existing path (keygen, testnet).
func writeSecret(_ text: String, to path: String) throws {
    let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o600)
    guard descriptor >= 0 else {
        throw ValidationError("cannot create \(path): \(String(cString: strerror(errno)))")
    }
    defer { close(descriptor) }
    let bytes = Array(text.utf8)
    let written = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
    guard written == bytes.count, fsync(descriptor) == 0 else {
        throw ValidationError("cannot write \(path): \(String(cString: strerror(errno)))")
    }
}
