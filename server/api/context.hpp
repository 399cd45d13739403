#pragma once
// What every handler may use. Owned by main; handlers hold a reference.
#include "common/clock.hpp"
#include "common/config.hpp"
#include "server/api/kiosk_keys.hpp"
#include "server/domain/kiosk_auth.hpp"
#include "server/http/limits.hpp"
#include "server/http/metrics.hpp"
#include "server/http/router.hpp"
#include "server/store/database.hpp"

#include <boost/asio/thread_pool.hpp>

#include <string>

namespace civic::domain {
class PossibleDuplicatesCache;
}
namespace civic::store {
class ClusterEvents;
class PhotoStore;
}  // namespace civic::store

namespace civic::api {

class ReportFeed;
class SessionCache;
struct RateLimits;

struct AppContext {
    store::Database& db;
    Clock& clock;
    const Config& config;
    boost::asio::thread_pool& blocking_pool;  // password hashing, image decoding, fsync
    std::string data_dir;
    std::string master_key;                                 // seals kiosk secrets (data/secrets/master.key)
    http::Metrics* metrics = nullptr;                       // set once the router is built
    ReportFeed* feed = nullptr;                             // live ticket updates (WebSocket subscribers)
    RateLimits* rate_limits = nullptr;                      // registration and report-submission buckets
    SessionCache* sessions = nullptr;                       // bearer tokens already resolved
    domain::PossibleDuplicatesCache* duplicates = nullptr;  // for report views built in read jobs
    std::string credit_key_pem = {};          // signs credit certificates (data/secrets/credit_ed25519.pem)
    store::PhotoStore* photos = nullptr;      // --photos: file:DIR or s3://BUCKET (store/photo_store.hpp)
    store::ClusterEvents* cluster = nullptr;  // PostgreSQL: this node's listener (its /metrics lines)
    // Kiosk calls: the unsealed secrets by key id (verified without a database read), and when
    // this node last purged old signatures. This process's own: kiosks are never re-keyed, and
    // every node purging now and then is enough.
    KioskKeys kiosk_keys = {};
    domain::SignaturePurgeSchedule signature_purge = {};
};

// A handler `fn(AppContext&, http::Request&)` bound to the context, as the router takes it.
template <class Fn>
http::Handler bind(AppContext& ctx, Fn fn) {
    return [&ctx, fn](http::Request& req) { return fn(ctx, req); };
}

}  // namespace civic::api
