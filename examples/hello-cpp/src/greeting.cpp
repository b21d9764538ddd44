#include "greeting.h"

std::string greet(const std::string& name) {
  return "Hello, " + name + "!";
}

int count_words(const std::string& text) {
  int words = 0;
  bool in_word = false;
  for (char c : text) {
    const bool space = c == ' ' || c == '\t' || c == '\n';
    if (!space && !in_word) ++words;
    in_word = !space;
  }
  return words;
}
