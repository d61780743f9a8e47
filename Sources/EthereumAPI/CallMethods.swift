// eth_call and eth_estimateGas: the call object run by the executor's `simulateCall` /
// `estimateGas` (Docs/execution.md §Simulated calls) with the VM, on the state of the block the
// second argument names. Reverts answer as geth does, code 3 with "execution reverted: <reason>"
// and the revert bytes as data, which web3.py turns into ContractLogicError.
import Execution
import LedgerJSON
import LedgerPrimitives
import LedgerTypes
import RPCServer

/// One call object, decoded.
struct CallRequest: Sendable {
    var from: Address
    var to: Address?
    var value: UInt256
    var data: [UInt8]
    var gas: UInt64?
    var accessList: [AccessListEntry]
}

extension EthereumAPI {
    func callRequest(_ params: RPCParams) throws -> CallRequest {
        // geth's third argument; running with it ignored would answer a different question.
        if let overrides = try params.optional(2, as: JSONValue.self), overrides != .null, overrides.objectValue?.isEmpty != true {
            throw RPCError.invalidArgument(2, "state overrides are not supported")
        }
        let target = try callTarget(params)
        let object = target.object
        return CallRequest(
            from: try params.optional("from", in: object, argument: 0, as: Address.self) ?? .zero,
            to: target.to,
            value: try params.optional("value", in: object, argument: 0, as: UInt256.self) ?? .zero,
            data: target.data,
            gas: try params.optional("gas", in: object, argument: 0, as: UInt64.self),
            accessList: try accessList(params, in: object))
    }

    private func accessList(_ params: RPCParams, in object: JSONObject) throws -> [AccessListEntry] {
        guard let value = object["accessList"], value != .null else { return [] }
        guard let entries = value.arrayValue else { throw RPCError.invalidArgument(0, "accessList is an array") }
        var accessList: [AccessListEntry] = []
        for entry in entries {
            guard let entryObject = entry.objectValue else { throw RPCError.invalidArgument(0, "accessList entries are objects") }
            let address = try params.required("address", in: entryObject, argument: 0, as: Address.self)
            let keys = try params.optional("storageKeys", in: entryObject, argument: 0, as: JSONValue.self)?.arrayValue ?? []
            var hashes: [Hash32] = []
            for key in keys {
                do { hashes.append(try Hash32(rpcParam: key)) } catch { throw RPCError.invalidArgument(0, "storageKeys: \(error)") }
            }
            accessList.append(AccessListEntry(address: address, storageKeys: hashes))
        }
        return accessList
    }

    /// Runs `body` on the read queue with the state and block context that argument `argument`
    /// names (latest when absent).
    private func withBlock<T: Sendable>(_ params: RPCParams, argument: Int,
                                        _ body: @escaping @Sendable (TrieStateReader, BlockContext) throws -> T) async throws -> T {
        let selector = try params.optional(argument, as: BlockSelector.self) ?? .latest
        let head = chain.head
        let feeRecipient = facts.feeRecipient
        return try await chain.read { store in
            guard let header = try header(selector, in: store, head: head) else {
                throw RPCError(code: RPCError.serverErrorCode, message: "header not found")
            }
            return try body(try store.state(at: header), BlockContext(header: header, feeRecipient: feeRecipient))
        }
    }

    /// The gas a simulation runs with: what the call object asks, else the block's gas limit, and
    /// never more than the node's cap.
    private func simulationGas(_ requested: UInt64?, _ context: BlockContext) -> UInt64 {
        min(requested ?? context.gasLimit, context.gasLimit, simulationLane.limits.gasCap)
    }

    /// Runs `body` in the simulation lane on the block argument 1 names, with the call object,
    /// its state and context, the gas it may use and the lane's stop condition.
    private func simulating<T: Sendable>(
        _ params: RPCParams,
        _ body: @escaping @Sendable (CallRequest, TrieStateReader, BlockContext, UInt64, StopCondition) throws -> T
    ) async throws -> (request: CallRequest, result: T) {
        let request = try callRequest(params)
        let result = try await simulationLane.run { stop in
            try await withBlock(params, argument: 1) { state, context in
                try body(request, state, context, simulationGas(request.gas, context), stop)
            }
        }
        return (request, result)
    }

    func call(_ params: RPCParams) async throws -> JSONValue {
        let executor = executor
        let lane = simulationLane
        let (_, result) = try await simulating(params) { request, state, context, gas, stop in
            try executor.simulateCall(from: request.from, to: request.to, value: request.value, data: request.data,
                                      gas: gas, context: context, on: state, stop: stop)
        }
        switch result {
        case .failure(let rejection):
            throw RPCError(code: RPCError.serverErrorCode, message: rejection.description)
        case .success(let simulation):
            if simulation.interrupted { throw RPCError(code: RPCError.serverErrorCode, message: lane.timeoutMessage) }
            switch simulation.status {
            case .success: return .data(simulation.returnData)
            case .revert: throw Self.reverted(simulation.returnData)
            case .failure(let reason): throw RPCError(code: RPCError.serverErrorCode, message: reason)
            }
        }
    }

    func estimateGas(_ params: RPCParams) async throws -> JSONValue {
        let executor = executor
        let lane = simulationLane
        let (request, result) = try await simulating(params) { request, state, context, gas, stop in
            try executor.estimateGas(from: request.from, to: request.to, value: request.value, data: request.data,
                                     allowance: gas, context: context, on: state, stop: stop)
        }
        switch result {
        case .success(let gas):
            // The executor's search runs without the access list, whose cost is intrinsic only.
            let isCreation = request.to == nil
            let listCost = IntrinsicGas.cost(data: [], isContractCreation: isCreation, accessList: request.accessList)
                - IntrinsicGas.cost(data: [], isContractCreation: isCreation, accessList: [])
            let (total, overflow) = gas.addingReportingOverflow(listCost)
            return .quantity(overflow ? .max : total)
        case .failure(.rejected(let rejection)):
            throw RPCError(code: RPCError.serverErrorCode, message: rejection.description)
        case .failure(.interrupted):
            throw RPCError(code: RPCError.serverErrorCode, message: lane.timeoutMessage)
        case .failure(.failsWithAllowedGas(let simulation)):
            if simulation.status == .revert { throw Self.reverted(simulation.returnData) }
            throw RPCError(code: RPCError.serverErrorCode, message: GasEstimationError.failsWithAllowedGas(simulation).description)
        }
    }

    /// Code 3 with the reason of an `Error(string)` revert, and the revert bytes.
    static func reverted(_ data: [UInt8]) -> RPCError {
        RPCError.executionReverted(reason: RevertReason.decode(data), data: data)
    }
}

/// Solidity's revert convention: `Error(string)`, i.e. selector 0x08c379a0 then the ABI-encoded string.
enum RevertReason {
    static let errorSelector: [UInt8] = [0x08, 0xc3, 0x79, 0xa0]

    /// The string of `Error(string)` revert data, or nil when the data is not that shape.
    static func decode(_ data: [UInt8]) -> String? {
        guard data.count >= 4 + 64, Array(data[0..<4]) == errorSelector else { return nil }
        let body = Array(data[4...])
        guard let offset = smallWord(body, at: 0), let length = smallWord(body, at: offset),
              offset + 32 + length <= body.count else { return nil }
        return String(decoding: body[(offset + 32)..<(offset + 32 + length)], as: UTF8.self)
    }

    /// The 32-byte big-endian word at `position` when it fits in an Int (else nil).
    private static func smallWord(_ bytes: [UInt8], at position: Int) -> Int? {
        guard position >= 0, position + 32 <= bytes.count,
              bytes[position..<(position + 24)].allSatisfy({ $0 == 0 }) else { return nil }
        let value = bytes[(position + 24)..<(position + 32)].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        return value <= UInt64(Int32.max) ? Int(value) : nil
    }
}
