#pragma once
#include <string>

std::string greet(const std::string& name);
int count_words(const std::string& text);
