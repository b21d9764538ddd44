#include <iostream>
#include <iterator>
#include <string>

#include "digest.h"

int main(int argc, char** argv) {
  std::string input{std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>()};
  std::cout << digest::sum_line(argc > 1 ? argv[1] : "-", input) << '\n';
}
