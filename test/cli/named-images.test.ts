/** Which images a config names, and the lines validate and run print about those this host lacks. Pure. */
import { describe, expect, it } from "vitest";
import { NO_ENGINE, namedImageNotices, namedImages } from "../../src/cli/named-images.ts";
import { configNamedImage } from "../../src/executor/docker/cell-image.ts";
import { configured } from "../support/executor.ts";

const cellsOf = (yaml: string) => configured(`version: 1\n${yaml}`).cells;
const checked = (present: Record<string, boolean>) => ({
  checked: true as const,
  present: new Map(Object.entries(present)),
});

describe("configNamedImage", () => {
  it("is null for the catalog's image, which its recipe builds", () => {
    const [cell] = cellsOf("matrix:\n  compiler: [gcc@12]\n");
    expect(cell?.image).toBe("heimdall-build/gcc-12:bookworm");
    expect(configNamedImage(cell ?? expect.unreachable())).toBeNull();
  });

  it("is null when the config names the catalog's own tag for the cell's compiler: it is built all the same", () => {
    const [cell] = cellsOf("matrix:\n  compiler: [gcc@12]\nimage: heimdall-build/gcc-12:bookworm\n");
    expect(configNamedImage(cell ?? expect.unreachable())).toBeNull();
  });

  it("is the image for one the config names, even another compiler's catalog tag (no recipe of this cell builds it)", () => {
    const cells = cellsOf(
      "matrix:\n  compiler: [gcc@12, clang@16]\n  include:\n    - compiler: clang@16\n      image: heimdall-build/gcc-12:bookworm\nimage: myorg/cpp:1\n",
    );
    expect(cells.map((cell) => [cell.name, configNamedImage(cell)])).toEqual([
      ["linux / gcc-12 / c++17 / Release", "myorg/cpp:1"],
      ["linux / clang-16 / c++17 / Release", "heimdall-build/gcc-12:bookworm"],
    ]);
  });

  it("is null for a cell with no image (not Linux)", () => {
    const [cell] = cellsOf("matrix:\n  platform: [windows]\n  compiler: [msvc@2022]\nimage: myorg/cpp:1\n");
    expect(cell?.image).toBeNull();
    expect(configNamedImage(cell ?? expect.unreachable())).toBeNull();
  });
});

// gcc 12: myorg/cpp:1 in four cells; clang 16: myorg/clang:1 in one; gcc 9 in C++23 (skipped): myorg/old:1;
// gcc 13: its catalog tag, named (built from the recipe, so not a named image).
const MIXED = `matrix:
  compiler: [gcc@12]
  cxx_standard: [14, 17, 20, 23]
  include:
    - compiler: clang@16
      cxx_standard: 17
      image: myorg/clang:1
    - compiler: gcc@9
      cxx_standard: 23
      image: myorg/old:1
    - compiler: gcc@13
      cxx_standard: 17
      image: heimdall-build/gcc-13:trixie
image: myorg/cpp:1
`;

describe("namedImages", () => {
  it("lists each named image once, in the cells' order, skipped cells' too, not the catalog's", () => {
    expect(namedImages(cellsOf(MIXED))).toEqual(["myorg/cpp:1", "myorg/clang:1", "myorg/old:1"]);
  });
});

describe("namedImageNotices", () => {
  const cells = cellsOf(MIXED);

  it("says nothing of images the engine has", () => {
    expect(
      namedImageNotices(cells, checked({ "myorg/cpp:1": true, "myorg/clang:1": true, "myorg/old:1": true })),
    ).toEqual([]);
  });

  it("warns once per missing image: the cells named when few, counted when many; not for one only skipped cells use", () => {
    expect(
      namedImageNotices(cells, checked({ "myorg/cpp:1": false, "myorg/clang:1": false, "myorg/old:1": false })),
    ).toEqual([
      "warning: image 'myorg/cpp:1' is not on this host (docker image inspect found none); 4 cells use it: they will fail unless the image is pulled or built first",
      "warning: image 'myorg/clang:1' is not on this host (docker image inspect found none); 1 cell uses it (linux / clang-16 / c++17 / Release): it will fail unless the image is pulled or built first",
    ]);
  });

  it("names up to three cells", () => {
    const three = cellsOf("matrix:\n  compiler: [gcc@12]\n  cxx_standard: [14, 17, 20]\nimage: myorg/cpp:1\n");
    expect(namedImageNotices(three, checked({ "myorg/cpp:1": false }))).toEqual([
      "warning: image 'myorg/cpp:1' is not on this host (docker image inspect found none); 3 cells use it (linux / gcc-12 / c++14 / Release, linux / gcc-12 / c++17 / Release, linux / gcc-12 / c++20 / Release): they will fail unless the image is pulled or built first",
    ]);
  });

  it("gives one note, naming the images, when presence was not checked", () => {
    expect(namedImageNotices(cells, { checked: false, why: NO_ENGINE })).toEqual([
      "note: whether this host has the images the config names (myorg/cpp:1, myorg/clang:1, myorg/old:1) was not checked: no Docker engine answers (start dockerd, or set DOCKER_HOST)",
    ]);
  });

  it("says nothing when the config names no image, checked or not", () => {
    const catalogOnly = cellsOf("matrix:\n  compiler: [gcc@12, clang@16]\n");
    expect(namedImageNotices(catalogOnly, { checked: false, why: NO_ENGINE })).toEqual([]);
    expect(namedImageNotices(catalogOnly, checked({}))).toEqual([]);
  });
});
