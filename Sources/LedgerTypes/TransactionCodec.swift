// Raw transaction bytes <-> SignedTransaction. The decoder walks RLP headers over the input
// without building an item tree, and accepts only canonical encodings (RLP and integers), so a
// decoded transaction re-encodes to exactly its input and has exactly one hash.
import LedgerPrimitives

extension SignedTransaction {
    /// Decodes the eth_sendRawTransaction form: an RLP list (legacy), or a type byte and an RLP list.
    public init(decoding raw: [UInt8]) throws(TransactionDecodingError) {
        let result: Result<TransactionCodec.Decoded, TransactionDecodingError> = raw.withUnsafeBytes { buffer in
            Result { () throws(TransactionDecodingError) in try TransactionCodec.decode(buffer) }
        }
        let decoded = try result.get()
        self.init(decoded.unsigned, signature: decoded.signature, encoded: raw, signedFields: decoded.signedFields)
    }
}

enum TransactionCodec {
    // MARK: Decoding

    struct Decoded {
        var unsigned: UnsignedTransaction
        var signature: TransactionSignature
        var signedFields: Range<Int>
    }

    static func decode(_ raw: UnsafeRawBufferPointer) throws(TransactionDecodingError) -> Decoded {
        guard let first = raw.first else { throw .emptyInput }
        switch first {
        case 0xc0...0xff:
            var fields = try FieldReader(raw, listAt: 0, type: .legacy, fieldCount: 9)
            let start = fields.offset
            let (unsigned, signature) = try decodeLegacy(&fields)
            return Decoded(unsigned: unsigned, signature: signature, signedFields: start..<fields.signatureStart)
        case TransactionType.accessList.rawValue:
            var fields = try FieldReader(raw, listAt: 1, type: .accessList, fieldCount: 11)
            let start = fields.offset
            let (unsigned, signature) = try decodeAccessList(&fields)
            return Decoded(unsigned: unsigned, signature: signature, signedFields: start..<fields.signatureStart)
        case TransactionType.dynamicFee.rawValue:
            var fields = try FieldReader(raw, listAt: 1, type: .dynamicFee, fieldCount: 12)
            let start = fields.offset
            let (unsigned, signature) = try decodeDynamicFee(&fields)
            return Decoded(unsigned: unsigned, signature: signature, signedFields: start..<fields.signatureStart)
        case 0x80...0xbf:
            throw .notAList
        default:
            throw .unsupportedType(first)
        }
    }

    private static func decodeLegacy(_ fields: inout FieldReader) throws(TransactionDecodingError)
        -> (UnsignedTransaction, TransactionSignature) {
        let nonce = try fields.uint64(.nonce)
        let gasPrice = try fields.uint256(.gasPrice)
        let gasLimit = try fields.uint64(.gas)
        let to = try fields.recipient()
        let value = try fields.uint256(.value)
        let data = try fields.bytes(.input)
        fields.markSignatureStart()
        let v = try fields.uint256(.v)
        let (chainId, yParity) = try chainIdAndParity(fromLegacyV: v)
        let signature = try fields.signature(yParity: yParity)
        let tx = LegacyTransaction(chainId: chainId, nonce: nonce, gasPrice: gasPrice, gasLimit: gasLimit,
                                   to: to, value: value, data: data)
        return (.legacy(tx), signature)
    }

    private static func decodeAccessList(_ fields: inout FieldReader) throws(TransactionDecodingError)
        -> (UnsignedTransaction, TransactionSignature) {
        let chainId = try fields.chainId()
        let nonce = try fields.uint64(.nonce)
        let gasPrice = try fields.uint256(.gasPrice)
        let gasLimit = try fields.uint64(.gas)
        let to = try fields.recipient()
        let value = try fields.uint256(.value)
        let data = try fields.bytes(.input)
        let accessList = try fields.accessList()
        fields.markSignatureStart()
        let signature = try fields.signature(yParity: try fields.yParity())
        let tx = AccessListTransaction(chainId: chainId, nonce: nonce, gasPrice: gasPrice, gasLimit: gasLimit,
                                       to: to, value: value, data: data, accessList: accessList)
        return (.accessList(tx), signature)
    }

    private static func decodeDynamicFee(_ fields: inout FieldReader) throws(TransactionDecodingError)
        -> (UnsignedTransaction, TransactionSignature) {
        let chainId = try fields.chainId()
        let nonce = try fields.uint64(.nonce)
        let tip = try fields.uint256(.maxPriorityFeePerGas)
        let feeCap = try fields.uint256(.maxFeePerGas)
        let gasLimit = try fields.uint64(.gas)
        let to = try fields.recipient()
        let value = try fields.uint256(.value)
        let data = try fields.bytes(.input)
        let accessList = try fields.accessList()
        fields.markSignatureStart()
        let signature = try fields.signature(yParity: try fields.yParity())
        let tx = DynamicFeeTransaction(chainId: chainId, nonce: nonce, maxPriorityFeePerGas: tip,
                                       maxFeePerGas: feeCap, gasLimit: gasLimit, to: to, value: value,
                                       data: data, accessList: accessList)
        return (.dynamicFee(tx), signature)
    }

    /// EIP-155: v = chainId·2 + 35 + yParity; before it, v = 27 + yParity.
    static func chainIdAndParity(fromLegacyV v: UInt256) throws(TransactionDecodingError) -> (UInt64?, UInt8) {
        guard v.limb2 == 0, v.limb3 == 0 else { throw .chainIdTooLarge }
        if v.limb1 == 0 && (v.limb0 == 27 || v.limb0 == 28) { return (nil, UInt8(v.limb0 - 27)) }
        guard v.limb1 != 0 || v.limb0 >= 35 else { throw .invalidV(v) }
        // v - 35 over the two low limbs, then halve; the chain id must fit one limb.
        let (low, borrow) = v.limb0.subtractingReportingOverflow(35)
        let high = v.limb1 - (borrow ? 1 : 0)
        guard high >> 1 == 0 else { throw .chainIdTooLarge }
        return ((high << 63) | (low >> 1), UInt8(low & 1))
    }

    // MARK: Encoding

    /// The encoding, and where in it the signed fields lie.
    static func encode(_ unsigned: UnsignedTransaction, signature: TransactionSignature) -> ([UInt8], Range<Int>) {
        var payload = [UInt8]()
        payload.reserveCapacity(128 + unsigned.data.count)
        appendFields(of: unsigned, to: &payload)
        let signedLength = payload.count
        switch unsigned {
        case .legacy(let tx): appendInteger(legacyV(chainId: tx.chainId, yParity: signature.yParity), to: &payload)
        case .accessList, .dynamicFee: appendInteger(UInt64(signature.yParity), to: &payload)
        }
        appendInteger(signature.r, to: &payload)
        appendInteger(signature.s, to: &payload)
        let encoded = envelope(type: unsigned.type, payload: payload)
        let start = encoded.count - payload.count
        return (encoded, start..<start + signedLength)
    }

    /// The signing hash of a signed transaction, from the signed fields of its encoding: only the
    /// list header changes (and EIP-155's [chainId, 0, 0] is appended), so nothing is re-encoded.
    static func signingHash(of transaction: SignedTransaction) -> Hash32 {
        var prefix = [UInt8]()
        var suffix = [UInt8]()
        if case .legacy(let tx) = transaction.unsigned, let chainId = tx.chainId {
            appendInteger(chainId, to: &suffix)
            suffix.append(0x80)
            suffix.append(0x80)
        }
        if transaction.type != .legacy { prefix.append(transaction.type.rawValue) }
        RLP.appendListHeader(payloadLength: transaction.signedFields.count + suffix.count, to: &prefix)
        var hasher = Keccak256.Hasher()
        hasher.update(prefix)
        transaction.encoded.withUnsafeBytes { raw in
            hasher.update(UnsafeRawBufferPointer(rebasing: raw[transaction.signedFields]))
        }
        hasher.update(suffix)
        return hasher.finalize()
    }

    /// The bytes whose keccak-256 the sender signs: EIP-155's nine fields for protected legacy
    /// transactions (six for unprotected ones); type ‖ rlp(unsigned fields) for typed ones.
    static func signingPayload(_ unsigned: UnsignedTransaction) -> [UInt8] {
        var payload = [UInt8]()
        payload.reserveCapacity(128 + unsigned.data.count)
        appendFields(of: unsigned, to: &payload)
        if case .legacy(let tx) = unsigned, let chainId = tx.chainId {
            appendInteger(chainId, to: &payload)
            appendInteger(UInt64(0), to: &payload)
            appendInteger(UInt64(0), to: &payload)
        }
        return envelope(type: unsigned.type, payload: payload)
    }

    private static func envelope(type: TransactionType, payload: [UInt8]) -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(payload.count + 10)
        if type != .legacy { out.append(type.rawValue) }
        RLP.appendListHeader(payloadLength: payload.count, to: &out)
        out.append(contentsOf: payload)
        return out
    }

    /// Every field but the signature, in wire order.
    private static func appendFields(of unsigned: UnsignedTransaction, to out: inout [UInt8]) {
        switch unsigned {
        case .legacy(let tx):
            appendInteger(tx.nonce, to: &out)
            appendInteger(tx.gasPrice, to: &out)
            appendInteger(tx.gasLimit, to: &out)
            appendRecipient(tx.to, to: &out)
            appendInteger(tx.value, to: &out)
            RLP.appendString(tx.data, to: &out)
        case .accessList(let tx):
            appendInteger(tx.chainId, to: &out)
            appendInteger(tx.nonce, to: &out)
            appendInteger(tx.gasPrice, to: &out)
            appendInteger(tx.gasLimit, to: &out)
            appendRecipient(tx.to, to: &out)
            appendInteger(tx.value, to: &out)
            RLP.appendString(tx.data, to: &out)
            appendAccessList(tx.accessList, to: &out)
        case .dynamicFee(let tx):
            appendInteger(tx.chainId, to: &out)
            appendInteger(tx.nonce, to: &out)
            appendInteger(tx.maxPriorityFeePerGas, to: &out)
            appendInteger(tx.maxFeePerGas, to: &out)
            appendInteger(tx.gasLimit, to: &out)
            appendRecipient(tx.to, to: &out)
            appendInteger(tx.value, to: &out)
            RLP.appendString(tx.data, to: &out)
            appendAccessList(tx.accessList, to: &out)
        }
    }

    private static func appendInteger(_ value: UInt64, to out: inout [UInt8]) {
        appendInteger(UInt256(value), to: &out)
    }

    private static func appendInteger(_ value: UInt256, to out: inout [UInt8]) {
        RLP.appendString(value.minimalBigEndianBytes, to: &out)
    }

    private static func appendRecipient(_ to: Address?, to out: inout [UInt8]) {
        RLP.appendString(to?.bytes ?? [], to: &out)
    }

    private static func appendAccessList(_ list: [AccessListEntry], to out: inout [UInt8]) {
        // Entry: [address (21 encoded bytes), [keys (33 encoded bytes each)]].
        func keysPayload(_ entry: AccessListEntry) -> Int { 33 * entry.storageKeys.count }
        func entryPayload(_ entry: AccessListEntry) -> Int {
            let keys = keysPayload(entry)
            return 21 + RLP.headerLength(payload: keys) + keys
        }
        let total = list.reduce(0) { $0 + RLP.headerLength(payload: entryPayload($1)) + entryPayload($1) }
        RLP.appendListHeader(payloadLength: total, to: &out)
        for entry in list {
            RLP.appendListHeader(payloadLength: entryPayload(entry), to: &out)
            RLP.appendString(entry.address.bytes, to: &out)
            RLP.appendListHeader(payloadLength: keysPayload(entry), to: &out)
            for key in entry.storageKeys { RLP.appendString(key.bytes, to: &out) }
        }
    }
}

/// Reads the fields of one transaction list in order. The list's items are counted up front so a
/// wrong field count is reported as such, before any field is interpreted.
private struct FieldReader {
    let raw: UnsafeRawBufferPointer
    var offset: Int
    let end: Int
    /// The offset of the first signature field, once reached.
    private(set) var signatureStart = 0

    mutating func markSignatureStart() { signatureStart = offset }

    init(_ raw: UnsafeRawBufferPointer, listAt start: Int, type: TransactionType,
         fieldCount: Int) throws(TransactionDecodingError) {
        let list: RLP.Header
        do { list = try RLP.header(raw, at: start, end: raw.count) } catch { throw .malformedRLP(error) }
        guard list.isList else { throw .notAList }
        guard list.end == raw.count else { throw .malformedRLP(.trailingBytes(count: raw.count - list.end)) }
        var count = 0
        var cursor = list.payloadOffset
        while cursor < list.end {
            do { cursor = try RLP.header(raw, at: cursor, end: list.end).end } catch { throw .malformedRLP(error) }
            count += 1
        }
        guard count == fieldCount else { throw .wrongFieldCount(type, expected: fieldCount, actual: count) }
        self.raw = raw
        self.offset = list.payloadOffset
        self.end = list.end
    }

    /// The next item, already known to be well-formed by the counting pass.
    private mutating func next() -> RLP.Header {
        let header = try! RLP.header(raw, at: offset, end: end)
        offset = header.end
        return header
    }

    private mutating func byteString(_ field: TransactionField) throws(TransactionDecodingError) -> RLP.Header {
        let header = next()
        guard !header.isList else { throw .invalidField(field, .expectedBytes) }
        return header
    }

    /// A canonical integer of at most `maxBytes` bytes: no leading zero, zero as the empty string.
    private mutating func integer(_ field: TransactionField, maxBytes: Int) throws(TransactionDecodingError) -> RLP.Header {
        let header = try byteString(field)
        if header.payloadLength > 0 && raw[header.payloadOffset] == 0 {
            throw .invalidField(field, .integerWithLeadingZero)
        }
        guard header.payloadLength <= maxBytes else { throw .invalidField(field, .integerTooLarge(maxBytes: maxBytes)) }
        return header
    }

    mutating func uint64(_ field: TransactionField) throws(TransactionDecodingError) -> UInt64 {
        let header = try integer(field, maxBytes: 8)
        var value: UInt64 = 0
        for index in header.payloadOffset..<header.end { value = value << 8 | UInt64(raw[index]) }
        return value
    }

    mutating func uint256(_ field: TransactionField) throws(TransactionDecodingError) -> UInt256 {
        let header = try integer(field, maxBytes: 32)
        // At most 32 bytes, checked above.
        return UInt256(bigEndianBytes: raw[header.payloadOffset..<header.end])!
    }

    mutating func chainId() throws(TransactionDecodingError) -> UInt64 {
        let value = try uint256(.chainId)
        guard value.limb1 == 0, value.limb2 == 0, value.limb3 == 0 else { throw .chainIdTooLarge }
        return value.limb0
    }

    mutating func yParity() throws(TransactionDecodingError) -> UInt8 {
        let value = try uint256(.yParity)
        guard value.limb1 == 0, value.limb2 == 0, value.limb3 == 0, value.limb0 <= 1 else {
            throw .invalidYParity(value)
        }
        return UInt8(value.limb0)
    }

    mutating func signature(yParity: UInt8) throws(TransactionDecodingError) -> TransactionSignature {
        let r = try uint256(.r)
        let s = try uint256(.s)
        return TransactionSignature(yParity: yParity, r: r, s: s)!
    }

    mutating func bytes(_ field: TransactionField) throws(TransactionDecodingError) -> [UInt8] {
        let header = try byteString(field)
        return Array(raw[header.payloadOffset..<header.end])
    }

    /// `to`: 20 bytes, or empty for a contract creation.
    mutating func recipient() throws(TransactionDecodingError) -> Address? {
        let header = try byteString(.to)
        if header.payloadLength == 0 { return nil }
        guard header.payloadLength == 20 else {
            throw .invalidField(.to, .wrongByteCount(expected: 20, actual: header.payloadLength))
        }
        return Address(bytes: raw[header.payloadOffset..<header.end])!
    }

    mutating func accessList() throws(TransactionDecodingError) -> [AccessListEntry] {
        let list = next()
        guard list.isList else { throw .invalidField(.accessList, .expectedList) }
        var entries = [AccessListEntry]()
        var cursor = list.payloadOffset
        while cursor < list.end {
            let index = entries.count
            do throws(RLPError) {
                let entry = try RLP.header(raw, at: cursor, end: list.end)
                cursor = entry.end
                entries.append(try accessListEntry(entry))
            } catch {
                throw .invalidAccessListEntry(index: index, error)
            }
        }
        return entries
    }

    private func accessListEntry(_ entry: RLP.Header) throws(RLPError) -> AccessListEntry {
        guard entry.isList else { throw .expectedList }
        var parts = [RLP.Header]()
        var cursor = entry.payloadOffset
        while cursor < entry.end {
            let part = try RLP.header(raw, at: cursor, end: entry.end)
            parts.append(part)
            cursor = part.end
        }
        guard parts.count == 2 else { throw .wrongListLength(expected: 2, actual: parts.count) }
        let (addressItem, keysItem) = (parts[0], parts[1])
        guard !addressItem.isList else { throw .expectedBytes }
        guard addressItem.payloadLength == 20 else { throw .wrongByteCount(expected: 20, actual: addressItem.payloadLength) }
        guard keysItem.isList else { throw .expectedList }
        var keys = [Hash32]()
        cursor = keysItem.payloadOffset
        while cursor < keysItem.end {
            let key = try RLP.header(raw, at: cursor, end: keysItem.end)
            guard !key.isList else { throw .expectedBytes }
            guard key.payloadLength == 32 else { throw .wrongByteCount(expected: 32, actual: key.payloadLength) }
            keys.append(Hash32(unsafeBytes: UnsafeRawBufferPointer(rebasing: raw[key.payloadOffset..<key.end])))
            cursor = key.end
        }
        return AccessListEntry(address: Address(bytes: raw[addressItem.payloadOffset..<addressItem.end])!,
                               storageKeys: keys)
    }
}
