// The handshake and the frames, without sockets: both sides derive crossed keys; a wrong
// chain, a forged or substituted key, an unlisted peer and a loop to oneself are refused; a
// frame replayed, reordered, resized or too large fails.
import LedgerCrypto
import LedgerPrimitives
import P2P
import Testing

@Suite struct HandshakeTests {
    let alice = try! PrivateKey(bytes: Keccak256.hash(Array("alice".utf8)).bytes)
    let bob = try! PrivateKey(bytes: Keccak256.hash(Array("bob".utf8)).bytes)

    func run(initiator: InitiatorHandshake, responder: inout ResponderHandshake,
             tamperSecond: ([UInt8]) -> [UInt8] = { $0 }) throws -> (SessionKeys, SessionKeys) {
        let second = try responder.respond(to: initiator.firstMessage)
        let (third, initiatorKeys) = try initiator.respond(to: tamperSecond(second))
        return (initiatorKeys, try responder.finish(with: third))
    }

    @Test func bothSidesDeriveCrossedKeysAndLearnEachOther() throws {
        var responder = ResponderHandshake(nodeKey: bob, chainId: 7, allows: { _ in true })
        let (i, r) = try run(initiator: InitiatorHandshake(nodeKey: alice, chainId: 7, allows: { _ in true }), responder: &responder)
        #expect(i.sending == r.receiving && i.receiving == r.sending && i.sending != i.receiving)
        #expect(i.peer.compressedBytes == bob.publicKey.compressedBytes && r.peer.compressedBytes == alice.publicKey.compressedBytes)
        // Fresh ephemerals: another session has other keys.
        var again = ResponderHandshake(nodeKey: bob, chainId: 7, allows: { _ in true })
        let (i2, _) = try run(initiator: InitiatorHandshake(nodeKey: alice, chainId: 7, allows: { _ in true }), responder: &again)
        #expect(i2.sending != i.sending)
    }

    @Test func refusals() throws {
        let open: (PublicKey) -> Bool = { _ in true }
        var other = ResponderHandshake(nodeKey: bob, chainId: 8, allows: open)
        #expect(throws: HandshakeError.wrongChain(expected: 8, found: 7)) {
            _ = try other.respond(to: InitiatorHandshake(nodeKey: alice, chainId: 7, allows: open).firstMessage)
        }
        var responder = ResponderHandshake(nodeKey: bob, chainId: 7, allows: open)
        var wrongMagic = InitiatorHandshake(nodeKey: alice, chainId: 7, allows: open).firstMessage
        wrongMagic[0] ^= 1
        #expect(throws: HandshakeError.wrongMagic) { _ = try responder.respond(to: wrongMagic) }
        #expect(throws: HandshakeError.self) { _ = try responder.respond(to: [1, 2, 3]) }
        #expect(throws: HandshakeError.self) { _ = try responder.finish(with: [UInt8](repeating: 0, count: 98)) }

        // A man in the middle swapping the responder's ephemeral key breaks its signature.
        var fresh = ResponderHandshake(nodeKey: bob, chainId: 7, allows: open)
        let mallory = PrivateKey.generate().publicKey.compressedBytes
        #expect(throws: HandshakeError.badSignature) {
            _ = try run(initiator: InitiatorHandshake(nodeKey: alice, chainId: 7, allows: open), responder: &fresh,
                        tamperSecond: { mallory + $0.dropFirst(33) })
        }
        // The initiator refuses an unlisted responder; the responder an unlisted initiator.
        var listed = ResponderHandshake(nodeKey: bob, chainId: 7, allows: open)
        #expect(throws: HandshakeError.self) {
            _ = try run(initiator: InitiatorHandshake(nodeKey: alice, chainId: 7, allows: { _ in false }), responder: &listed)
        }
        var picky = ResponderHandshake(nodeKey: bob, chainId: 7, allows: { _ in false })
        #expect(throws: HandshakeError.self) {
            _ = try run(initiator: InitiatorHandshake(nodeKey: alice, chainId: 7, allows: open), responder: &picky)
        }
        var mirror = ResponderHandshake(nodeKey: alice, chainId: 7, allows: open)
        #expect(throws: HandshakeError.selfConnection) {
            _ = try run(initiator: InitiatorHandshake(nodeKey: alice, chainId: 7, allows: open), responder: &mirror)
        }
    }

    @Test func framesAreAuthenticatedInOrderAndCapped() throws {
        let key = [UInt8](repeating: 5, count: 32)
        var sender = FrameCipher(key: key)
        var receiver = FrameCipher(key: key)
        let first = try sender.seal(kind: 1, payload: [1, 2, 3])
        let second = try sender.seal(kind: 2, payload: [])
        func open(_ frame: [UInt8], with cipher: inout FrameCipher) throws -> (UInt8, [UInt8]) {
            let prefix = Array(frame.prefix(4))
            #expect(try FrameCipher.bodyLength(prefix: prefix) == frame.count - 4)
            let opened = try cipher.open(prefix: prefix, body: Array(frame.dropFirst(4)))
            return (opened.kind, opened.payload)
        }
        #expect(try open(first, with: &receiver) == (1, [1, 2, 3]))
        // The first again (a replay) fails where the second is due.
        var replaying = receiver
        #expect(throws: FrameError.unauthentic) { _ = try open(first, with: &replaying) }
        #expect(try open(second, with: &receiver) == (2, []))
        // Out of order.
        var reordered = FrameCipher(key: key)
        #expect(throws: FrameError.unauthentic) { _ = try open(second, with: &reordered) }
        // A changed length prefix is authenticated data.
        var fresh = FrameCipher(key: key)
        var resized = first
        resized[3] ^= 1
        #expect(throws: FrameError.unauthentic) {
            _ = try fresh.open(prefix: Array(resized.prefix(4)), body: Array(first.dropFirst(4)))
        }
        #expect(throws: FrameError.badLength(FrameCipher.maximumFrameBytes + 1)) {
            _ = try FrameCipher.bodyLength(prefix: UInt32(FrameCipher.maximumFrameBytes + 1).bytes)
        }
        #expect(throws: FrameError.badLength(3)) { _ = try FrameCipher.bodyLength(prefix: [0, 0, 0, 3]) }
        #expect(throws: FrameError.self) { _ = try sender.seal(kind: 0, payload: [UInt8](repeating: 0, count: FrameCipher.maximumFrameBytes)) }
    }
}

extension UInt32 {
    var bytes: [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: self >> (24 - 8 * $0)) } }
}
