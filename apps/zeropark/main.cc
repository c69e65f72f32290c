// zeropark: the one executable. `zeropark --help` lists the subcommands; each has --help.

#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <exception>

#include "cli.h"
#include "zp/base/logging.h"
#include "zp/server/server.h"

int main(int argc, char** argv) {
  CLI::App app{fmt::format(
      "zeropark {} — energy and carbon data platform for industrial parks / 园区能源与碳数据平台",
      zp::server::Version())};
  app.require_subcommand(1);
  app.fallthrough();
  app.set_version_flag("--version", std::string(zp::server::Version()));
  std::string log_level = "info";
  app.add_option("--log-level", log_level, "debug, info, warning or error / 日志级别")
      ->check(CLI::IsMember({"debug", "info", "warning", "error"}))
      ->capture_default_str();

  zp::cli::Runner run;
  zp::cli::AddServeCommands(app, &run);
  zp::cli::AddImportCommand(app, &run);
  zp::cli::AddRegistryCommands(app, &run);
  zp::cli::AddQueryCommands(app, &run);
  zp::cli::AddAccountingCommands(app, &run);
  zp::cli::AddAccountCommands(app, &run);
  zp::cli::AddLedgerCommands(app, &run);
  zp::cli::AddGreenCommands(app, &run);
  zp::cli::AddEnvCommands(app, &run);
  zp::cli::SetCommandLine(argc, argv);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  if (log_level == "debug") {
    zp::SetLogLevel(zp::LogLevel::kDebug);
  } else if (log_level == "warning") {
    zp::SetLogLevel(zp::LogLevel::kWarning);
  } else if (log_level == "error") {
    zp::SetLogLevel(zp::LogLevel::kError);
  } else {
    zp::SetLogLevel(zp::LogLevel::kInfo);
  }
  if (!run) return 0;  // a group without its action, e.g. `zeropark zone`: help was printed
  try {
    return run();
  } catch (const std::exception& e) {
    fmt::print(stderr, "error: unexpected failure: {}\n", e.what());
    return 1;
  }
}
