#pragma once
// Integration-test support: the keys every node shares (API.md §1.1, --secrets-dir). In the
// PostgreSQL run the launcher (daemon.cpp) gives each daemon `--secrets-dir <data-dir>/secrets`
// made by this, and a Cluster gives all its nodes one.
#include <string>

namespace civic::test {

// `civicsnapd init-secrets --secrets-dir dir`, unless both keys are there already; throws when it
// fails.
void init_secrets(const std::string& dir);

}  // namespace civic::test
