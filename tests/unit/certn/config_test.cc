#include "adapters/certn/config.h"

#include <cstdlib>

#include "gtest/gtest.h"

namespace stagecheck::certn {
namespace {

TEST(CertnConfigTest, DefaultTableHasEveryRegion) {
  CertnClientConfig config;
  // docs/certn-api.md's regional hosts.
  EXPECT_EQ(config.BaseUrlFor(CertnRegion::kNorthAmerica), "https://api.ca.certn.co");
  EXPECT_EQ(config.BaseUrlFor(CertnRegion::kUkEmea), "https://api.uk.certn.co");
  EXPECT_EQ(config.BaseUrlFor(CertnRegion::kApac), "https://api.au.certn.co");
  EXPECT_EQ(config.BaseUrlFor(CertnRegion::kSandbox), "https://api.sandbox.certn.co");
}

TEST(CertnConfigTest, OverrideAppliesToEveryRegionWithRegionPlaceholder) {
  CertnClientConfig config;
  config.base_url_override = "http://127.0.0.1:9/regions/{region}/";
  EXPECT_EQ(config.BaseUrlFor(CertnRegion::kUkEmea), "http://127.0.0.1:9/regions/uk_emea");
  EXPECT_EQ(config.BaseUrlFor(CertnRegion::kApac), "http://127.0.0.1:9/regions/apac");
  config.base_url_override = "http://127.0.0.1:9";
  EXPECT_EQ(config.BaseUrlFor(CertnRegion::kNorthAmerica), "http://127.0.0.1:9");
}

TEST(CertnConfigTest, EnvironmentOverride) {
  ::setenv("STAGECHECK_CERTN_BASE_URL", "http://127.0.0.1:1234", 1);
  CertnClientConfig config;
  config.ApplyEnvironment();
  ::unsetenv("STAGECHECK_CERTN_BASE_URL");
  EXPECT_EQ(config.BaseUrlFor(CertnRegion::kApac), "http://127.0.0.1:1234");
}

TEST(CertnConfigTest, ExpandPathEncodesTheId) {
  EXPECT_EQ(ExpandPath("/api/public/cases/{id}/", "a b/../c"), "/api/public/cases/a%20b%2F..%2Fc/");
}

}  // namespace
}  // namespace stagecheck::certn
