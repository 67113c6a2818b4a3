// Bounce / auto-reply / list / feedback-report classification.
#pragma once

#include "parsers/parsed_mail.hpp"

#include <string>
#include <vector>

namespace deskgate {

// What the MIME walk found that classification needs beyond ParsedMail's fields.
struct ReportParts {
    bool multipart_report = false;
    std::string report_type;                 // lower-case report-type parameter
    std::vector<std::string> delivery_status;  // decoded message/delivery-status bodies
    std::string original_headers;            // header block of the returned message, if carried
    bool feedback_report = false;            // message/feedback-report part (RFC 5965 ARF)
};

// Sets mail.kind, mail.bounce and mail.auto_reply_reason from headers, subject, sender and
// the report parts.
void classify(ParsedMail& mail, const ReportParts& report);

// RFC 3464 §2.3: the per-recipient fields of a delivery-status body.
BounceInfo parseDeliveryStatus(std::string_view dsn);

}  // namespace deskgate
