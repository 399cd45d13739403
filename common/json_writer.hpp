#pragma once
// A streaming JSON writer for response bodies of a known shape: values are appended to a string
// as they are given, with no tree of maps in between. Its output is byte for byte what
// jsonutil::dump gives for the same document (compact, non-ASCII kept, control characters
// escaped, invalid UTF-8 replaced by U+FFFD the way nlohmann's "replace" handler does it), so a
// view may move from one to the other without any client seeing a difference — provided the
// caller writes an object's keys in ascending byte order, as nlohmann's std::map does.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace civic::jsonutil {

class JsonWriter {
public:
    static constexpr int kMaxDepth = 32;  // nesting a known shape never needs more than a few of

    explicit JsonWriter(std::string& out) : out_(out) {}
    JsonWriter(const JsonWriter&) = delete;
    JsonWriter& operator=(const JsonWriter&) = delete;

    JsonWriter& begin_object();
    JsonWriter& end_object();
    JsonWriter& begin_array();
    JsonWriter& end_array();
    // The next value's name; must be followed by exactly one value (or container).
    JsonWriter& key(std::string_view name);

    JsonWriter& string(std::string_view text);
    JsonWriter& integer(std::int64_t value);
    // Shortest text that reads back to the same double (nlohmann's formatting); null when not finite.
    JsonWriter& number(double value);
    JsonWriter& boolean(bool value);
    JsonWriter& null();

    JsonWriter& string_or_null(const std::optional<std::string>& text) { return text ? string(*text) : null(); }
    JsonWriter& integer_or_null(const std::optional<std::int64_t>& value) { return value ? integer(*value) : null(); }

    // Open containers (0 once the document is complete).
    int depth() const noexcept { return depth_; }

private:
    void separate();

    std::string& out_;
    bool need_comma_ = false;  // a value was written in the current container
    int depth_ = 0;
};

// Appends `text` as a JSON string literal (quotes included), escaped exactly as jsonutil::dump does.
void append_quoted(std::string& out, std::string_view text);

}  // namespace civic::jsonutil
