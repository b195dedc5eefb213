// Writes the seed corpora of the fuzz targets into fuzz/corpus/<target>/ as
// files named seed-*: valid frames of each type, JSON frames, valid and
// invalid alerts, the repository's configuration files and variants of them,
// host:port forms. Entries that fuzzing added (named by their SHA-1) are kept.
//
// Usage: fuzz_make_corpus SOURCE_DIR   (writes SOURCE_DIR/fuzz/corpus/...)
#include "seeds.hpp"

#include <filesystem>
#include <fstream>
#include <iostream>
#include <stdexcept>

namespace {

namespace fs = std::filesystem;

// Replaces the seed-* files of `dir` with `corpus`.
void write_seeds(const fs::path& dir, const liaison::fuzz::seeds& corpus) {
  fs::create_directories(dir);
  for (const auto& entry : fs::directory_iterator(dir))
    if (entry.path().filename().string().starts_with("seed-")) fs::remove(entry.path());
  for (const auto& [name, bytes] : corpus) {
    std::ofstream out(dir / ("seed-" + name), std::ios::binary);
    out << bytes;
    if (!out) throw std::runtime_error("cannot write " + (dir / ("seed-" + name)).string());
  }
  std::cout << dir.string() << ": " << corpus.size() << " seeds\n";
}

}  // namespace

int main(int argc, char** argv) {
  using namespace liaison::fuzz;
  if (argc != 2) {
    std::cerr << "usage: fuzz_make_corpus SOURCE_DIR\n";
    return 2;
  }
  try {
    const fs::path source = argv[1];
    const fs::path corpus = source / "fuzz/corpus";
    write_seeds(corpus / "frame_reader", frame_reader_seeds());
    write_seeds(corpus / "request_binary", request_binary_seeds());
    write_seeds(corpus / "request_json", request_json_seeds());
    write_seeds(corpus / "alert", alert_seeds());
    write_seeds(corpus / "server_config", server_config_seeds(source));
    write_seeds(corpus / "members_config", members_config_seeds(source));
    write_seeds(corpus / "host_port", host_port_seeds());
    write_seeds(corpus / "http_target", http_target_seeds());
    write_seeds(corpus / "envelope_json", envelope_json_seeds());
  } catch (const std::exception& e) {
    std::cerr << "fuzz_make_corpus: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
