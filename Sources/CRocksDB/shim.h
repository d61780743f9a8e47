// RocksDB's C API; wrapped only by the StorageRocksDB adapter.
#include <rocksdb/c.h>
