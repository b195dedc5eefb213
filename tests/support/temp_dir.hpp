// Temporary directories and files for tests, one implementation for every
// label: a directory under the system temp dir that is removed with
// everything in it when the test ends (temp_dir), or kept for a post-mortem
// (make_kept_dir).
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace liaison::testing {

class temp_dir {
 public:
  explicit temp_dir(const std::string& prefix = "liaison-test");
  ~temp_dir();
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;

  const std::string& path() const { return path_; }
  // path()/name.
  std::string file(std::string_view name) const;
  // Writes `text` to `name` (relative to the directory, parents created) and
  // returns the file's path.
  std::string write(std::string_view name, std::string_view text) const;

 private:
  std::string path_;
};

// A fresh directory PARENT/PREFIX.XXXXXX (parent: the system temp dir by
// default) that is not removed. Throws std::runtime_error.
std::string make_kept_dir(const std::string& prefix, const std::string& parent = {});

// A whole file ("" if absent), and a whole file written.
std::string read_file(const std::filesystem::path& path);
void write_file(const std::string& path, std::string_view text);

}  // namespace liaison::testing
