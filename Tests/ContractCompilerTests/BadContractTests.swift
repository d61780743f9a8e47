// A catalogue of bad contracts: each fails to compile with the right message, at the file and
// line of the DSL statement that is wrong. Each case is written on one line, so `#line` there
// is the line the error must name.
import ContractCompiler
import ContractDSL
import Testing

private func compileErrors(_ contract: Contract) -> [CompileError] {
    do {
        _ = try ContractCompiler.compile(contract)
        return []
    } catch {
        return error.errors
    }
}

private func expectError(_ contract: Contract, _ fragment: String, line: Int, sourceLocation: Testing.SourceLocation = #_sourceLocation) {
    let errors = compileErrors(contract)
    let match = errors.first { $0.message.contains(fragment) }
    #expect(match != nil, "no error containing '\(fragment)' in \(errors)", sourceLocation: sourceLocation)
    #expect(match?.location.line == line, "\(match?.description ?? "") should name line \(line)", sourceLocation: sourceLocation)
    #expect(match?.location.file == "ContractCompilerTests/BadContractTests.swift", sourceLocation: sourceLocation)
}

@Test func unknownNamesAreReportedWithSuggestions() {
    var (contract, line) = (Contract("A") { Function("f") { Assign(local.x, 1) } }, #line)
    expectError(contract, "unknown local 'x'", line: line)
    (contract, line) = (Contract("A") { Storage("owner", .address); Function("f") { Assign(state.ownr, sender) } }, #line)
    expectError(contract, "unknown storage variable 'ownr'; did you mean 'owner'?", line: line)
    (contract, line) = (Contract("A") { Function("f") { Emit("Tranfer", 1) } }, #line)
    expectError(contract, "unknown event 'Tranfer'", line: line)
    (contract, line) = (Contract("A") { Function("f") { Revert(error: "Nope") } }, #line)
    expectError(contract, "unknown error 'Nope'", line: line)
    (contract, line) = (Contract("A") { Storage("r", .address); Function("f") { Evaluate(state.r.call("Registry", "touch")) } }, #line)
    expectError(contract, "unknown interface 'Registry'", line: line)
    (contract, line) = (Contract("A") { Storage("p", .map(.address, to: .record("Person"))); Record("Person", ("age", .uint8)); Function("f") { Assign(state.p[sender].agee, 1) } }, #line)
    expectError(contract, "record 'Person' has no field 'agee'; did you mean 'age'?", line: line)
}

@Test func typeMismatchesAreRefused() {
    var (contract, line) = (Contract("A") { Storage("owner", .address); Function("f", ("n", .uint256)) { Assign(state.owner, local.n) } }, #line)
    expectError(contract, "cannot assign a uint256 where an address is expected", line: line)
    (contract, line) = (Contract("A") { Function("f", ("a", .uint8), ("b", .uint16), returns: .bool) { Return(local.a < local.b) } }, #line)
    expectError(contract, "cannot apply < to a uint8 and a uint16", line: line)
    (contract, line) = (Contract("A") { Function("f", ("a", .uint8)) { Require(local.a, "a is zero") } }, #line)
    expectError(contract, "cannot require a uint8 where a bool is expected; compare it, e.g. x != 0", line: line)
    (contract, line) = (Contract("A") { Function("f", ("a", .uint8), returns: .uint8) { Return(-local.a) } }, #line)
    expectError(contract, "only signed integers can be negated", line: line)
    (contract, line) = (Contract("A") { Function("f", ("a", .bool), returns: .address) { Return(local.a.as(.address)) } }, #line)
    expectError(contract, "cannot convert a bool to an address", line: line)
    (contract, line) = (Contract("A") { Event("E", .field("v", .uint8)); Function("f") { Emit("E", 1, 2) } }, #line)
    expectError(contract, "event 'E' takes 1 value, 2 given", line: line)
    (contract, line) = (Contract("A") { Function("f") { Let("x", literal("12z")) } }, #line)
    expectError(contract, "'12z' is not a number", line: line)
    (contract, line) = (Contract("A") { Function("f", ("a", .uint8)) { Evaluate(local.a + 1) } }, #line)
    expectError(contract, "this expression has no effect", line: line)
}

@Test func constantsAreFoldedAndCheckedAtCompileTime() {
    var (contract, line) = (Contract("A") { Function("f") { Let("x", .uint8, 300) } }, #line)
    expectError(contract, "the literal 300 does not fit a uint8", line: line)
    (contract, line) = (Contract("A") { Function("f") { Let("x", .uint8, 255 + 1) } }, #line)
    expectError(contract, "this constant expression overflows uint8", line: line)
    (contract, line) = (Contract("A") { Function("f") { Let("x", .uint256, 1 - 2) } }, #line)
    expectError(contract, "below zero", line: line)
    (contract, line) = (Contract("A") { Function("f", ("a", .uint256), returns: .uint256) { Return(local.a / 0) } }, #line)
    expectError(contract, "division by zero", line: line)
    (contract, line) = (Contract("A") { Function("f", ("a", .int8), returns: .int8) { Return(local.a.power(2)) } }, #line)
    expectError(contract, "power applies to unsigned integers, not int8", line: line)
    (contract, line) = (Contract("A") { Function("f") { Let("x", .int8, -129) } }, #line)
    expectError(contract, "does not fit an int8", line: line)
}

@Test func viewFunctionsCannotChangeState() {
    var (contract, line) = (Contract("A") { Storage("n", .uint256); Function("f", .view) { Assign(state.n, 1) } }, #line)
    expectError(contract, "a view function cannot write state", line: line)
    (contract, line) = (Contract("A") { Event("E"); Function("f", .view) { Emit("E") } }, #line)
    expectError(contract, "a view function cannot emit events", line: line)
    (contract, line) = (Contract("A") { Storage("r", .address); Interface("R", InterfaceFunction("poke", returns: .bool)); Function("f", returns: .bool, .view) { Return(state.r.call("R", "poke")) } }, #line)
    expectError(contract, "a view function can only call view functions", line: line)
    (contract, line) = (Contract("A") { Storage("xs", .array(of: .uint8)); Function("f", .view) { Append(state.xs, 1) } }, #line)
    expectError(contract, "a view function cannot write state", line: line)
}

@Test func controlFlowMistakesAreCaught() {
    var (contract, line) = (Contract("A") { Function("f", ("a", .uint8), returns: .uint8) { If(local.a > 1) { Return(1) } } }, #line)
    expectError(contract, "can reach its end without returning a uint8", line: line)
    (contract, line) = (Contract("A") { Function("f", returns: .uint8) { Return(1); Return(2) } }, #line)
    expectError(contract, "unreachable code", line: line)
    (contract, line) = (Contract("A") { Function("f", ("a", .uint8)) { Let("a", 1) } }, #line)
    expectError(contract, "'a' shadows", line: line)
    (contract, line) = (Contract("A") { Function("f") { For("i", from: 0, to: 3, atMost: 3) { Assign(local.i, 0) } } }, #line)
    expectError(contract, "the loop variable 'i' cannot be assigned", line: line)
    (contract, line) = (Contract("A") { Function("f") { For("i", from: 0, to: 3, atMost: 0) {} } }, #line)
    expectError(contract, "atMost must be at least 1", line: line)
    (contract, line) = (Contract("A") { Function("f") { For("i", from: 0, to: 10, atMost: 5) {} } }, #line)
    expectError(contract, "this loop runs 10 times, more than its atMost of 5", line: line)
    (contract, line) = (Contract("A") { Storage("xs", .array(of: .address)); Function("f", returns: .uint256) { Return(state.xs) } }, #line)
    expectError(contract, "an address[] is not a value; index it, or read its .length", line: line)
    #expect(compileErrors(contract).count == 1, "one mistake, one error")
    (contract, line) = (Contract("A") { Function("f") { Return(1) } }, #line)
    expectError(contract, "this function returns nothing", line: line)
    (contract, line) = (Contract("A") { Storage("xs", .array(of: .uint8)); Function("f") { Assign(state.xs.length, 0) } }, #line)
    expectError(contract, "length changes only through Append and RemoveLast", line: line)
}

@Test func declarationsAreChecked() {
    var (contract, line) = (Contract("A") { Storage("n", .uint256); Storage("n", .uint8) }, #line)
    expectError(contract, "storage variable 'n' is declared twice", line: line)
    (contract, line) = (Contract("A") { Storage("n", .unsigned(bits: 7)) }, #line)
    expectError(contract, "'uint7' is not a valid type", line: line)
    (contract, line) = (Contract("A") { Storage("p", .record("Nobody")) }, #line)
    expectError(contract, "unknown record 'Nobody'", line: line)
    (contract, line) = (Contract("A") { Event("E", .indexed("a", .uint8), .indexed("b", .uint8), .indexed("c", .uint8), .indexed("d", .uint8)) }, #line)
    expectError(contract, "more than 3 indexed fields", line: line)
    (contract, line) = (Contract("A") { Storage("o", .address); CustomError("Unauthorized", ("who", .uint8)); Function("f", .nonpayable, only: [state.o]) {} }, #line)
    expectError(contract, "role guards revert with Unauthorized(address)", line: line)
    (contract, line) = (Contract("A") { Storage("rs", .array(.record("R"))); Record("R", ("a", .uint8)); Function("f") { Append(state.rs, 1) } }, #line)
    expectError(contract, "an array of records grows with Append(array)", line: line)
    (contract, line) = (Contract("A") { Storage("2fast", .uint8) }, #line)
    expectError(contract, "'2fast' is not a valid storage variable name", line: line)
}

@Test func everyErrorOfAContractIsReportedAtOnce() {
    let contract = Contract("A") {
        Function("f") { Assign(local.x, 1) }
        Function("g", returns: .uint8) { Let("y", 1) }
    }
    #expect(compileErrors(contract).count == 2)
}
