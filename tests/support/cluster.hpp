#pragma once
// Integration-test support: the nodes of a cluster test — several daemons over one PostgreSQL
// database of the run's cluster, one set of keys and one photo store, as a province runs them
// (API.md §1.1). PostgreSQL runs only: build one after `if (!database_on_postgresql())
// GTEST_SKIP()`.
#include "support/daemon.hpp"
#include "support/scratch_dir.hpp"

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

namespace civic::test {

class Cluster {
public:
    struct Options {
        std::size_t nodes = 2;
        std::vector<std::string> extra_args;  // given to every node
        bool test_clock = true;
        std::string database_uri = {};  // empty: a fresh migrated database, dropped at the end
        std::string photos = {};        // empty: the run's S3 bucket, or a shared file: folder
    };
    Cluster() : Cluster(Options{}) {}
    explicit Cluster(Options options);
    ~Cluster();
    Cluster(const Cluster&) = delete;
    Cluster& operator=(const Cluster&) = delete;

    std::size_t size() const { return nodes_.size(); }
    Daemon& node(std::size_t i) { return *nodes_.at(i); }
    const std::string& database_uri() const { return database_uri_; }
    const std::string& photos() const { return photos_; }
    std::string secrets_dir() const { return root_->path + "/secrets"; }  // every node's --secrets-dir

    // (Re)starts node i on its data dir (after kill_hard() or stop()); the others keep running.
    void restart(std::size_t i);

private:
    Daemon::Options node_options(std::size_t i) const;

    Options options_;
    std::string database_name_;  // ours to drop; empty when the test gave the database
    std::string database_uri_;
    std::string photos_;
    std::unique_ptr<ScratchDir> root_;  // data dirs (node-N), shared secrets, shared photos
    std::vector<std::unique_ptr<Daemon>> nodes_;
};

}  // namespace civic::test
