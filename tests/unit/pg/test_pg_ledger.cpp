// The ledger's rules (tests/unit/server/test_ledger.cpp) on PostgreSQL: the same tests, the same
// domain code and repositories, through store::Conn's PostgreSQL engine.
#define CIVIC_TEST_ON_POSTGRESQL
#include "tests/unit/server/test_ledger.cpp"
