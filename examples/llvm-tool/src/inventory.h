#pragma once
// What the tool reads from an object file, with nothing of LLVM, OpenSSL or
// libelf in it: the tests and main() include only this.
#include <boost/optional.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace inventory {

struct Section {
  std::string name;
  std::uint64_t size = 0;
};

struct Symbol {
  std::string name;
  std::string kind;  // "function", "data" or "other", as LLVM classifies it
  bool defined = false;
};

struct Inventory {
  std::string path;
  std::string format;          // LLVM's name for it, e.g. "elf64-x86-64"
  std::string sha256;          // of the whole file (OpenSSL)
  std::size_t elf_sections{};  // section headers as libelf counts them, index 0 included
  std::vector<Section> sections;
  std::vector<Symbol> symbols;
};

/// Reads `path` with LLVM's Object library; throws std::runtime_error with LLVM's words.
Inventory read(const std::string& path);

/// The SHA-256 of the file's bytes, lowercase hex.
std::string sha256_file(const std::string& path);

/// How many section headers the ELF file has (libelf's count, the null one included).
std::size_t elf_section_count(const std::string& path);

/// The symbol named `name`, if the object has one.
boost::optional<Symbol> find_symbol(const Inventory& inventory, std::string_view name);

/// The sections whose names start with `prefix` (".debug", ".text").
std::vector<Section> sections_with_prefix(const Inventory& inventory, std::string_view prefix);

/// The inventory as one line of JSON, written by LLVM's JSON writer.
std::string to_json(const Inventory& inventory);

/// The LLVM release the tool was built against (its headers' LLVM_VERSION_STRING).
std::string llvm_version();

}  // namespace inventory
