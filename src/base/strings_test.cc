#include "zp/base/strings.h"

#include <gtest/gtest.h>

namespace zp {
namespace {

TEST(CsvFieldTest, QuotesOnlyWhenNeeded) {
  EXPECT_EQ(CsvField("E-001"), "E-001");
  EXPECT_EQ(CsvField("沈北, 一号"), "\"沈北, 一号\"");
  EXPECT_EQ(CsvField("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(CsvField("two\nlines"), "\"two\nlines\"");
  EXPECT_EQ(CsvField(""), "");
}

}  // namespace
}  // namespace zp
