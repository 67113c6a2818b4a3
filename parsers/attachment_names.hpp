// Safe, unique file names for a mail's attachments: agents save them, and
// `tickets attachment` writes them to disk by name.
#pragma once

#include "parsers/parsed_mail.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace deskgate {

// A sender's file name made safe to write: path parts ("../../x", "C:\dir\x") and control
// characters (C0, DEL, C1) removed, white space trimmed, at most 255 bytes (kept whole
// UTF-8 characters, and the extension). "" when nothing usable is left ("..", "/").
std::string safeFileName(std::string_view name);

// Gives every attachment a name: the one it has (made safe) or, when it has none or nothing
// of it is usable, one from its type (`image-1.jpg`, `message-1.eml`, `delivery-status.txt`,
// `attachment-1.bin`; `name_given` is then false), and makes the names unique in the mail,
// ignoring case ("report.pdf", "report-2.pdf").
void nameAttachments(std::vector<Attachment>& attachments);

}  // namespace deskgate
