// llvm-tool FILE: a JSON inventory of an ELF file's sections and symbols, with its SHA-256.
#include <exception>
#include <iostream>

#include "inventory.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: llvm-tool FILE\n";
    return 2;
  }
  try {
    std::cout << inventory::to_json(inventory::read(argv[1])) << '\n';
  } catch (const std::exception& error) {
    std::cerr << "llvm-tool: " << error.what() << '\n';
    return 1;
  }
}
