// Call data with one word changed: the bad-input catalogues build their cases from a good call.
import ContractCompiler
import ContractTesting
import LedgerPrimitives
import Testing
import VM

/// `data` with the 32 bytes at `offset` replaced by `value`.
func replacingWord(in data: [UInt8], at offset: Int, with value: UInt256) -> [UInt8] {
    var copy = data
    copy.replaceSubrange(offset..<(offset + 32), with: value.bigEndianBytes)
    return copy
}

/// Each malformed call in `catalogue` (name, arguments after `selector`) reverts without data on
/// the VM and in the reference evaluator alike.
func expectRefusedEverywhere(_ catalogue: [(String, [UInt8])], selector: [UInt8], contract: DeployedContract,
                             reference: ReferenceContract) {
    let environment = ReferenceEnvironment(caller: ContractHarness.defaultSender, contractAddress: contract.address,
                                           sha256: StandardCryptography.sha256, recoverSigner: StandardCryptography.recoverSigner)
    for (name, arguments) in catalogue {
        let result = contract.send(selector + arguments)
        #expect(result.failure == .revert([]), "\(name): \(String(describing: result.failure))")
        #expect(reference.call(selector + arguments, environment: environment).status == .revert, "\(name)")
    }
}
