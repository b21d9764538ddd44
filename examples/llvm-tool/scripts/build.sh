#!/usr/bin/env bash
# The project's own build, as its developers run it:
#   scripts/build.sh --standard 20 --compiler clang [--build-type Release] [--build-dir build]
# LLVM is the one $LLVM_CONFIG names (heimdall-build sets it per cell), else
# the llvm-config on PATH. It configures, builds, exports compile_commands.json,
# writes down which LLVM it built against (build/llvm-version.txt) and runs
# the tool on itself (build/inventory.json).
set -euo pipefail
standard=17 compiler=gcc build_type=${BUILD_TYPE:-Release} build_dir=build
while [ $# -gt 0 ]; do
  case "$1" in
    --standard) standard=$2; shift 2 ;;
    --compiler) compiler=$2; shift 2 ;;
    --build-type) build_type=$2; shift 2 ;;
    --build-dir) build_dir=$2; shift 2 ;;
    *) echo "build.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
case "$compiler" in
  gcc) cc=${CC:-gcc} cxx=${CXX:-g++} ;;
  clang) cc=${CC:-clang} cxx=${CXX:-clang++} ;;
  *) echo "build.sh: --compiler is gcc or clang, not $compiler" >&2; exit 2 ;;
esac
# A CXX of the other family would build with another compiler than asked for.
case "$("$cxx" --version)" in
  *clang*) family=clang ;;
  *) family=gcc ;;
esac
if [ "$family" != "$compiler" ]; then
  echo "build.sh: --compiler $compiler, but $cxx is $family" >&2; exit 2
fi
llvm_config=${LLVM_CONFIG:-llvm-config}
llvm_dir=${LLVM_DIR:-$("$llvm_config" --cmakedir)}

cmake -S . -B "$build_dir" -G Ninja \
  -DCMAKE_BUILD_TYPE="$build_type" \
  -DCMAKE_C_COMPILER="$cc" -DCMAKE_CXX_COMPILER="$cxx" \
  -DCMAKE_CXX_STANDARD="$standard" -DCMAKE_CXX_STANDARD_REQUIRED=ON -DCMAKE_CXX_EXTENSIONS=OFF \
  -DCMAKE_EXPORT_COMPILE_COMMANDS=ON \
  -DLLVM_DIR="$llvm_dir"
cmake --build "$build_dir"

"$llvm_config" --version >"$build_dir/llvm-version.txt"
"$build_dir/llvm-tool" "$build_dir/llvm-tool" >"$build_dir/inventory.json"
echo "build.sh: built with $cxx as C++$standard against LLVM $(cat "$build_dir/llvm-version.txt")"
