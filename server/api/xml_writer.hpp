#pragma once
// A small XML 1.0 writer for the Open311 responses. Element names come from code and are checked;
// text comes from users and is made safe: markup characters are escaped, invalid UTF-8 and the
// code points XML 1.0 forbids (most C0 controls, U+FFFE/U+FFFF) become U+FFFD, and a carriage
// return is written as a character reference so that parsers' end-of-line handling keeps it.
#include <string>
#include <string_view>
#include <vector>

namespace civic::xml {

// `text` made safe for element content or a quoted attribute value.
std::string escape(std::string_view text);

class Writer {
public:
    Writer();  // starts with <?xml version="1.0" encoding="UTF-8"?>
    void open(std::string_view name);
    void close();  // closes the innermost open element
    void element(std::string_view name, std::string_view text);
    void empty(std::string_view name);
    // The document; throws std::logic_error if an element is still open.
    std::string finish();

private:
    std::string out_;
    std::vector<std::string> open_;
};

// XML Name production restricted to ASCII (all our element names are).
bool valid_name(std::string_view name);

}  // namespace civic::xml
