// Sign → encode → decode → recover for every type, and the rules that guard admission:
// low-s, replay protection, fee caps, intrinsic gas, init-code size.
import LedgerCrypto
import LedgerPrimitives
import LedgerTypes
import Testing
import TestSupport

private let key = try! PrivateKey(bytes: [UInt8](repeating: 0x46, count: 32))
private let recipient = Address(bytes: [UInt8](repeating: 0x35, count: 20))!
private let curveOrder = UInt256(hexString: "0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141")!

private func dynamicFee(chainId: UInt64 = 1, tip: UInt64 = 1, cap: UInt64 = 10, gas: UInt64 = 21_000,
                        to: Address? = recipient, data: [UInt8] = [],
                        accessList: [AccessListEntry] = []) -> UnsignedTransaction {
    .dynamicFee(DynamicFeeTransaction(chainId: chainId, nonce: 7, maxPriorityFeePerGas: UInt256(tip),
                                      maxFeePerGas: UInt256(cap), gasLimit: gas, to: to, value: UInt256(5),
                                      data: data, accessList: accessList))
}

struct TransactionRoundTripTests {
    /// The worked example in EIP-155's text: key 0x46…46, nonce 9, 20 gwei, 1 ether to 0x35…35.
    @Test func eip155ExampleSignsToTheSpecBytes() throws {
        let unsigned = UnsignedTransaction.legacy(LegacyTransaction(
            chainId: 1, nonce: 9, gasPrice: UInt256(20_000_000_000), gasLimit: 21_000, to: recipient,
            value: UInt256(1_000_000_000_000_000_000)))
        #expect(unsigned.signingPayload.hexString
                == "0xec098504a817c800825208943535353535353535353535353535353535353535880de0b6b3a764000080018080")
        #expect(unsigned.signingHash.hexString == "0xdaf5a779ae972f972197303d7b574746c7ef83eadac0f2791ad23db92e4c8e53")
        let signed = try unsigned.signed(with: key)
        #expect(signed.encoded.hexString == "0xf86c098504a817c800825208943535353535353535353535353535353535353535"
                + "880de0b6b3a76400008025a028ef61340bd939bc2195fe537567866003e1a15d3c71ff63e1590620aa636276a067cbe9d8997f"
                + "761aecb703304b3800ccf555c9f3dc64214b297fb1966a3b6d83")
        #expect(signed.v == UInt256(37))
        #expect(try signed.recovered(onChain: 1).sender == key.address)
    }

    @Test(arguments: [
        UnsignedTransaction.legacy(LegacyTransaction(chainId: 1, nonce: 0, gasPrice: UInt256(1), gasLimit: 21_000,
                                                     to: recipient)),
        .legacy(LegacyTransaction(chainId: nil, nonce: 3, gasPrice: UInt256(2), gasLimit: 60_000, to: nil,
                                  data: [0x60, 0x00, 0x60, 0x00])),
        // A chain id of 2^64-1 makes v need 65 bits.
        .legacy(LegacyTransaction(chainId: .max, nonce: 1, gasPrice: UInt256(1), gasLimit: 21_000, to: recipient)),
        .accessList(AccessListTransaction(chainId: 1, nonce: 1, gasPrice: UInt256(3), gasLimit: 30_000,
                                          to: recipient, data: [0, 1, 2],
                                          accessList: [AccessListEntry(address: recipient,
                                                                       storageKeys: [.zero, Hash32(bytes: [UInt8](repeating: 9, count: 32))!]),
                                                       AccessListEntry(address: .zero)])),
        dynamicFee(gas: 100_000, to: nil, data: [UInt8](repeating: 0xfe, count: 100)),
    ])
    func signedTransactionsDecodeAndRecover(unsigned: UnsignedTransaction) throws {
        let signed = try unsigned.signed(with: key)
        let decoded = try SignedTransaction(decoding: signed.encoded)
        #expect(decoded.unsigned == unsigned)
        #expect(decoded.signature == signed.signature)
        #expect(decoded.signingHash == unsigned.signingHash)
        #expect(signed.signingHash == unsigned.signingHash)
        #expect(SignedTransaction(decoded.unsigned, signature: decoded.signature).encoded == signed.encoded)
        let first = try #require(signed.encoded.first)
        #expect(unsigned.type == .legacy ? first >= 0xc0 : first == unsigned.type.rawValue)
        let recovered = try RecoveredTransaction(decoding: signed.encoded, chainId: unsigned.chainId ?? 1,
                                                 options: .init(allowsUnprotectedLegacy: true))
        #expect(recovered.sender == key.address)
        #expect(recovered.hash == Keccak256.hash(signed.encoded))
    }

    /// n - s with the other parity is the same signature's malleable twin: it recovers the same
    /// sender, so only the EIP-2 rule keeps it out.
    @Test func highSTwinIsRejected() throws {
        let signed = try dynamicFee().signed(with: key)
        let twin = SignedTransaction(signed.unsigned, signature: TransactionSignature(
            yParity: signed.yParity ^ 1, r: signed.r, s: curveOrder &- signed.s)!)
        #expect(try twin.recoverSender() == key.address)
        #expect(throws: TransactionValidationError.highS) { try twin.checkIntrinsicValidity(chainId: 1) }
        #expect(throws: TransactionError.validation(.highS)) {
            try RecoveredTransaction(decoding: twin.encoded, chainId: 1)
        }
    }

    @Test func replayOnAnotherChainIsRejected() throws {
        let typed = try dynamicFee(chainId: 1).signed(with: key)
        #expect(throws: TransactionValidationError.invalidChainId(have: 1, want: 5)) {
            try typed.checkIntrinsicValidity(chainId: 5)
        }
        let legacy = try UnsignedTransaction.legacy(LegacyTransaction(
            chainId: 1, nonce: 0, gasPrice: UInt256(1), gasLimit: 21_000, to: recipient)).signed(with: key)
        #expect(throws: TransactionValidationError.invalidChainId(have: 1, want: 5)) {
            try legacy.checkIntrinsicValidity(chainId: 5)
        }
        try legacy.checkIntrinsicValidity(chainId: 1)
    }

    @Test func unprotectedLegacyNeedsTheFlag() throws {
        let legacy = try UnsignedTransaction.legacy(LegacyTransaction(
            chainId: nil, nonce: 0, gasPrice: UInt256(1), gasLimit: 21_000, to: recipient)).signed(with: key)
        #expect(legacy.v == UInt256(27) || legacy.v == UInt256(28))
        #expect(throws: TransactionValidationError.unprotectedTransaction) { try legacy.checkIntrinsicValidity(chainId: 1) }
        try legacy.checkIntrinsicValidity(chainId: 1, options: .init(allowsUnprotectedLegacy: true))
    }

    @Test func tipAboveFeeCapIsRejected() throws {
        let signed = try dynamicFee(tip: 11, cap: 10).signed(with: key)
        #expect(throws: TransactionValidationError.tipAboveFeeCap) { try signed.checkIntrinsicValidity(chainId: 1) }
        #expect(TransactionValidationError.tipAboveFeeCap.description
                == "max priority fee per gas higher than max fee per gas")
    }

    @Test func intrinsicGasCountsCalldataCreationAndAccessList() throws {
        // 21,000 + 32,000 creation + 2 words × 2 + 3 zero bytes × 4 + 30 non-zero × 16.
        let data = [UInt8](repeating: 0, count: 3) + [UInt8](repeating: 7, count: 30)
        let creation = dynamicFee(to: nil, data: data)
        #expect(creation.intrinsicGas == 21_000 + 32_000 + 4 + 12 + 480)
        let withList = dynamicFee(accessList: [AccessListEntry(address: recipient, storageKeys: [.zero, .zero])])
        #expect(withList.intrinsicGas == 21_000 + 2_400 + 2 * 1_900)
        let short = try dynamicFee(gas: 53_495, to: nil, data: data).signed(with: key)
        #expect(throws: TransactionValidationError.intrinsicGasTooLow(have: 53_495, want: 53_496)) {
            try short.checkIntrinsicValidity(chainId: 1)
        }
        try dynamicFee(gas: 53_496, to: nil, data: data).signed(with: key).checkIntrinsicValidity(chainId: 1)
    }

    @Test func initcodeSizeIsLimitedForCreationsOnly() throws {
        let atLimit = [UInt8](repeating: 1, count: 49_152)
        try dynamicFee(gas: 10_000_000, to: nil, data: atLimit).signed(with: key).checkIntrinsicValidity(chainId: 1)
        let over = try dynamicFee(gas: 10_000_000, to: nil, data: atLimit + [1]).signed(with: key)
        #expect(throws: TransactionValidationError.initcodeTooLarge(size: 49_153, limit: 49_152)) {
            try over.checkIntrinsicValidity(chainId: 1)
        }
        try dynamicFee(gas: 10_000_000, data: atLimit + [1]).signed(with: key).checkIntrinsicValidity(chainId: 1)
    }

    @Test func decodingErrorsNameTheField() throws {
        let signed = try dynamicFee().signed(with: key)
        var fields = try RLP.decode(Array(signed.encoded.dropFirst())).list()

        func reencoded(_ fields: [RLP.Item], type: UInt8 = 2) -> [UInt8] { [type] + RLP.encode(.list(fields)) }
        func decodingError(_ bytes: [UInt8]) -> TransactionDecodingError? {
            do { _ = try SignedTransaction(decoding: bytes); return nil } catch { return error }
        }

        var leadingZero = fields
        leadingZero[1] = .bytes([0, 7])
        #expect(decodingError(reencoded(leadingZero)) == .invalidField(.nonce, .integerWithLeadingZero))
        var shortTo = fields
        shortTo[5] = .bytes([UInt8](repeating: 1, count: 19))
        #expect(decodingError(reencoded(shortTo)) == .invalidField(.to, .wrongByteCount(expected: 20, actual: 19)))
        var badParity = fields
        badParity[9] = .uint64(2)
        #expect(decodingError(reencoded(badParity)) == .invalidYParity(UInt256(2)))
        #expect(decodingError(reencoded(Array(fields.dropLast()))) == .wrongFieldCount(.dynamicFee, expected: 12, actual: 11))
        #expect(decodingError(reencoded(fields, type: 3)) == .unsupportedType(3))
        #expect(decodingError([]) == .emptyInput)
        #expect(decodingError(signed.encoded + [0]) == .malformedRLP(.trailingBytes(count: 1)))
        fields[8] = .list([.list([.bytes(recipient.bytes)])])
        #expect(decodingError(reencoded(fields)) == .invalidAccessListEntry(index: 0, .wrongListLength(expected: 2, actual: 1)))
    }

    /// The widely quoted example: 0x6ac7…dbf0's first two deployments.
    @Test func contractAddressFollowsSenderAndNonce() throws {
        let sender = try Address(hex: "0x6ac7ea33f8831ea9dcc53393aaa88b25a785dbf0")
        #expect(Address(contractDeployedBy: sender, nonce: 0) == (try Address(hex: "0xcd234a471b72ba2f1ccf0a70fcaba648a5eecd8d")))
        #expect(Address(contractDeployedBy: sender, nonce: 1) == (try Address(hex: "0x343c43a37d37dff08ae8c4a11544c718abb4fcf8")))
        let creation = try dynamicFee(gas: 60_000, to: nil).signed(with: key).recovered(onChain: 1)
        #expect(creation.contractAddress == Address(contractDeployedBy: key.address, nonce: 7))
        #expect(try dynamicFee().signed(with: key).recovered(onChain: 1).contractAddress == nil)
    }

    @Test func recoveredTransactionKeepsSenderAndHash() throws {
        let signed = try dynamicFee().signed(with: key)
        let recovered = try signed.recovered(onChain: 1)
        #expect(recovered.hash == signed.hash)
        #expect(recovered.sender == key.address)
        #expect(recovered.transaction == signed)
        #expect(throws: TransactionError.decoding(.emptyInput)) { try RecoveredTransaction(decoding: [], chainId: 1) }
    }
}

struct TransactionMutationTests {
    /// Damaged bytes never crash the decoder, and whatever it accepts re-encodes to the same bytes
    /// (the decoder admits canonical encodings only, so one transaction has one hash).
    @Test func mutatedEncodingsDecodeCanonicallyOrNotAtAll() throws {
        let seeds: [UnsignedTransaction] = [
            dynamicFee(accessList: [AccessListEntry(address: recipient, storageKeys: [.zero])]),
            .legacy(LegacyTransaction(chainId: 1, nonce: 300, gasPrice: UInt256(7), gasLimit: 50_000, to: nil,
                                      data: [1, 0, 2])),
            .accessList(AccessListTransaction(chainId: 1, nonce: 0, gasPrice: UInt256(1), gasLimit: 30_000,
                                              to: recipient)),
        ]
        var random = SplitMix64(seed: 0xD61E_D6E5)
        var accepted = 0
        for seed in seeds {
            let original = try seed.signed(with: key).encoded
            for _ in 0..<3_000 {
                var bytes = original
                switch random.next() % 4 {
                case 0: bytes[Int(random.next() % UInt64(bytes.count))] = UInt8(truncatingIfNeeded: random.next())
                case 1: bytes.remove(at: Int(random.next() % UInt64(bytes.count)))
                case 2: bytes.insert(UInt8(truncatingIfNeeded: random.next()), at: Int(random.next() % UInt64(bytes.count)))
                default: bytes = Array(bytes.prefix(Int(random.next() % UInt64(bytes.count))))
                }
                guard let decoded = try? SignedTransaction(decoding: bytes) else { continue }
                accepted += 1
                #expect(SignedTransaction(decoded.unsigned, signature: decoded.signature).encoded == bytes)
                #expect(decoded.signingHash == decoded.unsigned.signingHash)
            }
        }
        // Single-byte changes inside r, s, value or the address keep a valid encoding.
        #expect(accepted > 0)
    }
}
