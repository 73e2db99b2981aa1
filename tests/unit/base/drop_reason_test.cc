#include "transport/base/drop_reason.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace hitless {
namespace {

TEST(DropReasonTest, NamesAreUniqueAndNonEmpty) {
  std::set<std::string> names;
  for (size_t i = 0; i < kDropReasonCount; ++i) {
    const auto name = DropReasonName(static_cast<DropReason>(i));
    EXPECT_FALSE(name.empty());
    names.emplace(name);
  }
  EXPECT_EQ(names.size(), kDropReasonCount);
}

TEST(DropReasonTest, CountersCountPerReason) {
  DropCounters c;
  c.Count(DropReason::kTruncated);
  c.Count(DropReason::kTruncated);
  c.Count(DropReason::kBadVersion, 5);
  EXPECT_EQ(c.Get(DropReason::kTruncated), 2u);
  EXPECT_EQ(c.Get(DropReason::kBadVersion), 5u);
  EXPECT_EQ(c.Get(DropReason::kDuplicate), 0u);
  EXPECT_EQ(c.Total(), 7u);
}

}  // namespace
}  // namespace hitless
