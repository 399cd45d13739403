#pragma once
// What a repository needs from a connection and a query, as C++20 concepts that both
// server/store/sqlite.hpp and server/store/pg/pg_conn.hpp satisfy (checked in
// tests/unit/pg/test_pg_schema.cpp). It is the compile-time half of the proposal in
// docs/postgresql.md ("One interface, two engines"): repositories written once against this
// surface, with the engine chosen at start behind a small virtual layer.
#include <concepts>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace civic::store {

template <class Q>
concept SqlQuery = requires(Q q, const Q cq, int i, std::int64_t n, double d, std::string_view s,
                            std::optional<std::int64_t> on) {
    { q.bind(i, n) } -> std::same_as<Q&>;
    { q.bind(i, i) } -> std::same_as<Q&>;
    { q.bind(i, true) } -> std::same_as<Q&>;
    { q.bind(i, d) } -> std::same_as<Q&>;
    { q.bind(i, s) } -> std::same_as<Q&>;
    { q.bind(i, std::string()) } -> std::same_as<Q&>;
    { q.bind(i, "text") } -> std::same_as<Q&>;
    { q.bind(i, nullptr) } -> std::same_as<Q&>;
    { q.bind(i, on) } -> std::same_as<Q&>;
    { q.bind_blob(i, s) } -> std::same_as<Q&>;
    { q.args(n, s, d) } -> std::same_as<Q&>;
    { q.next() } -> std::same_as<bool>;
    { q.run() } -> std::same_as<void>;
    { cq.is_null(i) } -> std::same_as<bool>;
    { cq.int64(i) } -> std::same_as<std::int64_t>;
    { cq.real(i) } -> std::same_as<double>;
    { cq.text(i) } -> std::same_as<std::string>;
    { cq.blob(i) } -> std::same_as<std::string>;
    { cq.opt_int64(i) } -> std::same_as<std::optional<std::int64_t>>;
    { cq.opt_text(i) } -> std::same_as<std::optional<std::string>>;
    { cq.opt_real(i) } -> std::same_as<std::optional<double>>;
};

template <class C>
concept SqlConn = requires(C c, std::string_view sql) {
    { c.query(sql) } -> SqlQuery;
    { c.exec(sql) } -> std::same_as<void>;
};

}  // namespace civic::store
