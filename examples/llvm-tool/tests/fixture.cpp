// An object file with known symbols for the tests to read: a function, a
// datum and a reference to a function defined elsewhere (undefined here).
extern "C" int inventory_fixture_elsewhere();

extern "C" int inventory_fixture_answer() { return 42 + inventory_fixture_elsewhere(); }

extern "C" const char inventory_fixture_greeting[] = "hello";
