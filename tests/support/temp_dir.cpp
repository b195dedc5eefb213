#include "support/temp_dir.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace liaison::testing {

std::string make_kept_dir(const std::string& prefix, const std::string& parent) {
  auto base =
      parent.empty() ? std::filesystem::temp_directory_path() : std::filesystem::path(parent);
  auto pattern = (base / (prefix + ".XXXXXX")).string();
  if (!::mkdtemp(pattern.data()))
    throw std::runtime_error("cannot create a temporary directory in " + base.string());
  return pattern;
}

temp_dir::temp_dir(const std::string& prefix) : path_(make_kept_dir(prefix)) {}

temp_dir::~temp_dir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

std::string temp_dir::file(std::string_view name) const {
  return path_ + "/" + std::string(name);
}

std::string temp_dir::write(std::string_view name, std::string_view text) const {
  auto path = file(name);
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  write_file(path, text);
  return path;
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void write_file(const std::string& path, std::string_view text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  if (!out) throw std::runtime_error("cannot write " + path);
}

}  // namespace liaison::testing
