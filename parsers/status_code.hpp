// RFC 3463 enhanced status codes in bounce texts: which one names the cause.
#pragma once

#include <string>
#include <string_view>

namespace deskgate {

// The first enhanced status code of class 4 or 5 ("5.1.1") anywhere in `text`; "" if none.
std::string findStatusCode(std::string_view text);

// The code that names the cause in one diagnostic (an SMTP reply as a DSN's Diagnostic-Code
// or a bounce text quotes it), looking at the line of the first code only:
//  - a reply quoted inside the reply was the cause: the code after the most SMTP reply codes
//    wins ("554 4.4.7 Message expired … <421 4.4.2 Connection timed out>" → 4.4.2, SES's
//    "5.1.0 - Unknown address error 550-'5.7.1 … Access denied'" → 5.7.1);
//  - otherwise the first code, unless it is a generic x.0.0 and a more specific code of the
//    same class follows ("550 5.0.0 <u@x>: 5.1.1 unknown user").
// `nested` (if not null) tells whether the answer came from a nested reply.
std::string causeStatusCode(std::string_view text, bool* nested = nullptr);

// The status of one recipient: the DSN's Status field (`status`, may be "") against the
// diagnostic text. A nested reply's code is the cause; a generic Status x.0.0 yields to a
// more specific code of the same class in the diagnostic; otherwise the Status field stands.
std::string preferStatus(const std::string& status, std::string_view diagnostic);

// x.0.0: a class without subject and detail.
bool isGenericStatus(std::string_view code);

}  // namespace deskgate
