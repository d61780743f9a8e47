// Locates the externally written test vectors: Tests/Vectors in the repository (Tests/Vectors/README.md
// names each file's source, version and licence), or $D6G_TESTDATA when set.
import Foundation

public enum TestData {
    public enum LookupError: Error, CustomStringConvertible {
        case notFound(String)
        public var description: String {
            switch self {
            case .notFound(let path): return "test data not found: \(path) (Tests/Vectors is in the repository; D6G_TESTDATA overrides it)"
            }
        }
    }

    /// The vectors folder: $D6G_TESTDATA, else Tests/Vectors inside the package, so a fresh clone
    /// in any folder finds them.
    public static var root: URL {
        if let override = ProcessInfo.processInfo.environment["D6G_TESTDATA"] {
            return URL(fileURLWithPath: override)
        }
        // #filePath is Tests/TestSupport/TestData.swift inside the package.
        let testsFolder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        return testsFolder.appendingPathComponent("Vectors")
    }

    public static func url(_ relativePath: String) throws -> URL {
        let url = root.appendingPathComponent(relativePath)
        guard FileManager.default.fileExists(atPath: url.path) else { throw LookupError.notFound(url.path) }
        return url
    }

    public static func data(_ relativePath: String) throws -> Data {
        try Data(contentsOf: url(relativePath))
    }

    /// Parses a JSON file into Foundation objects (dictionaries, arrays, strings, numbers).
    public static func json(_ relativePath: String) throws -> Any {
        try JSONSerialization.jsonObject(with: data(relativePath), options: [.fragmentsAllowed])
    }

    /// A file of Tests/Fixtures: inputs this project wrote for its own tests (regressions), read
    /// by the Swift tests and tests/python alike.
    public static func fixture(_ name: String) throws -> String {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures").appendingPathComponent(name)
        guard FileManager.default.fileExists(atPath: url.path) else { throw LookupError.notFound(url.path) }
        return try String(contentsOf: url, encoding: .utf8)
    }
}
