#include "server/api/xml_writer.hpp"

#include <cstdint>
#include <stdexcept>

namespace civic::xml {

namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

// XML 1.0 §2.2 Char: #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF].
bool allowed(std::uint32_t cp) {
    if (cp == 0x9 || cp == 0xA || cp == 0xD) return true;
    if (cp >= 0x20 && cp <= 0xD7FF) return true;
    if (cp >= 0xE000 && cp <= 0xFFFD) return true;
    return cp >= 0x10000 && cp <= 0x10FFFF;
}

// Decodes one strict UTF-8 sequence at text[i]; returns its length, or 0 if it is malformed
// (overlong, surrogate, beyond U+10FFFF, truncated).
std::size_t decode(std::string_view text, std::size_t i, std::uint32_t& cp) {
    const auto b0 = static_cast<unsigned char>(text[i]);
    std::size_t len;
    std::uint32_t min;
    if (b0 < 0x80) {
        cp = b0;
        return 1;
    } else if ((b0 & 0xE0) == 0xC0) {
        len = 2, cp = b0 & 0x1F, min = 0x80;
    } else if ((b0 & 0xF0) == 0xE0) {
        len = 3, cp = b0 & 0x0F, min = 0x800;
    } else if ((b0 & 0xF8) == 0xF0) {
        len = 4, cp = b0 & 0x07, min = 0x10000;
    } else {
        return 0;
    }
    if (i + len > text.size()) return 0;
    for (std::size_t k = 1; k < len; ++k) {
        const auto b = static_cast<unsigned char>(text[i + k]);
        if ((b & 0xC0) != 0x80) return 0;
        cp = (cp << 6) | (b & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
    return len;
}

}  // namespace

std::string escape(std::string_view text) {
    std::string out;
    out.reserve(text.size() + text.size() / 8);
    for (std::size_t i = 0; i < text.size();) {
        std::uint32_t cp = 0;
        const auto len = decode(text, i, cp);
        if (len == 0) {  // one bad byte becomes one replacement character
            out += kReplacement;
            ++i;
            continue;
        }
        if (!allowed(cp)) {
            out += kReplacement;
        } else {
            switch (cp) {
                case '&':
                    out += "&amp;";
                    break;
                case '<':
                    out += "&lt;";
                    break;
                case '>':
                    out += "&gt;";
                    break;  // also keeps "]]>" out of the output
                case '"':
                    out += "&quot;";
                    break;
                case '\'':
                    out += "&apos;";
                    break;
                case '\r':
                    out += "&#13;";
                    break;  // a literal CR would be normalised to LF
                default:
                    out.append(text.substr(i, len));
            }
        }
        i += len;
    }
    return out;
}

bool valid_name(std::string_view name) {
    if (name.empty()) return false;
    auto start = [](char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_'; };
    if (!start(name.front())) return false;
    // Names starting with "xml" (any case) are reserved by the XML specification.
    if (name.size() >= 3 && (name[0] | 0x20) == 'x' && (name[1] | 0x20) == 'm' && (name[2] | 0x20) == 'l') return false;
    for (char c : name)
        if (!start(c) && !(c >= '0' && c <= '9') && c != '-' && c != '.') return false;
    return true;
}

namespace {
void check_name(std::string_view name) {
    if (!valid_name(name)) throw std::invalid_argument("invalid XML element name: " + std::string(name));
}
}  // namespace

Writer::Writer() : out_("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n") {}

void Writer::open(std::string_view name) {
    check_name(name);
    out_ += '<';
    out_ += name;
    out_ += '>';
    open_.emplace_back(name);
}

void Writer::close() {
    if (open_.empty()) throw std::logic_error("XML writer: close without open");
    out_ += "</";
    out_ += open_.back();
    out_ += '>';
    open_.pop_back();
}

void Writer::element(std::string_view name, std::string_view text) {
    check_name(name);
    out_ += '<';
    out_ += name;
    out_ += '>';
    out_ += escape(text);
    out_ += "</";
    out_ += name;
    out_ += '>';
}

void Writer::empty(std::string_view name) {
    check_name(name);
    out_ += '<';
    out_ += name;
    out_ += "/>";
}

std::string Writer::finish() {
    if (!open_.empty()) throw std::logic_error("XML writer: <" + open_.back() + "> still open");
    out_ += '\n';
    return std::move(out_);
}

}  // namespace civic::xml
