#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <stdexcept>
#include <string>

#include "inventory.h"

// The fixture's object file, which CMake passes in (tests/fixture.cpp compiled).
#ifndef FIXTURE_OBJECT
#error "FIXTURE_OBJECT: the path of tests/fixture.cpp's object file"
#endif

namespace {

const inventory::Inventory& fixture() {
  static const inventory::Inventory read = inventory::read(FIXTURE_OBJECT);
  return read;
}

}  // namespace

TEST(Inventory, ReadsAnElfObject) {
  EXPECT_EQ(fixture().format, "elf64-x86-64");
  EXPECT_EQ(inventory::sections_with_prefix(fixture(), ".text").empty(), false);
}

TEST(Inventory, ClassifiesDefinedSymbols) {
  const auto answer = inventory::find_symbol(fixture(), "inventory_fixture_answer");
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->kind, "function");
  EXPECT_TRUE(answer->defined);
  const auto greeting = inventory::find_symbol(fixture(), "inventory_fixture_greeting");
  ASSERT_TRUE(greeting);
  EXPECT_EQ(greeting->kind, "data");
  EXPECT_TRUE(greeting->defined);
}

TEST(Inventory, SeesUndefinedReferences) {
  const auto elsewhere = inventory::find_symbol(fixture(), "inventory_fixture_elsewhere");
  ASSERT_TRUE(elsewhere);
  EXPECT_FALSE(elsewhere->defined);
  EXPECT_FALSE(inventory::find_symbol(fixture(), "no_such_symbol"));
}

TEST(Inventory, LibelfAndLlvmCountTheSameSections) {
  // LLVM lists the null section at index 0 too.
  EXPECT_EQ(fixture().elf_sections, fixture().sections.size());
  EXPECT_EQ(inventory::elf_section_count(FIXTURE_OBJECT), fixture().elf_sections);
}

TEST(Digest, Sha256OfAFile) {
  const std::string path = testing::TempDir() + "inventory-abc.txt";
  std::ofstream(path, std::ios::binary) << "abc";
  EXPECT_EQ(inventory::sha256_file(path), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  std::remove(path.c_str());
}

TEST(Json, WritesTheInventory) {
  inventory::Inventory small;
  small.path = "a \"quoted\" name.o";
  small.format = "elf64-x86-64";
  small.sha256 = "00";
  small.elf_sections = 2;
  small.sections = {{"", 0}, {".text", 16}};
  small.symbols = {{"f", "function", true}};
  EXPECT_EQ(inventory::to_json(small),
            R"({"path":"a \"quoted\" name.o","format":"elf64-x86-64","sha256":"00","llvm":")" +
                inventory::llvm_version() +
                R"(","elf_sections":2,"sections":[{"name":"","size":0},{"name":".text","size":16}],)"
                R"("symbols":[{"name":"f","kind":"function","defined":true}]})");
}

TEST(Errors, NotAnObjectFileSaysSo) {
  const std::string path = testing::TempDir() + "inventory-not-elf.txt";
  std::ofstream(path, std::ios::binary) << "plain text";
  EXPECT_THROW(inventory::read(path), std::runtime_error);
  std::remove(path.c_str());
}
