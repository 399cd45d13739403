#include "server/objstore/s3_xml.hpp"

#include <charconv>
#include <functional>

namespace civic::objstore {

namespace {

bool name_start(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_' || c == ':'; }
bool name_char(char c) { return name_start(c) || (c >= '0' && c <= '9') || c == '-' || c == '.'; }
bool space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

void append_utf8(std::string& out, std::uint32_t cp) {
    if (cp < 0x80) {
        out.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
        out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
        out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
        out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
}

// Appends the decoded text of `raw` (no '<' in it); false on a bad reference.
bool decode_text(std::string_view raw, std::string& out) {
    std::size_t i = 0;
    while (i < raw.size()) {
        const char c = raw[i];
        if (c != '&') {
            out.push_back(c);
            ++i;
            continue;
        }
        const auto semi = raw.find(';', i);
        if (semi == std::string_view::npos || semi - i > 12) return false;
        const auto ref = raw.substr(i + 1, semi - i - 1);
        if (ref == "amp")
            out.push_back('&');
        else if (ref == "lt")
            out.push_back('<');
        else if (ref == "gt")
            out.push_back('>');
        else if (ref == "quot")
            out.push_back('"');
        else if (ref == "apos")
            out.push_back('\'');
        else if (ref.size() >= 2 && ref[0] == '#') {
            const bool hex = ref[1] == 'x';
            const auto digits = ref.substr(hex ? 2 : 1);
            std::uint32_t cp = 0;
            const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), cp, hex ? 16 : 10);
            if (digits.empty() || ec != std::errc{} || end != digits.data() + digits.size()) return false;
            if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
            append_utf8(out, cp);
        } else {
            return false;
        }
        i = semi + 1;
    }
    return true;
}

// Walks the document; `on_close(stack, text)` is called as each element closes, with the names of
// the open elements (the closing one last) and the text directly inside it.
using OnClose = std::function<bool(const std::vector<std::string_view>&, const std::string&)>;

bool walk(std::string_view xml, const OnClose& on_close) {
    std::vector<std::string_view> stack;
    std::vector<std::string> texts;
    bool seen_root = false;
    std::size_t pos = 0;
    const auto n = xml.size();
    auto read_name = [&]() -> std::string_view {
        const auto start = pos;
        if (pos >= n || !name_start(xml[pos])) return {};
        while (pos < n && name_char(xml[pos])) ++pos;
        return xml.substr(start, pos - start);
    };
    while (pos < n) {
        if (xml[pos] != '<') {
            const auto lt = xml.find('<', pos);
            const auto raw = xml.substr(pos, (lt == std::string_view::npos ? n : lt) - pos);
            pos += raw.size();
            if (stack.empty()) {
                for (const char c : raw) {
                    if (!space(c)) return false;  // text outside the root element
                }
                continue;
            }
            if (!decode_text(raw, texts.back())) return false;
            continue;
        }
        const auto rest = xml.substr(pos);
        if (rest.starts_with("<?")) {
            if (seen_root || !rest.starts_with("<?xml") || !stack.empty()) return false;  // only the declaration
            const auto end = xml.find("?>", pos);
            if (end == std::string_view::npos) return false;
            pos = end + 2;
            continue;
        }
        if (rest.starts_with("<!--")) {
            const auto end = xml.find("-->", pos + 4);
            if (end == std::string_view::npos) return false;
            pos = end + 3;
            continue;
        }
        if (rest.starts_with("<!")) return false;  // DOCTYPE, CDATA: not in S3's answers, refused
        if (rest.starts_with("</")) {
            pos += 2;
            const auto name = read_name();
            while (pos < n && space(xml[pos])) ++pos;
            if (name.empty() || pos >= n || xml[pos] != '>' || stack.empty() || stack.back() != name) return false;
            ++pos;
            if (!on_close(stack, texts.back())) return false;
            stack.pop_back();
            texts.pop_back();
            continue;
        }
        ++pos;
        const auto name = read_name();
        if (name.empty()) return false;
        if (stack.empty() && seen_root) return false;  // a second root
        if (stack.size() >= kMaxXmlDepth) return false;
        seen_root = true;
        stack.push_back(name);
        texts.emplace_back();
        // Attributes are skipped (xmlns on the root is all S3 sends).
        for (;;) {
            const auto before = pos;
            while (pos < n && space(xml[pos])) ++pos;
            if (pos >= n) return false;
            if (xml[pos] == '>') {
                ++pos;
                break;
            }
            if (xml[pos] == '/') {
                if (pos + 1 >= n || xml[pos + 1] != '>') return false;
                pos += 2;
                if (!on_close(stack, texts.back())) return false;
                stack.pop_back();
                texts.pop_back();
                break;
            }
            if (pos == before) return false;  // attributes are separated by blanks
            if (read_name().empty()) return false;
            while (pos < n && space(xml[pos])) ++pos;
            if (pos >= n || xml[pos] != '=') return false;
            ++pos;
            while (pos < n && space(xml[pos])) ++pos;
            if (pos >= n || (xml[pos] != '"' && xml[pos] != '\'')) return false;
            const auto close = xml.find(xml[pos], pos + 1);
            if (close == std::string_view::npos || xml.substr(pos, close - pos).find('<') != std::string_view::npos) {
                return false;
            }
            pos = close + 1;
        }
    }
    return seen_root && stack.empty();
}

bool is_path(const std::vector<std::string_view>& stack, std::initializer_list<std::string_view> path) {
    if (stack.size() != path.size()) return false;
    std::size_t i = 0;
    for (const auto& p : path) {
        if (stack[i++] != p) return false;
    }
    return true;
}

// Walks a document whose root element must be `root`; `on_field(stack, text)` is called as each
// element inside it closes (the root's own close is not passed on).
bool walk_under(std::string_view xml, std::string_view root, const OnClose& on_field) {
    bool root_ok = false;
    const bool ok = walk(xml, [&](const std::vector<std::string_view>& stack, const std::string& text) {
        if (stack[0] != root) return false;
        if (stack.size() == 1) return root_ok = true;
        return on_field(stack, text);
    });
    return ok && root_ok;
}

}  // namespace

std::string unquote(std::string_view v) {
    if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
    return std::string(v);
}

std::optional<ListPage> parse_list_objects_v2(std::string_view xml, std::size_t max_entries) {
    ListPage page;
    ListEntry current;
    const bool ok =
        walk_under(xml, "ListBucketResult", [&](const std::vector<std::string_view>& stack, const std::string& text) {
            if (is_path(stack, {"ListBucketResult", "IsTruncated"})) {
                if (text != "true" && text != "false") return false;
                page.truncated = text == "true";
            } else if (is_path(stack, {"ListBucketResult", "NextContinuationToken"})) {
                page.next_continuation_token = text;
            } else if (is_path(stack, {"ListBucketResult", "Contents", "Key"})) {
                current.key = text;
            } else if (is_path(stack, {"ListBucketResult", "Contents", "ETag"})) {
                current.etag = unquote(text);
            } else if (is_path(stack, {"ListBucketResult", "Contents", "LastModified"})) {
                current.last_modified = text;
            } else if (is_path(stack, {"ListBucketResult", "Contents", "Size"})) {
                const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), current.size);
                if (text.empty() || ec != std::errc{} || end != text.data() + text.size()) return false;
            } else if (is_path(stack, {"ListBucketResult", "Contents"})) {
                if (current.key.empty() || page.entries.size() >= max_entries) return false;
                page.entries.push_back(std::move(current));
                current = ListEntry{};
            }
            return true;
        });
    if (!ok) return std::nullopt;
    if (page.truncated && page.next_continuation_token.empty()) return std::nullopt;  // could not go on
    if (!page.truncated) page.next_continuation_token.clear();
    return page;
}

std::optional<S3ErrorBody> parse_error(std::string_view xml) {
    S3ErrorBody body;
    const bool ok = walk_under(xml, "Error", [&](const std::vector<std::string_view>& stack, const std::string& text) {
        if (is_path(stack, {"Error", "Code"}))
            body.code = text;
        else if (is_path(stack, {"Error", "Message"}))
            body.message = text;
        return true;
    });
    if (!ok) return std::nullopt;
    return body;
}

}  // namespace civic::objstore
