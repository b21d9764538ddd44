#!/usr/bin/env bash
# The project's own SBOM: a CycloneDX document naming the LLVM release the
# tool was built against and the Debian package of each library it links
# (its DT_NEEDED entries, read with that LLVM's llvm-readelf), written where
# heimdall-build collects it ($HEIMDALL_SBOM_DIR).
#   scripts/sbom.sh [--build-dir build]
set -euo pipefail
build_dir=build
if [ "${1:-}" = --build-dir ]; then build_dir=$2; fi
program=$build_dir/llvm-tool
llvm_config=${LLVM_CONFIG:-llvm-config}
out=${HEIMDALL_SBOM_DIR:-.}/llvm-tool.cdx.json

# The package that installed the file the loader found: the real file's (the
# loader's path may be a development package's symlink), which dpkg may know
# by its path before usrmerge (/lib/... for /usr/lib/...).
owner() {
  local real path
  real=$(readlink -f "$1")
  for path in "$real" "${real#/usr}" "$1"; do
    dpkg -S "$path" 2>/dev/null | head -1 | cut -d: -f1 && return
  done
}

llvm_version=$("$llvm_config" --version)
declare -A sonames=()
packages=()
needed=$("$("$llvm_config" --bindir)/llvm-readelf" --dynamic-table "$program" | sed -n 's/.*(NEEDED).*\[\(.*\)\]$/\1/p')
for soname in $needed; do
  file=$(ldd "$program" | awk -v so="$soname" '$1 == so && $3 ~ /^\// {print $3}')
  [ -n "$file" ] || { echo "sbom.sh: the loader finds no $soname" >&2; exit 1; }
  package=$(owner "$file")
  [ -n "$package" ] || { echo "sbom.sh: no package owns $file ($soname)" >&2; exit 1; }
  [ -n "${sonames[$package]:-}" ] || packages+=("$package")
  sonames[$package]+="${sonames[$package]:+ }$soname"
done

components=$(printf '{"type":"framework","name":"llvm","version":"%s"}' "$llvm_version")
for package in "${packages[@]}"; do
  version=$(dpkg-query -W -f='${Version}' "$package")
  arch=$(dpkg-query -W -f='${Architecture}' "$package")
  components+=$(printf ',{"type":"library","name":"%s","version":"%s","purl":"pkg:deb/debian/%s@%s?arch=%s","properties":[{"name":"sonames","value":"%s"}]}' \
    "$package" "$version" "$package" "${version//:/%3A}" "$arch" "${sonames[$package]}")
done
printf '{"bomFormat":"CycloneDX","specVersion":"1.6","version":1,"metadata":{"component":{"type":"application","name":"llvm-tool"}},"components":[%s]}\n' \
  "$components" >"$out"
echo "sbom.sh: wrote $out (LLVM $llvm_version; ${packages[*]})"
