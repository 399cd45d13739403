// SQLite placeholders → PostgreSQL's, outside literals, identifiers and comments only.
#include "server/store/pg/pg_sql.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

using civic::store::pg::translate_placeholders;

TEST(PgPlaceholders, TranslationTable) {
    struct Case {
        const char* in;
        const char* out;
        int parameters;
    };
    const Case cases[] = {
        {"SELECT 1", "SELECT 1", 0},
        {"SELECT ?", "SELECT $1", 1},
        {"INSERT INTO t (a, b, c) VALUES (?, ?, ?)", "INSERT INTO t (a, b, c) VALUES ($1, $2, $3)", 3},
        {"WHERE a=? AND b<>?", "WHERE a=$1 AND b<>$2", 2},
        {"LIMIT ? OFFSET ?", "LIMIT $1 OFFSET $2", 2},
        // inside literals: untouched
        {"SELECT '?' , ?", "SELECT '?' , $1", 1},
        {"SELECT 'it''s ?', ?", "SELECT 'it''s ?', $1", 1},
        {"SELECT '', ?", "SELECT '', $1", 1},
        {"SELECT E'\\'?', ?", "SELECT E'\\'?', $1", 1},
        {"SELECT e'a\\\\', ?", "SELECT e'a\\\\', $1", 1},
        // a backslash ends nothing in a standard string
        {"SELECT 'a\\', ?", "SELECT 'a\\', $1", 1},
        {"SELECT \"we?ird\" FROM t WHERE x = ?", "SELECT \"we?ird\" FROM t WHERE x = $1", 1},
        {"SELECT \"a\"\"?\", ?", "SELECT \"a\"\"?\", $1", 1},
        {"SELECT $$ ? $$, ?", "SELECT $$ ? $$, $1", 1},
        {"SELECT $fn$ '?' $$ ? $fn$, ?", "SELECT $fn$ '?' $$ ? $fn$, $1", 1},
        {"SELECT ? -- why?\n, ?", "SELECT $1 -- why?\n, $2", 2},
        {"SELECT ? -- trailing ?", "SELECT $1 -- trailing ?", 1},
        {"SELECT /* ? /* nested ? */ still ? */ ?", "SELECT /* ? /* nested ? */ still ? */ $1", 1},
        // numbered, the SQLite way: a bare ? is one more than the highest so far
        {"SELECT ?2, ?1", "SELECT $2, $1", 2},
        {"SELECT ?3, ?", "SELECT $3, $4", 4},
        {"SELECT ?1, ?1", "SELECT $1, $1", 1},
        // existing $n are kept and counted
        {"SELECT $1, ?", "SELECT $1, $2", 2},
        // a $ inside an identifier is not a dollar quote
        {"SELECT a$b, ?", "SELECT a$b, $1", 1},
        {"SELECT ?::bigint", "SELECT $1::bigint", 1},
        {"SELECT ?||'x'", "SELECT $1||'x'", 1},
        {"SELECT '日本?語', ?", "SELECT '日本?語', $1", 1},
        {"SELECT 1-?", "SELECT 1-$1", 1},
        {"SELECT 1/?", "SELECT 1/$1", 1},
    };
    for (const auto& c : cases) {
        const auto t = translate_placeholders(c.in);
        EXPECT_EQ(t.sql, c.out) << c.in;
        EXPECT_EQ(t.parameters, c.parameters) << c.in;
    }
}

TEST(PgPlaceholders, RefusesUnterminatedText) {
    for (const char* bad : {"SELECT 'abc", "SELECT \"abc", "SELECT $$ abc", "SELECT $x$ abc $y$", "SELECT /* abc",
                            "SELECT /* /* */", "SELECT E'\\'", "SELECT ?0", "SELECT ?99999"}) {
        EXPECT_THROW(translate_placeholders(bad), std::invalid_argument) << bad;
    }
}
