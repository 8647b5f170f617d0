#include "wsman/Fault.h"

#include "wsman/Envelope.h"

#include "SharedData.h"
#include "Transcript.h"

#include <gtest/gtest.h>

using namespace Qt::Literals::StringLiterals;
using namespace Wsman;

namespace {

std::optional<Fault> firstRecordedFault(const QString &file)
{
    const auto transcript = TestSupport::loadTranscript(TestSupport::windowsTranscriptsDir() + u'/' + file);
    if (!transcript)
        return std::nullopt;
    for (const auto &exchange : transcript->exchanges) {
        const QByteArray body = exchange.response.toUtf8();
        if (isFaultBody(body)) {
            auto fault = parseFault(body);
            if (fault.ok())
                return fault.value();
        }
    }
    return std::nullopt;
}

} // namespace

TEST(Fault, RecordedOperationTimeout)
{
    PSREMOTE_REQUIRE_SHARED();
    const auto fault = firstRecordedFault(u"test_winrs_operation_timeout.yml"_s);
    ASSERT_TRUE(fault.has_value());
    EXPECT_EQ(fault->code, 0x80338029u);
    EXPECT_EQ(fault->machine, u"192.168.56.11"_s);
    EXPECT_EQ(fault->subcode, u"TimedOut"_s);
    EXPECT_EQ(fault->soapCode, u"Receiver"_s);
    EXPECT_TRUE(fault->message.startsWith(u"The WS-Management service cannot complete the operation"_s));
    EXPECT_EQ(fault->kind(), FaultKind::OperationTimedOut);
    EXPECT_TRUE(isReceiveTimeout(*fault));
}

TEST(Fault, RecordedShellNotFound)
{
    PSREMOTE_REQUIRE_SHARED();
    const auto fault = firstRecordedFault(u"test_psrp_receive_failure.yml"_s);
    ASSERT_TRUE(fault.has_value());
    EXPECT_EQ(fault->code, 0x8033805Bu);
    EXPECT_EQ(fault->subcode, u"InvalidSelectors"_s);
    EXPECT_EQ(fault->soapCode, u"Sender"_s);
    EXPECT_EQ(fault->kind(), FaultKind::ShellNotFound);
    EXPECT_FALSE(isReceiveTimeout(*fault));
    EXPECT_TRUE(fault->reason.contains(u"invalid selectors"_s));
}

TEST(Fault, RecordedProviderFaultTextIsIncluded)
{
    PSREMOTE_REQUIRE_SHARED();
    const auto fault = firstRecordedFault(u"test_winrs_no_cmd_shell.yml"_s);
    ASSERT_TRUE(fault.has_value());
    EXPECT_EQ(fault->code, 2147942402u);
    EXPECT_EQ(fault->machine, u"server2008r2.domain.local"_s);
    EXPECT_EQ(fault->message, u"The system cannot find the file specified."_s);
    EXPECT_EQ(fault->kind(), FaultKind::Other);

    const auto header = firstRecordedFault(u"test_psrp_is_alive_other_wsman_error.yml"_s);
    ASSERT_TRUE(header.has_value());
    EXPECT_EQ(header->code, FaultCode::InvalidHeader);
    EXPECT_EQ(header->subcode, u"InvalidMessageInformationHeader"_s);
    EXPECT_TRUE(header->message.contains(u"PT-1S"_s));
}

TEST(Fault, SubcodeFallbackWithoutWsmanFault)
{
    const QByteArray body = R"(<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:w="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd"><s:Body><s:Fault><s:Code><s:Value>s:Receiver</s:Value><s:Subcode><s:Value>w:TimedOut</s:Value></s:Subcode></s:Code><s:Reason><s:Text xml:lang="en-US">late</s:Text></s:Reason></s:Fault></s:Body></s:Envelope>)";
    auto fault = parseFault(body);
    ASSERT_TRUE(fault.ok());
    EXPECT_EQ(fault->code, FaultCode::OperationTimedOut);
    EXPECT_EQ(fault->message, u"late"_s);
    EXPECT_FALSE(parseFault("<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\"><s:Body/></s:Envelope>").ok());
    EXPECT_FALSE(parseFault("not xml").ok());
}

TEST(Fault, KindsAndErrorIds)
{
    EXPECT_EQ(faultKind(5), FaultKind::AccessDenied);
    EXPECT_EQ(fullyQualifiedErrorId(5), u"AccessDenied"_s);
    EXPECT_EQ(faultKind(0x803381A6), FaultKind::QuotaExceeded);
    EXPECT_EQ(faultKind(0x80338041), FaultKind::SchemaValidation);
    EXPECT_EQ(faultKind(0x80338111), FaultKind::EnvelopeTooLarge);
    EXPECT_EQ(faultKind(0x8033803B), FaultKind::InvalidResourceUri);
    EXPECT_EQ(fullyQualifiedErrorId(0x8033803B), u"InvalidResourceUri"_s);
    EXPECT_EQ(faultKind(0x80338199), FaultKind::Redirect);
    EXPECT_EQ(faultKind(0x80540FA0), FaultKind::IncorrectProtocolVersion);
    EXPECT_EQ(faultKind(1326), FaultKind::Authentication);
    EXPECT_EQ(fullyQualifiedErrorId(0x803381B9), u"ComputerNotFound"_s);
    EXPECT_EQ(fullyQualifiedErrorId(1234567), u"PSSessionStateBroken"_s);
    EXPECT_EQ(faultKind(1234567), FaultKind::Other);
    EXPECT_TRUE(faultMeaning(0x80338029).contains(u"receive again"_s));
}
