#include <gtest/gtest.h>

#include "digest.h"

TEST(Digest, EmptyInput) {
  EXPECT_EQ(digest::sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(Digest, Abc) {
  EXPECT_EQ(digest::sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Digest, SumLine) {
  EXPECT_EQ(digest::sum_line("f", "abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad  f");
}
