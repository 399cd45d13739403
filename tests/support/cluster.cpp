#include "support/cluster.hpp"

#include "support/secrets_dir.hpp"
#include "support/test_database.hpp"

#include <filesystem>
#include <stdexcept>

namespace civic::test {

namespace fs = std::filesystem;

Cluster::Cluster(Options options) : options_(std::move(options)), root_(std::make_unique<ScratchDir>()) {
    if (!database_on_postgresql()) throw std::logic_error("a Cluster needs the PostgreSQL run");
    if (options_.nodes == 0) throw std::invalid_argument("a Cluster has at least one node");
    if (options_.database_uri.empty()) {
        database_name_ = create_pg_database();
        database_uri_ = pg_uri(database_name_);
    } else {
        database_uri_ = options_.database_uri;
    }
    photos_ = options_.photos;
    if (photos_.empty()) photos_ = photo_store_arg();  // the run's bucket on the S3 run
    if (photos_.empty()) {
        fs::create_directories(fs::path(root_->path) / "photos");
        photos_ = "file:" + (fs::path(root_->path) / "photos").string();
    }
    // One set of keys for every node (kiosk secrets sealed on one are opened on another).
    init_secrets(secrets_dir());
    for (std::size_t i = 0; i < options_.nodes; ++i) {
        fs::create_directories(fs::path(root_->path) / ("node-" + std::to_string(i)));
        nodes_.push_back(std::make_unique<Daemon>(node_options(i)));
    }
}

Cluster::~Cluster() {
    nodes_.clear();  // every node stopped before its database goes
    if (database_name_.empty()) return;
    try {
        drop_pg_database(database_name_);
    } catch (const std::exception&) {
        // The run's cluster is removed at the end anyway.
    }
}

Daemon::Options Cluster::node_options(std::size_t i) const {
    Daemon::Options o;
    o.test_clock = options_.test_clock;
    o.data_dir = (fs::path(root_->path) / ("node-" + std::to_string(i))).string();
    o.photos = photos_;
    o.extra_args = {"--database", database_uri_, "--secrets-dir", secrets_dir()};
    o.extra_args.insert(o.extra_args.end(), options_.extra_args.begin(), options_.extra_args.end());
    return o;
}

void Cluster::restart(std::size_t i) {
    nodes_.at(i).reset();  // stops it if it still runs
    nodes_.at(i) = std::make_unique<Daemon>(node_options(i));
}

}  // namespace civic::test
