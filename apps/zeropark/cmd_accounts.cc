// `zeropark user ...`, `zeropark token ...`, `zeropark audit`: accounts, credentials and the audit
// log, on the database directly (whoever can open the database file administers the park).

#include <fmt/format.h>
#include <unistd.h>

#include <ctime>
#include <iostream>

#include "cli.h"
#include "zp/auth/auth.h"
#include "zp/base/time.h"

namespace zp::cli {
namespace {

int64_t Now() { return static_cast<int64_t>(std::time(nullptr)); }

// The password from stdin (one line), or NotFound when stdin is a terminal and no --password-stdin.
Result<std::string> ReadPassword() {
  std::string line;
  if (!std::getline(std::cin, line)) {
    return InvalidArgumentError("no password on standard input / 请从标准输入提供密码");
  }
  while (!line.empty() && (line.back() == '\r' || line.back() == '\n')) line.pop_back();
  return line;
}

std::string Join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : ",") + x;
  return s;
}

struct UserArgs {
  std::string db;
  std::string username, display_name, role, enterprise;
  std::vector<std::string> zones;
  bool password_stdin = false;
  bool generate = false;
  bool disable = false, enable = false;
  bool csv = false;
};

struct TokenArgs {
  std::string db;
  std::string username, name, kind = "api";
  std::vector<std::string> meters;
  int64_t expires_days = 90;
  int64_t id = 0;
  bool csv = false;
};

int AddUser(const UserArgs& a) {
  auto engine = OpenEngine(a.db, false);
  if (!engine.ok()) return Fail(engine.error());
  auth::AuthService service((*engine)->store());
  auth::User u;
  u.username = a.username;
  u.display_name = a.display_name;
  auto role = auth::ParseRole(a.role);
  if (!role.ok()) return Fail(role.error());
  u.role = *role;
  u.enterprise_code = a.enterprise;
  u.zones = a.zones;
  if (!u.enterprise_code.empty() && !(*engine)->GetEnterprise(u.enterprise_code).ok()) {
    return Fail(fmt::format("no enterprise '{}' / 企业不存在", u.enterprise_code));
  }
  for (const std::string& z : u.zones) {
    if (!(*engine)->GetZone(z).ok()) return Fail(fmt::format("no zone '{}' / 网格不存在", z));
  }
  std::string password;
  if (a.generate) {
    password = auth::NewSecret().substr(3, 20);
  } else if (u.role != auth::Role::kDevice) {
    if (!a.password_stdin) {
      return Fail(
          "give the password on standard input with --password-stdin, or --generate-password / "
          "请用 --password-stdin 从标准输入提供密码，或 --generate-password");
    }
    auto p = ReadPassword();
    if (!p.ok()) return Fail(p.error());
    password = *p;
  }
  auto created = service.CreateUser(u, password);
  if (!created.ok()) return Fail(created.error());
  (void)AuditCli(**engine, "user " + created->username, "",
                 fmt::format(R"({{"id":{},"username":"{}","role":"{}"}})", created->id,
                             created->username, auth::RoleName(created->role)));
  fmt::print("created {} ({}, {}) id {} / 已创建账号\n", created->username,
             auth::RoleName(created->role), auth::RoleNameZh(created->role), created->id);
  if (a.generate) fmt::print("password / 密码: {}\n", password);
  return 0;
}

int ListUsers(const UserArgs& a) {
  auto engine = OpenEngine(a.db, false);
  if (!engine.ok()) return Fail(engine.error());
  auth::AuthService service((*engine)->store());
  auto users = service.ListUsers();
  if (!users.ok()) return Fail(users.error());
  std::vector<std::vector<std::string>> rows;
  for (const auto& u : *users) {
    rows.push_back({std::to_string(u.id), u.username, u.display_name,
                    std::string(auth::RoleName(u.role)), u.enterprise_code, Join(u.zones),
                    u.disabled ? "disabled" : ""});
  }
  PrintTable({"id", "username / 账号", "name / 姓名", "role / 角色", "enterprise / 企业",
              "zones / 网格", "state / 状态"},
             rows, a.csv);
  return 0;
}

int UpdateUser(const UserArgs& a) {
  auto engine = OpenEngine(a.db, false);
  if (!engine.ok()) return Fail(engine.error());
  auth::AuthService service((*engine)->store());
  auto u = service.FindUser(a.username);
  if (!u.ok()) return Fail(u.error());
  const std::string before =
      fmt::format(R"({{"role":"{}","disabled":{}}})", auth::RoleName(u->role), u->disabled);
  if (!a.role.empty()) {
    auto role = auth::ParseRole(a.role);
    if (!role.ok()) return Fail(role.error());
    u->role = *role;
  }
  if (!a.display_name.empty()) u->display_name = a.display_name;
  if (!a.enterprise.empty()) u->enterprise_code = a.enterprise;
  if (!a.zones.empty()) u->zones = a.zones;
  if (a.disable) u->disabled = true;
  if (a.enable) u->disabled = false;
  auto updated = service.UpdateUser(*u);
  if (!updated.ok()) return Fail(updated.error());
  if (a.password_stdin) {
    auto p = ReadPassword();
    if (!p.ok()) return Fail(p.error());
    if (Status s = service.SetPassword(updated->id, *p); !s.ok()) return Fail(s);
  }
  (void)AuditCli(**engine, "user " + updated->username, before,
                 fmt::format(R"({{"role":"{}","disabled":{},"password_changed":{}}})",
                             auth::RoleName(updated->role), updated->disabled, a.password_stdin));
  fmt::print("updated {} / 已更新\n", updated->username);
  return 0;
}

int IssueToken(const TokenArgs& a) {
  auto engine = OpenEngine(a.db, false);
  if (!engine.ok()) return Fail(engine.error());
  auth::AuthService service((*engine)->store());
  auto u = service.FindUser(a.username);
  if (!u.ok()) return Fail(u.error());
  for (const std::string& m : a.meters) {
    if (!(*engine)->GetMeter(m).ok()) return Fail(fmt::format("no meter '{}' / 表计不存在", m));
  }
  const auth::CredentialKind kind =
      a.kind == "device" ? auth::CredentialKind::kDeviceToken : auth::CredentialKind::kApiToken;
  auto issued = service.IssueToken(u->id, kind, a.name, a.meters,
                                   a.expires_days == 0 ? 0 : Now() + a.expires_days * 86400, Now());
  if (!issued.ok()) return Fail(issued.error());
  (void)AuditCli(**engine, "credential " + std::to_string(issued->credential.id), "",
                 fmt::format(R"({{"user":"{}","kind":"{}","name":"{}","meters":{}}})", u->username,
                             a.kind, a.name, a.meters.size()));
  fmt::print(stderr, "token {} for {} (shown once; store it now / 仅显示一次，请立即保存):\n",
             issued->credential.id, u->username);
  fmt::print("{}\n", issued->secret);
  return 0;
}

int ListTokens(const TokenArgs& a) {
  auto engine = OpenEngine(a.db, false);
  if (!engine.ok()) return Fail(engine.error());
  auth::AuthService service((*engine)->store());
  int64_t user_id = 0;
  if (!a.username.empty()) {
    auto u = service.FindUser(a.username);
    if (!u.ok()) return Fail(u.error());
    user_id = u->id;
  }
  auto list = service.ListCredentials(user_id);
  if (!list.ok()) return Fail(list.error());
  const TimeZone zone = (*engine)->zone();
  std::vector<std::vector<std::string>> rows;
  for (const auto& c : *list) {
    rows.push_back({std::to_string(c.id), std::to_string(c.user_id),
                    std::string(auth::CredentialKindName(c.kind)), c.name, Join(c.meters),
                    c.expires_s ? FormatTimestamp(c.expires_s, zone) : "never",
                    c.revoked ? "revoked" : "",
                    c.last_used_s ? FormatTimestamp(c.last_used_s, zone) : ""});
  }
  PrintTable({"id", "user", "kind / 类型", "name / 名称", "meters / 表计", "expires / 过期",
              "state / 状态", "last used / 最近使用"},
             rows, a.csv);
  return 0;
}

int RevokeToken(const TokenArgs& a) {
  auto engine = OpenEngine(a.db, false);
  if (!engine.ok()) return Fail(engine.error());
  auth::AuthService service((*engine)->store());
  if (Status s = service.Revoke(a.id); !s.ok()) return Fail(s);
  (void)AuditCli(**engine, "credential " + std::to_string(a.id), R"({"revoked":false})",
                 R"({"revoked":true})");
  fmt::print("revoked {} / 已撤销\n", a.id);
  return 0;
}

struct AuditArgs {
  std::string db;
  int64_t from_seq = 0;
  int64_t limit = 100;
  std::string actor, target;
  bool csv = false;
};

int ShowAudit(const AuditArgs& a) {
  auto engine = OpenEngine(a.db, false);
  if (!engine.ok()) return Fail(engine.error());
  const TimeZone zone = (*engine)->zone();
  std::vector<std::vector<std::string>> rows;
  Status s = (*engine)->store().ReadAudit(
      a.from_seq, a.limit, a.actor, a.target, [&](const store::AuditRow& r) {
        rows.push_back({std::to_string(r.seq), FormatTimestamp(r.ts_s, zone), r.actor, r.role,
                        r.action, r.target, std::to_string(r.status), r.remote, r.before_json,
                        r.after_json});
      });
  if (!s.ok()) return Fail(s);
  PrintTable({"seq", "time / 时间", "actor / 操作者", "role / 角色", "action / 操作",
              "target / 对象", "status", "from / 来源", "before / 之前", "after / 之后"},
             rows, a.csv);
  return 0;
}

}  // namespace

void AddAccountCommands(CLI::App& app, Runner* run) {
  auto* user = app.add_subcommand("user", "accounts and roles / 账号与角色");
  user->require_subcommand(1);
  {
    auto a = std::make_shared<UserArgs>();
    auto* add = user->add_subcommand("add", "create an account / 新建账号");
    AddDbOption(add, &a->db);
    add->add_option("--username", a->username, "user name / 账号")->required();
    add->add_option("--role", a->role,
                    "admin, analyst, officer, enterprise, auditor or device / 角色")
        ->required()
        ->check(CLI::IsMember({"admin", "analyst", "officer", "enterprise", "auditor", "device"}));
    add->add_option("--name", a->display_name, "display name / 姓名");
    add->add_option("--enterprise", a->enterprise, "enterprise users: credit code / 企业");
    add->add_option("--zone", a->zones, "officers: zone (repeatable) / 网格");
    add->add_flag("--password-stdin", a->password_stdin, "read the password from stdin / 标准输入");
    add->add_flag("--generate-password", a->generate,
                  "generate a random password and print it once / 生成随机密码");
    add->callback([run, a] { *run = [a] { return AddUser(*a); }; });
  }
  {
    auto a = std::make_shared<UserArgs>();
    auto* list = user->add_subcommand("list", "list accounts / 账号列表");
    AddDbOption(list, &a->db);
    list->add_flag("--csv", a->csv, "CSV output");
    list->callback([run, a] { *run = [a] { return ListUsers(*a); }; });
  }
  {
    auto a = std::make_shared<UserArgs>();
    auto* upd = user->add_subcommand("update", "change an account / 修改账号");
    AddDbOption(upd, &a->db);
    upd->add_option("--username", a->username, "user name / 账号")->required();
    upd->add_option("--role", a->role, "new role / 角色");
    upd->add_option("--name", a->display_name, "display name / 姓名");
    upd->add_option("--enterprise", a->enterprise, "enterprise / 企业");
    upd->add_option("--zone", a->zones, "zones (replaces) / 网格");
    upd->add_flag("--disable", a->disable, "disable the account / 停用");
    upd->add_flag("--enable", a->enable, "enable the account / 启用");
    upd->add_flag("--password-stdin", a->password_stdin, "set a new password from stdin / 改密码");
    upd->callback([run, a] { *run = [a] { return UpdateUser(*a); }; });
  }

  auto* token = app.add_subcommand("token", "API and device tokens / 令牌");
  token->require_subcommand(1);
  {
    auto a = std::make_shared<TokenArgs>();
    auto* issue = token->add_subcommand("issue", "issue a token (printed once) / 签发令牌");
    AddDbOption(issue, &a->db);
    issue->add_option("--username", a->username, "for this account / 账号")->required();
    issue->add_option("--name", a->name, "label, e.g. gateway-1 / 名称")->required();
    issue->add_option("--kind", a->kind, "api or device / 类型")
        ->check(CLI::IsMember({"api", "device"}))
        ->capture_default_str();
    issue->add_option("--meter", a->meters, "device tokens: meters it may write / 表计");
    issue->add_option("--expires-days", a->expires_days, "days until it expires, 0 = never")
        ->check(CLI::Range(0, 3650))
        ->capture_default_str();
    issue->callback([run, a] { *run = [a] { return IssueToken(*a); }; });
  }
  {
    auto a = std::make_shared<TokenArgs>();
    auto* list = token->add_subcommand("list", "sessions and tokens / 会话与令牌");
    AddDbOption(list, &a->db);
    list->add_option("--username", a->username, "only this account / 账号");
    list->add_flag("--csv", a->csv, "CSV output");
    list->callback([run, a] { *run = [a] { return ListTokens(*a); }; });
  }
  {
    auto a = std::make_shared<TokenArgs>();
    auto* revoke = token->add_subcommand("revoke", "revoke a session or token / 撤销");
    AddDbOption(revoke, &a->db);
    revoke->add_option("id", a->id, "credential id / 编号")->required();
    revoke->callback([run, a] { *run = [a] { return RevokeToken(*a); }; });
  }
  {
    auto a = std::make_shared<AuditArgs>();
    auto* audit = app.add_subcommand("audit", "the audit log of every change / 审计日志");
    AddDbOption(audit, &a->db);
    audit->add_option("--from-seq", a->from_seq, "first entry / 起始序号");
    audit->add_option("--limit", a->limit, "at most this many / 条数")->capture_default_str();
    audit->add_option("--actor", a->actor, "only this account / 操作者");
    audit->add_option("--target", a->target, "target prefix / 对象前缀");
    audit->add_flag("--csv", a->csv, "CSV output");
    audit->callback([run, a] { *run = [a] { return ShowAudit(*a); }; });
  }
}

}  // namespace zp::cli
