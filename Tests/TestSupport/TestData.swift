// Locates the shared, externally written test vectors (../shared/testdata from the package root).
import Foundation

public enum TestData {
    public enum LookupError: Error, CustomStringConvertible {
        case notFound(String)
        public var description: String {
            switch self {
            case .notFound(let path): return "test data not found: \(path) (set D6G_TESTDATA to the testdata folder)"
            }
        }
    }

    /// The testdata folder: $D6G_TESTDATA, else ../shared/testdata beside the package root.
    public static var root: URL {
        if let override = ProcessInfo.processInfo.environment["D6G_TESTDATA"] {
            return URL(fileURLWithPath: override)
        }
        // #filePath is Tests/TestSupport/TestData.swift inside the package.
        let packageRoot = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return packageRoot.deletingLastPathComponent().appendingPathComponent("shared/testdata")
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
}
