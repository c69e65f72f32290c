#pragma once

// Shared pieces of the `zeropark` subcommands: opening the database, printing tables and errors.
// Each Add*Commands function registers its subcommands on the app; a subcommand's callback stores
// the work to run in *run, which main() calls after parsing.

#include <CLI/CLI.hpp>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "zp/base/result.h"
#include "zp/engine/engine.h"

namespace zp::cli {

// The work a parsed command line asks for; returns the process exit code.
using Runner = std::function<int()>;

inline constexpr const char* kDefaultDb = "./zeropark.zpdb";
inline constexpr const char* kDefaultDemoDb = "./zeropark-demo.zpdb";

// Opens the engine on a database path or store URL ("memory:", "sqlite:PATH", PATH).
Result<std::unique_ptr<engine::Engine>> OpenEngine(const std::string& db, bool background);
// Opens an existing database only (no background thread): a mistyped path must not create an
// empty park. NotFound names the path.
Result<std::unique_ptr<engine::Engine>> OpenExistingEngine(const std::string& db);

// Adds `--db PATH` to a subcommand.
void AddDbOption(CLI::App* app, std::string* db, const char* default_db = kDefaultDb);

// Prints "error: <message>" on stderr; returns 1.
int Fail(const Status& status);
int Fail(std::string_view message);

// The whole file as bytes; NotFound naming the path when it cannot be read.
Result<std::string> ReadFile(const std::string& path);
// Writes `text` to stdout when `path` is empty, else to the file (then says so); returns the
// exit code.
int WriteOutput(const std::string& path, std::string_view text);

// Prints rows as an aligned table (CJK characters count two columns) or as CSV.
void PrintTable(const std::vector<std::string>& header,
                const std::vector<std::vector<std::string>>& rows, bool csv);
// Shortest round-trip text of a number.
std::string Num(double v);

bool StderrIsTerminal();

// The command line, recorded by main() for the audit log.
void SetCommandLine(int argc, char** argv);
// Appends a CLI write to the audit log: actor "cli:<os user>", action = the command line, with
// the target and its state before and after (JSON, may be empty). Errors are also printed.
Status AuditCli(engine::Engine& engine, std::string_view target, std::string before,
                std::string after);

// Registration of the subcommand groups.
void AddServeCommands(CLI::App& app, Runner* run);       // serve, demo
void AddImportCommand(CLI::App& app, Runner* run);       // import
void AddRegistryCommands(CLI::App& app, Runner* run);    // registry, park, zone, enterprise, meter
void AddQueryCommands(CLI::App& app, Runner* run);       // query, readings, completeness,
                                                         // corrections, flush, version
void AddAccountingCommands(CLI::App& app, Runner* run);  // energy, carbon, economic, refdata,
                                                         // accounting
void AddAccountCommands(CLI::App& app, Runner* run);     // user, token, audit
void AddLedgerCommands(CLI::App& app, Runner* run);      // ledger verify, ledger export
void AddGreenCommands(CLI::App& app, Runner* run);       // green supply
void AddEnvCommands(CLI::App& app, Runner* run);         // hj212-sim, env sources

}  // namespace zp::cli
