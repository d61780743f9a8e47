; Issue 8's crash: a deploy payload whose init code asks RETURNDATACOPY for 32 bytes at offset
; 2^64 − 1. The bounds check once computed offset + length in UInt64, overflowed and trapped the
; whole node (eth_call, eth_estimateGas, and the proposer building a block). Read by VMTests,
; NodeTests and tests/python/test_hostile.py; each expects an error and a node that goes on.
.init
  PUSH 32
  PUSH 0xffffffffffffffff
  PUSH 32
  RETURNDATACOPY
  STOP
.runtime
  PUSH0
  PUSH0
  RETURN
