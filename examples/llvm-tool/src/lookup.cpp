// Lookups over an inventory, with Boost's optional and string algorithms.
#include <boost/algorithm/string/predicate.hpp>

#include <algorithm>

#include "inventory.h"

namespace inventory {

boost::optional<Symbol> find_symbol(const Inventory& inventory, std::string_view name) {
  const auto found = std::find_if(inventory.symbols.begin(), inventory.symbols.end(),
                                  [&](const Symbol& symbol) { return symbol.name == name; });
  if (found == inventory.symbols.end()) return boost::none;
  return *found;
}

std::vector<Section> sections_with_prefix(const Inventory& inventory, std::string_view prefix) {
  std::vector<Section> matching;
  std::copy_if(inventory.sections.begin(), inventory.sections.end(), std::back_inserter(matching),
               [&](const Section& section) { return boost::algorithm::starts_with(section.name, prefix); });
  return matching;
}

}  // namespace inventory
