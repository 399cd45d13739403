// Fuzzes the redemption-token path of the kiosk endpoints (server/domain/redemption.*): the code
// a kiosk reads from a resident's app is taken as typed, length-checked, hashed and looked up,
// then a redemption is attempted with the requested lines. Runs against the real schema in
// memory with one resident (balance 0), one issued token and one goods reward ("tea", stock 5).
// Input: <flags byte> "token\n" then lines "sku qty-byte" separated by '\n'.
//   flags bit 0: the token is the real one followed by the input's token text (usually empty).
//
// Properties beyond "no crash, no UB":
//  - lookup accepts exactly the issued token (byte-for-byte) and names its holder; anything else
//    is 409 token_invalid;
//  - redeem checks in the documented order: token_invalid, then 400 invalid_field "items" for a
//    sku that is no goods reward, then out_of_stock (more than 5 tea in total), then
//    insufficient_points — and never succeeds here since the balance is 0;
//  - nothing else is ever thrown.
#include "common/errors.hpp"
#include "fuzz_db.hpp"
#include "fuzz_support.hpp"
#include "server/domain/kiosks.hpp"
#include "server/domain/redemption.hpp"
#include "server/store/accounts_repo.hpp"

#include <string>
#include <vector>

using namespace civic;

namespace {

constexpr std::int64_t kNow = 1'800'000'000;

struct World {
    std::unique_ptr<store::Conn> conn = fuzz::open_schema_db();
    std::int64_t user_id = 0;
    std::int64_t kiosk_id = 0;
    std::string token;
    World() {
        store::UserRow u;
        u.phone = "+15550100";
        u.password_hash = "x";
        u.display_name = "Ana Example";
        u.role = "resident";
        u.created_at = kNow;
        user_id = store::insert_user(*conn, u);
        kiosk_id = domain::create_kiosk(*conn, std::string(32, 'k'), "Kiosk", "Store", kNow).id;
        conn->exec(
            "INSERT INTO rewards (sku, name, points_cost, stock, kind, created_at) "
            "VALUES ('tea', 'Tea', 10, 5, 'goods', 0), ('medal', 'Medal', 10, 5, 'honour', 0)");
        token = domain::issue_redeem_token(*conn, user_id, kNow).token;
    }
};
World& world() {
    static World w;
    return w;
}

// Runs fn; returns the ApiError code it threw ("" if none), checking its status.
template <class F>
std::string outcome(F&& fn) {
    try {
        fn();
        return "";
    } catch (const ApiError& e) {
        FUZZ_CHECK(e.status() == (e.code() == "invalid_field" ? 400 : 409));
        return e.code();
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    auto& w = world();
    fuzz::Cursor in(data, size);
    const auto flags = in.byte();
    std::string token(in.until('\n'));
    if (flags & 1) token = w.token + token;
    std::vector<domain::LineRequest> lines;
    while (!in.empty() && lines.size() < domain::kMaxRedemptionLines) {
        auto line = in.until('\n');
        const auto space = line.rfind(' ');
        const auto qty = space == std::string_view::npos || space + 1 >= line.size()
                             ? 1
                             : 1 + static_cast<unsigned char>(line[space + 1]) % domain::kMaxRedemptionQty;
        lines.push_back({std::string(line.substr(0, space)), qty});  // qty 1..99, as kiosk_api checks
    }
    const bool real = token == w.token;

    const auto looked_up = outcome([&] {
        const auto holder = domain::lookup_token(*w.conn, token, kNow);
        FUZZ_CHECK(holder.balance == 0 && !holder.masked_name.empty());
    });
    FUZZ_CHECK(looked_up == (real ? "" : "token_invalid"));

    std::string expected;
    std::int64_t tea = 0;
    bool unknown_sku = false;
    for (const auto& l : lines) {
        if (l.sku == "tea")
            tea += l.qty;
        else
            unknown_sku = true;
    }
    if (!real)
        expected = "token_invalid";
    else if (unknown_sku)
        expected = "invalid_field";
    else if (tea > 5)
        expected = "out_of_stock";
    else
        expected = "insufficient_points";
    if (lines.empty()) return 0;  // kiosk_api refuses an empty item list before redeem runs

    fuzz::rolled_back(*w.conn, [&] {
        const auto redeemed = outcome([&] { domain::redeem(*w.conn, w.kiosk_id, token, lines, kNow); });
        FUZZ_CHECK(redeemed == expected);
    });
    return 0;
}
