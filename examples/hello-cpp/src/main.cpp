#include <iostream>

#include "greeting.h"

int main(int argc, char** argv) {
  // Deliberate warning for the diagnostics to find: an unused variable.
  int unused_answer = 42;
  std::cout << greet(argc > 1 ? argv[1] : "world") << "\n";
  return 0;
}
