#include "support/toml_edit.hpp"

#include <regex>

namespace liaison::testing {

std::string set_toml(std::string text, const std::string& dotted, const std::string& value) {
  auto dot = dotted.find('.');
  auto section = dotted.substr(0, dot);
  auto key = dotted.substr(dot + 1);
  auto header = "[" + section + "]";
  auto at = text.find("\n" + header + "\n");
  if (at == std::string::npos) return text + "\n" + header + "\n" + key + " = " + value + "\n";
  auto body = at + header.size() + 2;
  auto end = text.find("\n[", body);
  if (end == std::string::npos) end = text.size();
  std::regex line("(^|\n)" + key + "[ \t]*=[^\n]*");
  std::string part = text.substr(body, end - body);
  std::smatch m;
  if (std::regex_search(part, m, line)) {
    part.replace(static_cast<std::size_t>(m.position(0)), static_cast<std::size_t>(m.length(0)),
                 m.str(1) + key + " = " + value);
  } else {
    part = key + " = " + value + "\n" + part;
  }
  return text.substr(0, body) + part + text.substr(end);
}

}  // namespace liaison::testing
