#pragma once
// One photo into the photo store, the same way for every writer (report and Open311 uploads,
// the demo city): decoded, checked and cleaned by photo::process on the blocking pool, then its
// thumbnail and its original stored durably in the configured store (--photos), thumbnail first
// (once the original exists the pair is complete). The caller inserts the returned row — with
// add_photos (domain/reports.hpp) — only after this returns, so a row never names a missing file.
#include "server/store/photo_store.hpp"
#include "server/store/reports_repo.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>

#include <string>

namespace civic::domain {

// ApiError 415 for bytes that are not a decodable JPEG/PNG, 413 beyond the pixel limit (the
// media layer's MediaError); 503 while the store cannot take it.
boost::asio::awaitable<store::PhotoBlobRow> clean_and_store_photo(store::PhotoStore& photos,
                                                                  boost::asio::thread_pool& blocking,
                                                                  const std::string& bytes);

}  // namespace civic::domain
