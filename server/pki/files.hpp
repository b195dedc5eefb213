// Internal to pki/: file helpers for key material. A file is written once,
// atomically and with its final permissions from the start; nothing here
// ever overwrites an existing file.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace liaison::pki::detail {

namespace fs = std::filesystem;

// The whole file. Throws std::runtime_error naming the path.
std::string read_file(const fs::path& path);

// Creates `path` holding `content` with exactly `mode` (e.g. owner_read |
// owner_write). Readers see the whole file or none of it. Returns false, and
// writes nothing, when `path` already exists. Throws std::runtime_error naming
// the path on any other failure.
bool write_new_file(const fs::path& path, std::string_view content, fs::perms mode);

// Creates the directory (and missing parents) when absent, giving the
// directory itself `mode`; an existing one is left as it is. Returns whether
// it was created. Throws std::runtime_error naming the path.
bool make_dir(const fs::path& path, fs::perms mode);

constexpr fs::perms private_file = fs::perms::owner_read | fs::perms::owner_write;
constexpr fs::perms public_file = private_file | fs::perms::group_read | fs::perms::others_read;
constexpr fs::perms private_dir = fs::perms::owner_all;
constexpr fs::perms public_dir = fs::perms::owner_all | fs::perms::group_read |
                                 fs::perms::group_exec | fs::perms::others_read |
                                 fs::perms::others_exec;

}  // namespace liaison::pki::detail
