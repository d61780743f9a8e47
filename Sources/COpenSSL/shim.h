// OpenSSL 3 libcrypto: SHA-256, HKDF-SHA256 and AES-256-GCM (through the EVP interfaces).
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/core_names.h>
#include <openssl/params.h>
#include <openssl/sha.h>
#include <openssl/rand.h>
#include <openssl/err.h>
