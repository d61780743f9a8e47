// libsecp256k1 with the modules d6g-ledger uses: recovery (sender recovery) and ECDH (sealing).
#include <secp256k1.h>
#include <secp256k1_recovery.h>
#include <secp256k1_ecdh.h>
