#include "pki/files.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>

namespace liaison::pki::detail {
namespace {

[[noreturn]] void fail(const fs::path& path, const std::string& what, int error) {
  throw std::runtime_error("cannot " + what + " " + path.string() + ": " + std::strerror(error));
}

}  // namespace

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(path, "read", errno);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

bool write_new_file(const fs::path& path, std::string_view content, fs::perms mode) {
  // Write a temporary file in the same directory, then link() it into place:
  // link fails when the target exists, so an existing file is never replaced
  // and a crash never leaves a half-written key behind.
  std::random_device random;
  auto tmp = path;
  tmp += ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(random());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) fail(tmp, "create", errno);
  const char* data = content.data();
  std::size_t left = content.size();
  int error = 0;
  while (left > 0 && error == 0) {
    ssize_t n = ::write(fd, data, left);
    if (n < 0 && errno != EINTR) error = errno;
    if (n > 0) {
      data += n;
      left -= static_cast<std::size_t>(n);
    }
  }
  // fchmod after open, because the umask would otherwise narrow `mode`.
  if (error == 0 && ::fchmod(fd, static_cast<mode_t>(mode)) != 0) error = errno;
  if (error == 0 && ::fsync(fd) != 0) error = errno;
  if (::close(fd) != 0 && error == 0) error = errno;
  if (error == 0 && ::link(tmp.c_str(), path.c_str()) != 0) error = errno;
  ::unlink(tmp.c_str());
  if (error == EEXIST) return false;
  if (error != 0) fail(path, "write", error);
  return true;
}

bool make_dir(const fs::path& path, fs::perms mode) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) return false;
  if (path.has_parent_path() && path.parent_path() != path)
    make_dir(path.parent_path(), public_dir);
  if (::mkdir(path.c_str(), static_cast<mode_t>(mode)) != 0) {
    if (errno == EEXIST) return false;  // created meanwhile by someone else: theirs
    fail(path, "create the directory", errno);
  }
  if (::chmod(path.c_str(), static_cast<mode_t>(mode)) != 0) fail(path, "chmod", errno);
  return true;
}

}  // namespace liaison::pki::detail
