#pragma once

// The data/*.csv files as embedded at build time by embed_data.cmake (the generated
// embedded_data.cc in the build folder). Internal to the refdata module.

#include <span>
#include <string_view>

namespace zp::refdata::internal {

struct EmbeddedFile {
  std::string_view name;     // file name inside data/, e.g. "tce_coefficients.csv"
  std::string_view content;  // the file's bytes
};

std::span<const EmbeddedFile> EmbeddedDataFiles();

}  // namespace zp::refdata::internal
