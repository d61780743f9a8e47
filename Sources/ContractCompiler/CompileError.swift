// Compile errors name the contract author's Swift file and line (Docs/contract-dsl.md §Errors).
import ContractDSL

public struct CompileError: Error, Sendable, Equatable, CustomStringConvertible {
    public var location: SourceLocation
    public var message: String

    public init(_ message: String, at location: SourceLocation) {
        self.message = message
        self.location = location
    }

    /// `Contracts/Token.swift:12: error: unknown local 'amont'`, as compilers print them.
    public var description: String { "\(location): error: \(message)" }
}

/// Every error found in one compilation: declarations first, then functions in declaration order,
/// the constructor last.
public struct CompileErrors: Error, Sendable, CustomStringConvertible {
    public var errors: [CompileError]
    public var description: String { errors.map(\.description).joined(separator: "\n") }
}
