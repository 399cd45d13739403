#include "server/domain/kiosks.hpp"

#include "common/crypto.hpp"
#include "common/seal.hpp"
#include "server/store/city_repo.hpp"

namespace civic::domain {

NewKiosk create_kiosk(store::Conn& conn, std::string_view master_key, std::string_view name,
                      std::string_view store_name, std::int64_t now) {
    NewKiosk k;
    k.key_id = "kiosk_" + crypto::hex_encode(crypto::random_bytes(8));
    k.secret = crypto::random_token(32);
    k.id = store::insert_kiosk(conn, name, store_name, k.key_id, seal::encrypt(master_key, k.secret), now);
    return k;
}

}  // namespace civic::domain
