#include <cstring>
#include <iostream>

#include "greeting.h"

static int expect_eq(const std::string& got, const std::string& want) {
  if (got == want) return 0;
  std::cerr << "expected '" << want << "', got '" << got << "'\n";
  return 1;
}

int main(int argc, char** argv) {
  if (argc < 2) return 2;
  if (std::strcmp(argv[1], "hello") == 0) return expect_eq(greet("heimdall"), "Hello, heimdall!");
  if (std::strcmp(argv[1], "words") == 0)
    return expect_eq(std::to_string(count_words("  one two\tthree ")), "3");
  return 2;
}
