#include "server/store/pg/pg_sql.hpp"

#include <stdexcept>

namespace civic::store::pg {

namespace {

bool ident_start(char c) {
    const auto u = static_cast<unsigned char>(c);
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || u >= 0x80;
}
bool ident_char(char c) { return ident_start(c) || (c >= '0' && c <= '9') || c == '$'; }
bool digit(char c) { return c >= '0' && c <= '9'; }

[[noreturn]] void unterminated(std::string_view what) {
    throw std::invalid_argument("SQL has an unterminated " + std::string(what));
}

// The index of the quote closing the text opened at `open` ('…' or "…"): a doubled quote stands
// for itself, and with `escapes` (E'…') a backslash takes the next character.
std::size_t closing_quote(std::string_view in, std::size_t open, bool escapes, std::string_view what) {
    const char quote = in[open];
    for (std::size_t j = open + 1;;) {
        if (j >= in.size()) unterminated(what);
        if (escapes && in[j] == '\\') {
            j += 2;
        } else if (in[j] != quote) {
            ++j;
        } else if (j + 1 < in.size() && in[j + 1] == quote) {
            j += 2;
        } else {
            return j;
        }
    }
}

}  // namespace

TranslatedSql translate_placeholders(std::string_view in) {
    TranslatedSql out;
    out.sql.reserve(in.size() + 16);
    const std::size_t n = in.size();
    std::size_t i = 0;
    // Copies in[from, to) and moves on.
    auto copy_to = [&](std::size_t to) {
        out.sql.append(in.substr(i, to - i));
        i = to;
    };
    while (i < n) {
        const char c = in[i];
        const bool after_ident = i > 0 && ident_char(in[i - 1]);
        if (c == '\'') {
            // E'…' (the E just copied) takes backslash escapes; plain '…' only ''.
            const bool escapes = i > 0 && (in[i - 1] == 'E' || in[i - 1] == 'e') && !(i > 1 && ident_char(in[i - 2]));
            copy_to(closing_quote(in, i, escapes, "string literal") + 1);
        } else if (c == '"') {
            copy_to(closing_quote(in, i, false, "quoted identifier") + 1);
        } else if (c == '-' && i + 1 < n && in[i + 1] == '-') {
            const auto eol = in.find('\n', i);
            copy_to(eol == std::string_view::npos ? n : eol);
        } else if (c == '/' && i + 1 < n && in[i + 1] == '*') {
            std::size_t j = i + 2;
            int depth = 1;
            while (depth > 0) {
                if (j + 1 >= n) unterminated("comment");
                if (in[j] == '/' && in[j + 1] == '*') {
                    ++depth;
                    j += 2;
                } else if (in[j] == '*' && in[j + 1] == '/') {
                    --depth;
                    j += 2;
                } else {
                    ++j;
                }
            }
            copy_to(j);
        } else if (c == '$' && !after_ident) {
            std::size_t j = i + 1;
            if (j < n && digit(in[j])) {  // an existing $n parameter
                int number = 0;
                while (j < n && digit(in[j]) && number <= 65535) number = number * 10 + (in[j++] - '0');
                if (number > out.parameters) out.parameters = number;
                copy_to(j);
                continue;
            }
            // $tag$ … $tag$ (tag may be empty)
            if (j < n && ident_start(in[j])) {
                while (j < n && ident_char(in[j]) && in[j] != '$') ++j;
            }
            if (j < n && in[j] == '$') {
                const std::string_view tag = in.substr(i, j - i + 1);
                const auto end = in.find(tag, j + 1);
                if (end == std::string_view::npos) unterminated("dollar-quoted string");
                copy_to(end + tag.size());
            } else {
                copy_to(i + 1);
            }
        } else if (c == '?') {
            std::size_t j = i + 1;
            int number = 0;
            bool numbered = false;
            while (j < n && digit(in[j])) {
                numbered = true;
                number = number * 10 + (in[j++] - '0');
                if (number > 65535) throw std::invalid_argument("SQL placeholder number above 65535");
            }
            if (numbered && number == 0) throw std::invalid_argument("SQL placeholder ?0");
            if (!numbered) number = out.parameters + 1;
            if (number > out.parameters) out.parameters = number;
            out.sql += '$';
            out.sql += std::to_string(number);
            i = j;
        } else if (ident_start(c)) {
            // A whole identifier or keyword at once, so that `$` inside it is not a quote.
            std::size_t j = i + 1;
            while (j < n && ident_char(in[j])) ++j;
            copy_to(j);
        } else {
            copy_to(i + 1);
        }
    }
    return out;
}

}  // namespace civic::store::pg
