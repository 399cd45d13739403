#pragma once
// One photo into the photo store, the same way for every writer (report and Open311 uploads,
// the demo city): decoded, checked and cleaned by photo::process_to on the blocking pool — the
// cleaned original written straight into a file the store stages (PhotoStore::stage), never
// assembled in memory — then its thumbnail and its original stored durably in the configured
// store (--photos; the staged file renamed into place or PUT from disk), thumbnail first (once
// the original exists the pair is complete). The caller inserts the returned row — with
// add_photos (domain/reports.hpp) — only after this returns, so a row never names a missing file.
#include "server/store/photo_store.hpp"
#include "server/store/reports_repo.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>

#include <functional>
#include <memory>
#include <string>

#include "server/media/media_result.hpp"

namespace civic::domain {

// Where a photo's bytes come from (an upload's spooled file, a buffer): called on the blocking
// pool inside a decode slot (domain/photo_decode_gate.hpp), so that only the photos being
// decoded are in memory at once. A MediaError (a spool file that cannot be read: 503) refuses.
using PhotoSource = std::function<MediaResult<std::string>()>;

// A photo cleaned and written to a staged file, not yet in the store.
struct CleanedPhoto {
    store::PhotoBlobRow blob;
    std::unique_ptr<store::StagedFile> original;  // written beside the store, not held in memory
    std::string thumbnail;
    std::string thumbnail_sha256;
};

// The CPU half of clean_and_store_photo, blocking: photo::process_to with the cleaned original
// streamed into a file from `stage` (PhotoStore::stage), hashed on the way, and the thumbnail's
// SHA-256. `bytes` is released once processed. Throws ApiError 415/413 (the media layer's
// MediaError) and 503 (the disk). Also what civicsnap-load's intake ceiling runs per photo.
CleanedPhoto clean_photo(std::string bytes, const std::function<std::unique_ptr<store::StagedFile>()>& stage);

// ApiError 415 for bytes that are not a decodable JPEG/PNG, 413 beyond the pixel limit (the
// media layer's MediaError); 503 while the store cannot take it. Waits for a decode slot first.
boost::asio::awaitable<store::PhotoBlobRow> clean_and_store_photo(store::PhotoStore& photos,
                                                                  boost::asio::thread_pool& blocking,
                                                                  const std::string& bytes);
boost::asio::awaitable<store::PhotoBlobRow> clean_and_store_photo(store::PhotoStore& photos,
                                                                  boost::asio::thread_pool& blocking,
                                                                  PhotoSource source);

}  // namespace civic::domain
