// The LLVM half of the tool: the object file read by LLVM's Object library,
// the JSON written by LLVM's JSON writer. The one translation unit that
// includes LLVM's (heavy) headers.
#include "inventory.h"

#include <llvm/Config/llvm-config.h>
#include <llvm/Object/ObjectFile.h>
#include <llvm/Support/Error.h>
#include <llvm/Support/JSON.h>
#include <llvm/Support/raw_ostream.h>

#include <stdexcept>
#include <utility>

namespace inventory {
namespace {

template <typename T>
T take(llvm::Expected<T> value, const std::string& what) {
  if (!value) throw std::runtime_error(what + ": " + llvm::toString(value.takeError()));
  return std::move(*value);
}

std::string kind_of(llvm::object::SymbolRef::Type type) {
  switch (type) {
    case llvm::object::SymbolRef::ST_Function:
      return "function";
    case llvm::object::SymbolRef::ST_Data:
      return "data";
    default:
      return "other";
  }
}

}  // namespace

Inventory read(const std::string& path) {
  auto binary = take(llvm::object::ObjectFile::createObjectFile(path), path);
  const llvm::object::ObjectFile& object = *binary.getBinary();
  Inventory result;
  result.path = path;
  result.format = object.getFileFormatName().str();
  for (const llvm::object::SectionRef& section : object.sections()) {
    result.sections.push_back({take(section.getName(), path).str(), section.getSize()});
  }
  for (const llvm::object::SymbolRef& symbol : object.symbols()) {
    auto name = take(symbol.getName(), path);
    if (name.empty()) continue;  // section and file symbols of some writers
    const auto flags = take(symbol.getFlags(), path);
    result.symbols.push_back({name.str(), kind_of(take(symbol.getType(), path)),
                              (flags & llvm::object::SymbolRef::SF_Undefined) == 0});
  }
  result.sha256 = sha256_file(path);
  result.elf_sections = object.isELF() ? elf_section_count(path) : 0;
  return result;
}

std::string to_json(const Inventory& inventory) {
  std::string text;
  llvm::raw_string_ostream out(text);
  llvm::json::OStream json(out);
  json.object([&] {
    json.attribute("path", inventory.path);
    json.attribute("format", inventory.format);
    json.attribute("sha256", inventory.sha256);
    json.attribute("llvm", llvm_version());
    json.attribute("elf_sections", static_cast<int64_t>(inventory.elf_sections));
    json.attributeArray("sections", [&] {
      for (const Section& section : inventory.sections) {
        json.object([&] {
          json.attribute("name", section.name);
          json.attribute("size", static_cast<int64_t>(section.size));
        });
      }
    });
    json.attributeArray("symbols", [&] {
      for (const Symbol& symbol : inventory.symbols) {
        json.object([&] {
          json.attribute("name", symbol.name);
          json.attribute("kind", symbol.kind);
          json.attribute("defined", symbol.defined);
        });
      }
    });
  });
  out.flush();
  return text;
}

std::string llvm_version() { return LLVM_VERSION_STRING; }

}  // namespace inventory
