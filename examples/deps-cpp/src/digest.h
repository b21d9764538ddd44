#pragma once
#include <string>
#include <string_view>

namespace digest {

/// The SHA-256 of `data`, as lowercase hex.
std::string sha256_hex(std::string_view data);

/// "name  hash" lines, as sha256sum prints them.
std::string sum_line(std::string_view name, std::string_view data);

}  // namespace digest
