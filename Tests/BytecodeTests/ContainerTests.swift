// The container codec: round trips, constructor arguments after the container, and each
// decoding error.
import Bytecode
import Testing

private let sample = Container(flags: .reentrant,
                               initFunctions: [Function(code: [0x00])],
                               runtimeFunctions: [Function(code: [0x5f, 0x5f, 0xf3]), Function(inputs: 2, outputs: 1, code: [0x01, 0xe4])],
                               data: [1, 2, 3])

@Test func containerRoundTrips() throws {
    let bytes = try sample.encoded()
    let (decoded, trailing) = try Container.decode(bytes)
    #expect(decoded == sample)
    #expect(trailing.isEmpty)
}

@Test func bytesAfterTheContainerAreConstructorArguments() throws {
    let (decoded, trailing) = try Container.decode(try sample.encoded() + [9, 8, 7])
    #expect(decoded == sample)
    #expect(trailing == [9, 8, 7])
    #expect(throws: Container.DecodingError.trailingBytes(3)) { try Container.decodeExactly(try sample.encoded() + [9, 8, 7]) }
}

@Test func runtimeContainerDropsInitAndAppendsData() {
    let runtime = sample.runtimeContainer(appendingData: [4, 5])
    #expect(runtime.initFunctions.isEmpty)
    #expect(runtime.data == [1, 2, 3, 4, 5])
    #expect(runtime.runtimeFunctions == sample.runtimeFunctions)
}

@Test func decodingErrorsAreTyped() throws {
    let bytes = try sample.encoded()
    #expect(throws: Container.DecodingError.badMagic) { try Container.decode([0xEF, 0x00] + bytes.dropFirst(2)) }
    #expect(throws: Container.DecodingError.unsupportedVersion(2)) { try Container.decode(bytes[..<2] + [2] + bytes[3...]) }
    #expect(throws: Container.DecodingError.unknownFlags(0x81)) { try Container.decode(bytes[..<3] + [0x81] + bytes[4...]) }
    #expect(throws: Container.DecodingError.truncated(needed: bytes.count, available: bytes.count - 1)) {
        try Container.decode(bytes.dropLast())
    }
    #expect(throws: Container.DecodingError.noRuntimeFunctions) {
        try Container.decode(try Container(runtimeFunctions: []).encoded())
    }
    #expect(throws: Container.DecodingError.truncated(needed: 2, available: 1)) { try Container.decode([0xD6]) }
}
