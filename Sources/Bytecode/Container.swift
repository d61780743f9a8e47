// The container: the bytes a deployment carries and an account stores (Docs/vm.md §Container).
// A deploy payload is a container with an init section followed by the constructor arguments;
// what is stored is a runtime container (no init section), whose keccak-256 is the code hash.

/// One function of a section: its declared stack effect and its code.
public struct Function: Equatable, Sendable {
    /// Stack items the function takes from its caller.
    public var inputs: UInt8
    /// Stack items it leaves on return (RETF).
    public var outputs: UInt8
    public var code: [UInt8]

    public init(inputs: UInt8 = 0, outputs: UInt8 = 0, code: [UInt8]) {
        self.inputs = inputs
        self.outputs = outputs
        self.code = code
    }
}

public struct Container: Equatable, Sendable {
    public struct Flags: OptionSet, Sendable, Hashable {
        public let rawValue: UInt8
        public init(rawValue: UInt8) { self.rawValue = rawValue }
        /// The contract accepts a call while it is already on the call stack.
        public static let reentrant = Flags(rawValue: 1 << 0)
        public static let known: Flags = [.reentrant]
    }

    public static let magic: [UInt8] = [0xD6, 0x47]
    public static let version: UInt8 = 1
    /// magic, version, flags, init count, runtime count.
    static let fixedHeaderSize = 8
    static let functionHeaderSize = 4

    public var flags: Flags
    /// Runs once at deployment; empty in a stored (runtime) container.
    public var initFunctions: [Function]
    /// Function 0 is the entry point of every call.
    public var runtimeFunctions: [Function]
    /// Constants read by DATALOAD, DATALOADN and DATACOPY (both sections see it).
    public var data: [UInt8]

    public init(flags: Flags = [], initFunctions: [Function] = [], runtimeFunctions: [Function], data: [UInt8] = []) {
        self.flags = flags
        self.initFunctions = initFunctions
        self.runtimeFunctions = runtimeFunctions
        self.data = data
    }

    /// The container stored after a deployment: no init section, and the init code's output
    /// appended to the data section (so a constructor can bake values into the runtime).
    public func runtimeContainer(appendingData extra: [UInt8]) -> Container {
        Container(flags: flags, runtimeFunctions: runtimeFunctions, data: data + extra)
    }

    public enum DecodingError: Error, Equatable, Sendable, CustomStringConvertible {
        case truncated(needed: Int, available: Int)
        case badMagic
        case unsupportedVersion(UInt8)
        case unknownFlags(UInt8)
        case noRuntimeFunctions
        case tooManyFunctions(Int)
        case sectionTooLarge(String, size: Int)
        case trailingBytes(Int)

        public var description: String {
            switch self {
            case .truncated(let needed, let available):
                return "container truncated: needs \(needed) bytes, has \(available)"
            case .badMagic: return "not a d6g container (magic 0xD647 missing)"
            case .unsupportedVersion(let version): return "container version \(version) is not supported (expected \(Container.version))"
            case .unknownFlags(let flags): return "container flags 0x\(String(flags, radix: 16)) include unknown bits"
            case .noRuntimeFunctions: return "container has no runtime function"
            case .tooManyFunctions(let count): return "\(count) functions in a section; the limit is \(Limits.functionCount)"
            case .sectionTooLarge(let name, let size): return "\(name) section of \(size) bytes does not fit a 16-bit size field"
            case .trailingBytes(let count): return "\(count) bytes follow the container"
            }
        }
    }

    /// The encoded container. Sizes are 16-bit, so a section over 65,535 bytes is an error.
    public func encoded() throws(DecodingError) -> [UInt8] {
        let all = initFunctions + runtimeFunctions
        guard initFunctions.count <= Limits.functionCount, runtimeFunctions.count <= Limits.functionCount else {
            throw .tooManyFunctions(max(initFunctions.count, runtimeFunctions.count))
        }
        guard data.count <= 0xFFFF else { throw .sectionTooLarge("data", size: data.count) }
        var out = Container.magic
        out += [Container.version, flags.rawValue]
        appendUInt16(initFunctions.count, to: &out)
        appendUInt16(runtimeFunctions.count, to: &out)
        for function in all {
            guard function.code.count <= 0xFFFF else { throw .sectionTooLarge("function code", size: function.code.count) }
            out += [function.inputs, function.outputs]
            appendUInt16(function.code.count, to: &out)
        }
        appendUInt16(data.count, to: &out)
        for function in all { out += function.code }
        out += data
        return out
    }

    /// Decodes a container from the front of `bytes`; the rest (constructor arguments in a
    /// deploy payload) is returned as `trailing`.
    public static func decode(_ bytes: some Collection<UInt8>) throws(DecodingError) -> (container: Container, trailing: [UInt8]) {
        let bytes = Array(bytes)
        var reader = Reader(bytes: bytes)
        guard try reader.take(2) == Container.magic else { throw .badMagic }
        let version = try reader.byte()
        guard version == Container.version else { throw .unsupportedVersion(version) }
        let flags = Flags(rawValue: try reader.byte())
        guard Flags.known.isSuperset(of: flags) else { throw .unknownFlags(flags.rawValue) }
        let initCount = try reader.uint16()
        let runtimeCount = try reader.uint16()
        guard initCount <= Limits.functionCount, runtimeCount <= Limits.functionCount else {
            throw .tooManyFunctions(max(initCount, runtimeCount))
        }
        guard runtimeCount > 0 else { throw .noRuntimeFunctions }
        var headers: [(inputs: UInt8, outputs: UInt8, size: Int)] = []
        for _ in 0..<(initCount + runtimeCount) {
            headers.append((try reader.byte(), try reader.byte(), try reader.uint16()))
        }
        let dataSize = try reader.uint16()
        var functions: [Function] = []
        for header in headers {
            functions.append(Function(inputs: header.inputs, outputs: header.outputs, code: try reader.take(header.size)))
        }
        let data = try reader.take(dataSize)
        let container = Container(flags: flags, initFunctions: Array(functions[..<initCount]),
                                  runtimeFunctions: Array(functions[initCount...]), data: data)
        return (container, Array(bytes[reader.position...]))
    }

    /// Decodes bytes that must be exactly one container (a stored runtime container).
    public static func decodeExactly(_ bytes: some Collection<UInt8>) throws(DecodingError) -> Container {
        let (container, trailing) = try decode(bytes)
        guard trailing.isEmpty else { throw .trailingBytes(trailing.count) }
        return container
    }
}

private func appendUInt16(_ value: Int, to out: inout [UInt8]) {
    out.append(UInt8(truncatingIfNeeded: value >> 8))
    out.append(UInt8(truncatingIfNeeded: value))
}

private struct Reader {
    let bytes: [UInt8]
    var position = 0

    mutating func take(_ count: Int) throws(Container.DecodingError) -> [UInt8] {
        guard bytes.count - position >= count else {
            throw .truncated(needed: position + count, available: bytes.count)
        }
        defer { position += count }
        return Array(bytes[position..<position + count])
    }

    mutating func byte() throws(Container.DecodingError) -> UInt8 { try take(1)[0] }

    mutating func uint16() throws(Container.DecodingError) -> Int {
        let pair = try take(2)
        return Int(pair[0]) << 8 | Int(pair[1])
    }
}
