// The console's static files, embedded at build time (embed_assets.cmake).
#pragma once

#include <string_view>
#include <vector>

namespace stagecheck::console {

struct EmbeddedAsset {
  std::string_view name;   // file name, e.g. "app.js"
  std::string_view bytes;  // exact file contents
};

const std::vector<EmbeddedAsset>& EmbeddedAssets();

}  // namespace stagecheck::console
