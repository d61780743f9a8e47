// Names for the VM's own `BlockContext` and `Log`. Execution and LedgerTypes have types of the
// same names, and the module name `VM` is shadowed by the `VM` enum, so `VM.Log` cannot say it;
// this file imports only the VM side, where the plain names are unambiguous.
import VM

typealias VMBlockContext = BlockContext
typealias VMLog = Log
