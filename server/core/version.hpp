// This build's version and the git commit it was built from ("unknown" out
// of a checkout, "-dirty" with uncommitted changes). Defined in a source
// that the build writes (cmake/version.cmake); link liaison::version.
#pragma once

#include <string_view>

namespace liaison::core {

std::string_view version();
std::string_view commit();

}  // namespace liaison::core
