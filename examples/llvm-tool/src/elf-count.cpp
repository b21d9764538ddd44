// libelf's view of the file, a second reader beside LLVM's: the section
// header count, which the tests compare with what LLVM lists.
#include <fcntl.h>
#include <libelf.h>
#include <unistd.h>

#include <stdexcept>

#include "inventory.h"

namespace inventory {

std::size_t elf_section_count(const std::string& path) {
  if (elf_version(EV_CURRENT) == EV_NONE) throw std::runtime_error(elf_errmsg(-1));
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw std::runtime_error(path + ": cannot be opened");
  Elf* elf = elf_begin(fd, ELF_C_READ, nullptr);
  std::size_t count = 0;
  const bool ok = elf != nullptr && elf_kind(elf) == ELF_K_ELF && elf_getshdrnum(elf, &count) == 0;
  const std::string error = ok ? "" : path + ": " + elf_errmsg(-1);
  if (elf != nullptr) elf_end(elf);
  close(fd);
  if (!ok) throw std::runtime_error(error);
  return count;
}

}  // namespace inventory
