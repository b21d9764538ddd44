#!/usr/bin/env bash
# The project's own SBOM: a CycloneDX document naming the program and the
# libraries it links, written where heimdall-build collects it ($HEIMDALL_SBOM_DIR).
set -euo pipefail
out=${HEIMDALL_SBOM_DIR:-.}/digest-tool.cdx.json
libs=$(ldd build/digest-tool | awk '/=>/ {print $1}' | sort -u | sed 's/.*/{"type":"library","name":"&"}/' | paste -sd, -)
printf '{"bomFormat":"CycloneDX","specVersion":"1.6","version":1,"metadata":{"component":{"type":"application","name":"digest-tool"}},"components":[%s]}\n' "$libs" >"$out"
echo "sbom.sh: wrote $out"
