// Every contract d6g-contract compiles by default. A new contract is a file in Contracts/ that
// declares a `Contract`, plus one line here (Docs/contract-dsl.md §Adding a contract).
import ContractDSL

public enum Contracts {
    public static let all: [Contract] = [token, keyDirectory, permissions, attestationRegistry, keyExchange]

    public static func named(_ name: String) -> Contract? { all.first { $0.name == name } }
}
