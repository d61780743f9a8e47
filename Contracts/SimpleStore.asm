; SimpleStore: one uint256 behind a Solidity-style ABI, written in d6g assembly (Docs/vm.md).
;   set(uint256)            0x60fe47b1  stores the value in slot 0, emits ValueSet(caller, value)
;   get() returns (uint256) 0x6d4ce63c  returns slot 0
;   fail()                  0xa9cc4718  reverts with Error("nope")
; Anything else reverts with no data. The ABI for web3.py is SimpleStore.abi.json beside this file;
; `d6g-node assemble Contracts/SimpleStore.asm` prints the deploy payload in hex.
.init
  PUSH 0
  PUSH 0
  RETURN
.runtime
  ; the selector: the first four bytes of the call data
  PUSH 0
  CALLDATALOAD
  PUSH 224
  SHR
  DUP1
  PUSH4 0x60fe47b1
  EQ
  RJUMPI set
  DUP1
  PUSH4 0x6d4ce63c
  EQ
  RJUMPI get
  DUP1
  PUSH4 0xa9cc4718
  EQ
  RJUMPI fail
  PUSH 0
  PUSH 0
  REVERT
set:
  PUSH 4
  CALLDATALOAD
  DUP1
  PUSH 0
  SSTORE
  ; ValueSet(address indexed who, uint256 value): topic 1 the caller, data the value
  PUSH 0
  MSTORE
  CALLER
  PUSH32 0xf3f57717dff9f5f10af315efdbfadc60c42152c11fc0c3c413bbfbdc661f143c
  PUSH 32
  PUSH 0
  LOG2
  STOP
get:
  PUSH 0
  SLOAD
  PUSH 0
  MSTORE
  PUSH 32
  PUSH 0
  RETURN
fail:
  ; Error(string) with "nope": selector, offset 0x20, length 4, the padded bytes (100 bytes)
  PUSH 0x08c379a0
  PUSH 224
  SHL
  PUSH 0
  MSTORE
  PUSH 32
  PUSH 4
  MSTORE
  PUSH 4
  PUSH 36
  MSTORE
  PUSH 0x6e6f7065
  PUSH 224
  SHL
  PUSH 68
  MSTORE
  PUSH 100
  PUSH 0
  REVERT
