// The validators of one height: voting power, quorum thresholds and the proposer rotation.

/// Why a list of validators cannot form a set.
public enum ValidatorSetError: Error, Equatable, Sendable {
    case empty
    case duplicateValidator
    case nonPositivePower
    /// The proposer schedule is precomputed over one period of `totalPower` slots; keep powers small
    /// (a permissioned set weighs validators in units, not in tokens).
    case totalPowerTooLarge(limit: Int)
}

/// One validator and its voting power.
public struct Validator<C: ConsensusContext>: Hashable, Sendable {
    public let id: C.ValidatorID
    public let power: Int

    public init(id: C.ValidatorID, power: Int) {
        self.id = id
        self.power = power
    }
}

/// An immutable set of validators, sorted by id.
///
/// Proposer rotation is CometBFT's priority algorithm (a smooth weighted round robin): at each
/// step every validator's priority grows by its power, the highest priority proposes (ties go to
/// the smaller id) and its priority drops by the total power. Started from all-zero priorities the
/// sequence repeats every `totalPower` steps, each validator proposing exactly `power` times per
/// period, so it is precomputed once; the proposer of (h, r) is entry (h + r) mod totalPower.
/// Every node derives the same proposer from (set, h, r) alone, with no state carried across heights.
public struct ValidatorSet<C: ConsensusContext>: Sendable, Equatable {
    public static var maximumTotalPower: Int { 1 << 16 }

    public let validators: [Validator<C>]
    public let totalPower: Int
    private let indexByID: [C.ValidatorID: Int]
    private let schedule: [Int32]

    public init(_ members: [Validator<C>]) throws(ValidatorSetError) {
        guard !members.isEmpty else { throw .empty }
        let sorted = members.sorted { $0.id < $1.id }
        var index: [C.ValidatorID: Int] = [:]
        var total = 0
        for (position, member) in sorted.enumerated() {
            guard member.power > 0 else { throw .nonPositivePower }
            guard index.updateValue(position, forKey: member.id) == nil else { throw .duplicateValidator }
            guard member.power <= Self.maximumTotalPower - total else { throw .totalPowerTooLarge(limit: Self.maximumTotalPower) }
            total += member.power
        }
        validators = sorted
        totalPower = total
        indexByID = index
        schedule = Self.proposerSchedule(powers: sorted.map(\.power), total: total)
    }

    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.validators == rhs.validators }

    public var count: Int { validators.count }

    public func contains(_ id: C.ValidatorID) -> Bool { indexByID[id] != nil }

    /// The voting power of `id`, 0 if it is not in the set.
    public func power(of id: C.ValidatorID) -> Int {
        guard let position = indexByID[id] else { return 0 }
        return validators[position].power
    }

    /// More than 2/3 of the total power (the paper's 2f + 1): ⌊2n/3⌋ + 1 with equal power.
    public func isQuorum(_ power: Int) -> Bool { 3 * power > 2 * totalPower }

    /// More than 1/3 of the total power (the paper's f + 1): at least one correct validator.
    public func exceedsOneThird(_ power: Int) -> Bool { 3 * power > totalPower }

    /// The proposer of round `round` at `height` (Alg.1's `proposer(h, r)`).
    public func proposer(height: Height, round: Int) -> C.ValidatorID {
        precondition(round >= 0, "rounds start at 0")
        let slot = (height % UInt64(totalPower) + UInt64(round % totalPower)) % UInt64(totalPower)
        return validators[Int(schedule[Int(slot)])].id
    }

    private static func proposerSchedule(powers: [Int], total: Int) -> [Int32] {
        var priorities = [Int](repeating: 0, count: powers.count)
        var schedule: [Int32] = []
        schedule.reserveCapacity(total)
        for _ in 0..<total {
            var best = 0
            for position in priorities.indices {
                priorities[position] += powers[position]
                // Strictly greater keeps the earlier (smaller) id on ties.
                if priorities[position] > priorities[best] { best = position }
            }
            priorities[best] -= total
            schedule.append(Int32(best))
        }
        return schedule
    }
}
