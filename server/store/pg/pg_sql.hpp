#pragma once
// SQL text written for SQLite's placeholders, turned into PostgreSQL's.
#include <string>
#include <string_view>

namespace civic::store::pg {

struct TranslatedSql {
    std::string sql;     // with $1, $2, … in place of ?, ?NNN
    int parameters = 0;  // the highest parameter number used
};

// `?` becomes `$n`, numbered as SQLite numbers them: a bare `?` takes one more than the highest
// number assigned so far, `?NNN` takes NNN. Text inside '…' (with '' escapes), E'…' (with
// backslash escapes), "…" identifiers, $tag$…$tag$ bodies, -- comments and /* */ comments
// (nested, as PostgreSQL nests them) is copied untouched. `$n` already in the text is kept and
// counted. Every other `?` is a placeholder, so PostgreSQL's jsonb operators `?`, `?|`, `?&`
// cannot be written in this SQL (use jsonb_exists, jsonb_exists_any, jsonb_exists_all).
// Throws std::invalid_argument for an unterminated literal, quoted identifier, dollar-quoted
// body or comment, and for a `?NNN` of 0 or above 65535.
TranslatedSql translate_placeholders(std::string_view sqlite_sql);

}  // namespace civic::store::pg
