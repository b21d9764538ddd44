#!/usr/bin/env bash
# The project's own build: configure, build and test with CMake, the way its
# developers do. heimdall-build calls it with the cell's build type and
# standard (from the variables every cell gets: $BUILD_TYPE, $CXX_STANDARD).
#   scripts/build.sh --build-type Debug --cxx-standard 20 [--build-dir build]
set -euo pipefail
build_type=Release standard=17 build_dir=build
while [ $# -gt 0 ]; do
  case "$1" in
    --build-type) build_type=$2; shift 2 ;;
    --cxx-standard) standard=$2; shift 2 ;;
    --build-dir) build_dir=$2; shift 2 ;;
    *) echo "build.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
cmake -S . -B "$build_dir" -G Ninja \
  -DCMAKE_BUILD_TYPE="$build_type" \
  -DCMAKE_CXX_STANDARD="$standard" -DCMAKE_CXX_STANDARD_REQUIRED=ON -DCMAKE_CXX_EXTENSIONS=OFF \
  -DCMAKE_EXPORT_COMPILE_COMMANDS=ON
cmake --build "$build_dir"
