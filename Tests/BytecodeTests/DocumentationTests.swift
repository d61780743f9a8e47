// Docs/vm.md's instruction table is generated from the opcode table; this keeps them in sync.
// D6G_REGENERATE_DOCS=1 swift test --filter instructionTable rewrites the table in place.
import Bytecode
import Foundation
import Testing

@Test func instructionTableInDocsMatchesTheOpcodeTable() throws {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    let doc = try String(contentsOf: root.appendingPathComponent("Docs/vm.md"), encoding: .utf8)
    let begin = "<!-- opcode-table:begin -->\n", end = "\n<!-- opcode-table:end -->"
    let start = try #require(doc.range(of: begin)), finish = try #require(doc.range(of: end))
    if ProcessInfo.processInfo.environment["D6G_REGENERATE_DOCS"] == "1" {
        let updated = doc.replacingCharacters(in: start.upperBound..<finish.lowerBound, with: Opcode.markdownTable)
        try updated.write(to: root.appendingPathComponent("Docs/vm.md"), atomically: true, encoding: .utf8)
        return
    }
    #expect(String(doc[start.upperBound..<finish.lowerBound]) == Opcode.markdownTable,
            "regenerate the table in Docs/vm.md from Opcode.markdownTable")
}
