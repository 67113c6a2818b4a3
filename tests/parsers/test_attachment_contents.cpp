// attachmentContents: the decoded bytes of chosen attachments (what `deskgate tickets
// attachment` writes and what an agent's reply carries to the customer), at the positions and
// with the names parseMail gives; findAttachment by name.
#include <doctest/doctest.h>

#include "parsers/parsed_mail.hpp"
#include "parsers/sha256.hpp"

using namespace deskgate;

namespace {

// A PDF-like binary in base64 (every byte value), a quoted-printable text file, an unnamed
// image, an attached message and a uuencoded file in the text.
const std::string kMail =
    "From: a@x.com\r\nSubject: files\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
    "--b\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n\r\nbegin 644 cat.txt\r\n#0V%T\r\n`\r\nend\r\nafter\r\n"
    "--b\r\nContent-Type: application/pdf; name=\"Report.pdf\"\r\nContent-Disposition: attachment\r\n"
    "Content-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQKAAECA/7/gIE=\r\n"
    "--b\r\nContent-Type: text/plain; name=notes.txt\r\nContent-Disposition: attachment; filename=notes.txt\r\n"
    "Content-Transfer-Encoding: quoted-printable\r\n\r\nGr=C3=BC=C3=9Fe,=\r\n Anna\r\n"
    "--b\r\nContent-Type: image/png\r\nContent-Transfer-Encoding: base64\r\n\r\niVBORw0KGgo=\r\n"
    "--b\r\nContent-Type: message/rfc822\r\n\r\nFrom: c@y.com\r\nSubject: Inner\r\n\r\nInner body\r\n"
    "--b--\r\n";

}  // namespace

TEST_CASE("attachmentContents gives the decoded bytes of the asked attachments, by parseMail's positions") {
    auto mail = parseMail(kMail);
    REQUIRE(mail);
    REQUIRE(mail->attachments.size() == 5);
    CHECK(mail->attachments[0].filename == "cat.txt");
    CHECK(mail->attachments[1].filename == "Report.pdf");
    CHECK(mail->attachments[2].filename == "notes.txt");
    CHECK(mail->attachments[3].filename == "image-1.png");
    CHECK(mail->attachments[4].filename == "Inner.eml");

    auto all = attachmentContents(kMail, {4, 3, 2, 1, 0});
    REQUIRE(all);
    REQUIRE(all->size() == 5);
    // In the order asked, each with parseMail's metadata and bytes that hash to its sha256.
    CHECK((*all)[0].attachment.filename == "Inner.eml");
    // The line end before a boundary belongs to the boundary (RFC 2046 §5.1.1).
    CHECK((*all)[0].data == "From: c@y.com\nSubject: Inner\n\nInner body");
    CHECK((*all)[1].data == std::string("\x89PNG\r\n\x1a\n", 8));
    CHECK((*all)[2].data == "Grüße, Anna");
    CHECK((*all)[3].data == std::string("%PDF-1.4\n\0\1\2\3\xfe\xff\x80\x81", 17));
    CHECK((*all)[4].data == "Cat");  // "#0V%T" is uuencoded "Cat"
    for (const auto& c : *all) {
        CAPTURE(c.attachment.filename);
        CHECK(c.data.size() == c.attachment.size);
        CHECK(sha256Hex(c.data) == c.attachment.sha256);
    }

    // Only what is asked for; past the end is left out; the same part twice is given twice.
    auto one = attachmentContents(kMail, {1, 9, 1});
    REQUIRE(one);
    REQUIRE(one->size() == 2);
    CHECK(one->at(0).data == one->at(1).data);
    CHECK(one->at(0).attachment.content_type == "application/pdf");
    auto none = attachmentContents(kMail, {});
    REQUIRE(none);
    CHECK(none->empty());
}

TEST_CASE("attachmentContents refuses what parseMail refuses, with the same code") {
    ParseOptions tight;
    tight.limits.max_size = 100;
    auto r = attachmentContents(kMail, {1}, tight);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == "too_large");
    CHECK(attachmentContents("", {0}).error().code == "empty");
}

TEST_CASE("findAttachment: the exact name first, else ignoring ASCII case") {
    auto mail = parseMail(kMail);
    REQUIRE(mail);
    CHECK(findAttachment(*mail, "Report.pdf") == 1);
    CHECK(findAttachment(*mail, "report.PDF") == 1);
    CHECK(findAttachment(*mail, "image-1.png") == 3);
    CHECK_FALSE(findAttachment(*mail, "Report"));
    CHECK_FALSE(findAttachment(*mail, "../Report.pdf"));
}
