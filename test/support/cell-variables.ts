/** The sample cell of README's variables table, for the config's tests and the real runs alike. */

/** `linux / gcc-12 / c++20 / Debug / asan`, as a config's first lines. */
export const ASAN_CELL_CONFIG: readonly string[] = [
  "version: 1",
  "matrix:",
  "  compiler: [gcc@12]",
  "  cxx_standard: [20]",
  "  build_type: [Debug]",
  "sanitizers: [address]",
];

/** What that cell's build must find (besides CC and CXX), value for value. */
export const ASAN_CELL_VARIABLES: Readonly<Record<string, string>> = {
  HEIMDALL_CELL: "linux-gcc-12-cxx20-debug-asan",
  HEIMDALL_CELL_NAME: "linux / gcc-12 / c++20 / Debug / asan",
  PLATFORM: "linux",
  COMPILER_TYPE: "gcc",
  COMPILER_VERSION: "12",
  CXX_STANDARD: "20",
  C_STANDARD: "",
  BUILD_TYPE: "Debug",
  ENABLE_TESTS: "true",
  ENABLE_COVERAGE: "false",
  ENABLE_SANITIZERS: "true",
  SANITIZERS: "address",
  LLVM_VERSION: "",
  LLVM_CONFIG: "",
  LLVM_DIR: "",
};
