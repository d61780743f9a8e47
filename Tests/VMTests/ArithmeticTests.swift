// Arithmetic, comparison and bit opcodes against BigInt with seeded random operands, including
// the boundaries (0, 1, 2^255, 2^256 − 1) where overflow, sign and shift rules bite.
import BigInt
import Bytecode
import Foundation
import LedgerPrimitives
import Testing
import TestSupport
import VM

private let modulus = BigUInt(1) << 256

private func big(_ value: UInt256) -> BigUInt { BigUInt(Data(value.bigEndianBytes)) }
private func word(_ value: BigUInt) -> UInt256 {
    let reduced = value % modulus
    return UInt256(bigEndianBytes: [UInt8](reduced.serialize()))!
}
private func signed(_ value: UInt256) -> BigInt {
    value.isNegative ? BigInt(big(value)) - BigInt(modulus) : BigInt(big(value))
}
private func word(_ value: BigInt) -> UInt256 {
    word(value < 0 ? BigUInt(value + BigInt(modulus)) : BigUInt(value))
}

/// What an opcode should give: a value, or a failure.
private enum Expected: Equatable { case value(UInt256), failure(Failure) }

private func reference(_ opcode: Opcode, _ a: UInt256, _ b: UInt256, _ c: UInt256) -> Expected {
    let (x, y, n) = (big(a), big(b), big(c))
    switch opcode {
    case .add: return x + y >= modulus ? .failure(.arithmeticOverflow) : .value(word(x + y))
    case .sub: return x < y ? .failure(.arithmeticOverflow) : .value(word(x - y))
    case .mul: return x * y >= modulus ? .failure(.arithmeticOverflow) : .value(word(x * y))
    case .wadd: return .value(word(x + y))
    case .wsub: return .value(word(x + modulus - y))
    case .wmul: return .value(word(x * y))
    case .div: return y == 0 ? .failure(.divisionByZero) : .value(word(x / y))
    case .mod: return y == 0 ? .failure(.divisionByZero) : .value(word(x % y))
    case .sdiv:
        if y == 0 { return .failure(.divisionByZero) }
        let quotient = signed(a) / signed(b)
        return quotient == BigInt(1) << 255 ? .failure(.arithmeticOverflow) : .value(word(quotient))
    case .smod: return y == 0 ? .failure(.divisionByZero) : .value(word(signed(a) % signed(b)))
    case .addmod: return n == 0 ? .failure(.divisionByZero) : .value(word((x + y) % n))
    case .mulmod: return n == 0 ? .failure(.divisionByZero) : .value(word((x * y) % n))
    case .exp, .wexp:
        let exponent = Int(y)
        let result = x.power(exponent)
        if opcode == .exp && result >= modulus { return .failure(.arithmeticOverflow) }
        return .value(word(result))
    case .lt: return .value(x < y ? 1 : 0)
    case .gt: return .value(x > y ? 1 : 0)
    case .slt: return .value(signed(a) < signed(b) ? 1 : 0)
    case .sgt: return .value(signed(a) > signed(b) ? 1 : 0)
    case .eq: return .value(x == y ? 1 : 0)
    case .and: return .value(word(x & y))
    case .or: return .value(word(x | y))
    case .xor: return .value(word(x ^ y))
    case .shl: return .value(x >= 256 ? 0 : word(y << Int(x)))
    case .shr: return .value(x >= 256 ? 0 : word(y >> Int(x)))
    case .sar:
        let shift = x >= 256 ? 256 : Int(x)
        // Floor division by 2^shift (BigInt's >> truncates negatives toward zero).
        let value = signed(b)
        return .value(word(value < 0 ? -((-value - 1) >> shift) - 1 : value >> shift))
    case .byte: return .value(x >= 32 ? 0 : word((y >> (8 * (31 - Int(x)))) & 0xff))
    case .signextend:
        guard x < 31 else { return .value(b) }
        let bits = 8 * (Int(x) + 1)
        let low = y & ((BigUInt(1) << bits) - 1)
        let negative = low >> (bits - 1) == 1
        return .value(negative ? word(low | (modulus - (BigUInt(1) << bits))) : word(low))
    default: fatalError("no reference for \(opcode)")
    }
}

/// Runs `opcode` with a on top, then b, then c.
private func run(_ opcode: Opcode, _ a: UInt256, _ b: UInt256, _ c: UInt256) throws -> Expected {
    let inputs = opcode.definition.inputs
    var code = CodeBuilder()
    if inputs == 3 { code.appendPush(c) }
    code.appendPush(b)
    code.appendPush(a)
    code.append(opcode)
    let (result, _) = try Fixture.run(code.returnTop())
    switch result.outcome {
    case .success: return .value(UInt256(bigEndianBytes: result.output)!)
    case .failure(let failure): return .failure(failure)
    case .revert: return .failure(.invalidInstruction)
    }
}

private let boundaries: [UInt256] = [0, 1, 2, 31, 32, 255, 256, .signedMin, .signedMax, .max, .max &- 1]

private func randomOperand(_ generator: inout SplitMix64) -> UInt256 {
    switch generator.next() % 4 {
    case 0: return boundaries[Int(generator.next() % UInt64(boundaries.count))]
    case 1: return UInt256(generator.next() % 300)
    case 2: return UInt256(limb0: generator.next(), limb1: generator.next(), limb2: 0, limb3: 0)
    default: return UInt256(limb0: generator.next(), limb1: generator.next(), limb2: generator.next(), limb3: generator.next())
    }
}

private let binaryOps: [Opcode] = [.add, .sub, .mul, .wadd, .wsub, .wmul, .div, .mod, .sdiv, .smod, .addmod, .mulmod,
                                   .lt, .gt, .slt, .sgt, .eq, .and, .or, .xor, .shl, .shr, .sar, .byte, .signextend]

@Test(arguments: binaryOps)
func arithmeticMatchesBigInt(_ opcode: Opcode) throws {
    var generator = SplitMix64(seed: 0xA11CE ^ UInt64(opcode.rawValue))
    for _ in 0..<60 {
        let (a, b, c) = (randomOperand(&generator), randomOperand(&generator), randomOperand(&generator))
        let expected = reference(opcode, a, b, c)
        #expect(try run(opcode, a, b, c) == expected, "\(opcode.definition.name) a=\(a.hexString) b=\(b.hexString) c=\(c.hexString)")
    }
}

@Test(arguments: [Opcode.exp, .wexp])
func exponentiationMatchesBigInt(_ opcode: Opcode) throws {
    var generator = SplitMix64(seed: 0xE4B)
    for _ in 0..<60 {
        let base = randomOperand(&generator)
        let exponent = UInt256(generator.next() % 260)
        #expect(try run(opcode, base, exponent, 0) == reference(opcode, base, exponent, 0), "base=\(base.hexString) e=\(exponent)")
    }
}

@Test func checkedArithmeticBoundaries() throws {
    #expect(try run(.add, .max, 1, 0) == .failure(.arithmeticOverflow))
    #expect(try run(.add, .max, 0, 0) == .value(.max))
    #expect(try run(.sub, 0, 1, 0) == .failure(.arithmeticOverflow))
    #expect(try run(.mul, .signedMin, 2, 0) == .failure(.arithmeticOverflow))
    #expect(try run(.sdiv, .signedMin, .max, 0) == .failure(.arithmeticOverflow))
    #expect(try run(.div, 7, 0, 0) == .failure(.divisionByZero))
    #expect(try run(.exp, 2, 255, 0) == .value(.signedMin))
    #expect(try run(.exp, 2, 256, 0) == .failure(.arithmeticOverflow))
    #expect(try run(.wexp, 2, 256, 0) == .value(0))
}

@Test func checkedFailureKeepsUnusedGas() throws {
    let (result, _) = try Fixture.run(CodeBuilder().push(1).push(.max).op(.add).returnTop())
    #expect(result.outcome == .failure(.arithmeticOverflow))
    #expect(result.gasLeft > 0)
}
