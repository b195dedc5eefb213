// The one sentence a notice carries for the person on duty, e.g. "FLASH
// alert 0f6c... from AT has not been read by RS within its deadline
// (escalation 1 of 2)". It names the alert and the members concerned, never
// the alert's content: fallback contacts are not recipients.
#pragma once

#include "core/rapid.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace liaison::rapid {

// `state` and `note` are the receipt's, for a RECEIPT notice.
std::string notice_text(const core::notice& n, std::optional<core::receipt_state> state = {},
                        std::string_view note = {});

}  // namespace liaison::rapid
