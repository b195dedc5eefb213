// Placeholder until the native client lands (owned by the core-exchange work).
#include "commands.hpp"

#include <CLI/CLI.hpp>

namespace liaison::cli {
void add_publish_command(CLI::App&, int&) {}
}  // namespace liaison::cli
