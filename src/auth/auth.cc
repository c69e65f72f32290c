#include "zp/auth/auth.h"

#include <fmt/format.h>
#include <sodium.h>

#include <algorithm>
#include <ctime>
#include <semaphore>
#include <set>
#include <thread>
#include <utility>

#include "zp/base/logging.h"

namespace zp::auth {
namespace {

constexpr size_t kSecretBytes = 32;
constexpr std::string_view kSecretPrefix = "zp_";
// Longest secret worth hashing: "zp_" + 43 base64url characters, with room for a future format.
constexpr size_t kMaxSecretBytes = 128;
constexpr int64_t kLastUsedEveryS = 60;
constexpr size_t kMaxDisplayNameBytes = 256;
constexpr size_t kMaxTokenNameBytes = 256;
constexpr size_t kMaxCodeBytes = 64;
// Rate-limiter keys carry at most this much of the user name or address.
constexpr size_t kMaxKeyBytes = 96;
constexpr size_t kMinSweepKeys = 4096;

// An Argon2id hash with HashPassword's parameters (a test checks they match), verified when the
// user name is unknown so that the answer takes as long as for a known one.
constexpr char kDummyHash[] =
    "$argon2id$v=19$m=65536,t=2,p=1$eDkqCJcaaWpInU6B44HeVg$"
    "dVvIsE+mUnQzVYWgN3LT48h4U49R4UUkCi8bhSTNFKA";

void InitSodium() {
  static std::once_flag once;
  std::call_once(once, [] { ZP_CHECK(sodium_init() >= 0); });
}

// One Argon2 computation per core at a time: each takes 64 MiB for ~0.1 s.
class HashSlot {
 public:
  HashSlot() { Slots().acquire(); }
  ~HashSlot() { Slots().release(); }
  HashSlot(const HashSlot&) = delete;
  HashSlot& operator=(const HashSlot&) = delete;

 private:
  static std::counting_semaphore<>& Slots() {
    static auto* slots = new std::counting_semaphore<>(
        static_cast<std::ptrdiff_t>(std::max(1u, std::thread::hardware_concurrency())));
    return *slots;
  }
};

Status Unauthenticated(std::string message) {
  return Status(StatusCode::kUnauthenticated, std::move(message));
}
Status PermissionDenied(std::string message) {
  return Status(StatusCode::kPermissionDenied, std::move(message));
}

constexpr char kBadCredential[] = "invalid or expired credential / 凭据无效或已过期";
constexpr char kBadLogin[] = "wrong user name or password / 用户名或密码错误";

std::string AsciiLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::string AsciiUpper(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return out;
}

std::string Join(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& item : items) {
    if (!out.empty()) out += ',';
    out += item;
  }
  return out;
}

std::vector<std::string> Split(std::string_view s) {
  std::vector<std::string> out;
  while (!s.empty()) {
    size_t comma = s.find(',');
    out.emplace_back(s.substr(0, comma));
    if (comma == std::string_view::npos) break;
    s.remove_prefix(comma + 1);
  }
  return out;
}

bool IsUsernameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '@' || c == '-';
}

Status ValidateUsername(std::string_view name) {
  if (name.size() < 2 || name.size() > 64 ||
      !std::all_of(name.begin(), name.end(), IsUsernameChar)) {
    return InvalidArgumentError(
        "username: 2 to 64 characters of A-Z a-z 0-9 . _ @ - / 用户名须为 2 到 64 个字母、数字或 . "
        "_ @ "
        "-");
  }
  return Status::OK();
}

// A registry code as kept in a comma-separated column: non-empty, no comma, not too long.
Status ValidateCode(std::string_view field, std::string_view code) {
  if (code.empty() || code.size() > kMaxCodeBytes || code.find(',') != std::string_view::npos) {
    return InvalidArgumentError(
        fmt::format("{}: '{}' is not a valid code (1 to {} characters, no comma) / 编码无效", field,
                    code.substr(0, kMaxCodeBytes), kMaxCodeBytes));
  }
  return Status::OK();
}

// Lower-cases the user name and upper-cases the enterprise code, removes repeated zones, and
// checks the fields against the role and the registry.
Status NormaliseUser(store::Store& store, User* u) {
  u->username = AsciiLower(u->username);
  ZP_RETURN_IF_ERROR(ValidateUsername(u->username));
  if (u->display_name.size() > kMaxDisplayNameBytes) {
    return InvalidArgumentError(
        fmt::format("display_name: at most {} bytes / 显示名称过长", kMaxDisplayNameBytes));
  }
  u->enterprise_code = AsciiUpper(u->enterprise_code);
  std::vector<std::string> zones;
  std::set<std::string_view> seen;
  for (const std::string& z : u->zones) {
    if (seen.insert(z).second) zones.push_back(z);
  }
  u->zones = std::move(zones);

  if (u->role == Role::kEnterprise) {
    if (u->enterprise_code.empty()) {
      return InvalidArgumentError(
          "enterprise_code: required for role enterprise / 企业用户须指定所属企业");
    }
    ZP_RETURN_IF_ERROR(ValidateCode("enterprise_code", u->enterprise_code));
    ZP_ASSIGN_OR_RETURN(std::vector<model::Enterprise> enterprises, store.ListEnterprises());
    bool found =
        std::any_of(enterprises.begin(), enterprises.end(),
                    [&](const model::Enterprise& e) { return e.code == u->enterprise_code; });
    if (!found) {
      return InvalidArgumentError(
          fmt::format("enterprise_code: no enterprise '{}' / 企业 '{}' 不存在", u->enterprise_code,
                      u->enterprise_code));
    }
  } else if (!u->enterprise_code.empty()) {
    return InvalidArgumentError(
        "enterprise_code: only for role enterprise / 只有企业用户才能指定企业");
  }

  if (u->role == Role::kOfficer) {
    if (u->zones.empty()) {
      return InvalidArgumentError(
          "zones: an officer needs at least one zone / 网格员须至少负责一个网格");
    }
    ZP_ASSIGN_OR_RETURN(std::vector<model::Zone> known, store.ListZones());
    for (const std::string& z : u->zones) {
      ZP_RETURN_IF_ERROR(ValidateCode("zones", z));
      bool found = std::any_of(known.begin(), known.end(),
                               [&](const model::Zone& k) { return k.code == z; });
      if (!found) {
        return InvalidArgumentError(fmt::format("zones: no zone '{}' / 网格 '{}' 不存在", z, z));
      }
    }
  } else if (!u->zones.empty()) {
    return InvalidArgumentError("zones: only for role officer / 只有网格员才能指定网格");
  }
  return Status::OK();
}

Result<User> UserFromRow(const store::UserRow& row) {
  auto role = ParseRole(row.role);
  if (!role.ok()) {
    return DataLossError(fmt::format("user {}: unknown role '{}' in the store", row.id, row.role));
  }
  User u;
  u.id = row.id;
  u.username = row.username;
  u.display_name = row.display_name;
  u.role = *role;
  u.enterprise_code = row.enterprise_code;
  u.zones = Split(row.zones);
  u.disabled = row.disabled;
  u.created_s = row.created_s;
  return u;
}

Result<CredentialKind> ParseKind(std::string_view s) {
  for (CredentialKind k : {CredentialKind::kSession, CredentialKind::kApiToken,
                           CredentialKind::kDeviceToken, CredentialKind::kSetup}) {
    if (CredentialKindName(k) == s) return k;
  }
  return DataLossError(fmt::format("unknown credential kind '{}' in the store", s));
}

Result<Credential> CredentialFromRow(const store::CredentialRow& row) {
  Credential c;
  ZP_ASSIGN_OR_RETURN(c.kind, ParseKind(row.kind));
  c.id = row.id;
  c.user_id = row.user_id;
  c.name = row.name;
  c.meters = Split(row.meters);
  c.created_s = row.created_s;
  c.expires_s = row.expires_s;
  c.revoked = row.revoked;
  c.last_used_s = row.last_used_s;
  return c;
}

bool Expired(const store::CredentialRow& row, int64_t now_s) {
  return row.expires_s != 0 && now_s >= row.expires_s;
}

// Stores a new credential of `row` (secret_hash and csrf_hash are filled here) and returns it
// with its secrets.
Result<Issued> Issue(store::Store& store, store::CredentialRow row, bool with_csrf) {
  Issued issued;
  issued.secret = NewSecret();
  row.secret_hash = HashSecret(issued.secret);
  if (with_csrf) {
    issued.csrf = NewSecret();
    row.csrf_hash = HashSecret(issued.csrf);
  }
  auto id = store.InsertCredential(row);
  if (!id.ok()) {
    // A collision of 256-bit random secrets means the random source is broken.
    if (id.error().code() == StatusCode::kAlreadyExists) {
      return InternalError("new secret collides with a stored one: random source broken");
    }
    return id.error();
  }
  row.id = *id;
  ZP_ASSIGN_OR_RETURN(issued.credential, CredentialFromRow(row));
  return issued;
}

std::string LimiterKey(std::string_view kind, std::string_view value) {
  std::string key(kind);
  key += value.substr(0, kMaxKeyBytes);
  return key;
}

}  // namespace

std::string_view internal::DummyPasswordHash() { return kDummyHash; }

// ---- names.

std::string_view RoleName(Role r) {
  switch (r) {
    case Role::kAdmin:
      return "admin";
    case Role::kAnalyst:
      return "analyst";
    case Role::kOfficer:
      return "officer";
    case Role::kEnterprise:
      return "enterprise";
    case Role::kAuditor:
      return "auditor";
    case Role::kDevice:
      return "device";
  }
  return "analyst";
}

std::string_view RoleNameZh(Role r) {
  switch (r) {
    case Role::kAdmin:
      return "园区管理员";
    case Role::kAnalyst:
      return "园区分析员";
    case Role::kOfficer:
      return "网格员";
    case Role::kEnterprise:
      return "企业用户";
    case Role::kAuditor:
      return "审计员";
    case Role::kDevice:
      return "设备";
  }
  return "园区分析员";
}

Result<Role> ParseRole(std::string_view s) {
  for (Role r : {Role::kAdmin, Role::kAnalyst, Role::kOfficer, Role::kEnterprise, Role::kAuditor,
                 Role::kDevice}) {
    if (RoleName(r) == s) return r;
  }
  return InvalidArgumentError(fmt::format(
      "role: unknown role '{}' (admin, analyst, officer, enterprise, auditor, device) / 未知角色",
      s.substr(0, 64)));
}

std::string_view CredentialKindName(CredentialKind k) {
  switch (k) {
    case CredentialKind::kSession:
      return "session";
    case CredentialKind::kApiToken:
      return "api";
    case CredentialKind::kDeviceToken:
      return "device";
    case CredentialKind::kSetup:
      return "setup";
  }
  return "api";
}

// ---- primitives.

Result<std::string> HashPassword(std::string_view password) {
  InitSodium();
  char out[crypto_pwhash_STRBYTES];
  int rc;
  {
    HashSlot slot;
    rc = crypto_pwhash_str(out, password.empty() ? "" : password.data(), password.size(),
                           crypto_pwhash_OPSLIMIT_INTERACTIVE, crypto_pwhash_MEMLIMIT_INTERACTIVE);
  }
  if (rc != 0) {
    return ResourceExhaustedError(
        "cannot hash the password (out of memory) / 密码哈希失败（内存不足）");
  }
  return std::string(out);
}

bool VerifyPassword(std::string_view hash, std::string_view password) {
  InitSodium();
  if (hash.empty() || hash.size() >= crypto_pwhash_STRBYTES) return false;
  const std::string terminated(hash);
  HashSlot slot;
  return crypto_pwhash_str_verify(terminated.c_str(), password.empty() ? "" : password.data(),
                                  password.size()) == 0;
}

Status CheckPasswordPolicy(std::string_view password, std::string_view username) {
  size_t chars = 0;
  bool lower = false, upper = false, digit = false, other = false;
  for (char ch : password) {
    const auto c = static_cast<unsigned char>(ch);
    if ((c & 0xC0) == 0x80) continue;  // UTF-8 continuation byte
    ++chars;
    if (c >= 'a' && c <= 'z') {
      lower = true;
    } else if (c >= 'A' && c <= 'Z') {
      upper = true;
    } else if (c >= '0' && c <= '9') {
      digit = true;
    } else {
      other = true;
    }
  }
  if (chars < 10) {
    return InvalidArgumentError("password: at least 10 characters / 密码至少 10 个字符");
  }
  if (chars > 256) {
    return InvalidArgumentError("password: at most 256 characters / 密码最多 256 个字符");
  }
  if (int{lower} + int{upper} + int{digit} + int{other} < 2) {
    return InvalidArgumentError(
        "password: use at least two kinds of characters (lower-case, upper-case, digits, others) / "
        "密码须包含至少两类字符（小写字母、大写字母、数字、其他字符）");
  }
  if (!username.empty() && AsciiLower(password) == AsciiLower(username)) {
    return InvalidArgumentError("password: must not be the user name / 密码不能与用户名相同");
  }
  return Status::OK();
}

std::string NewSecret() {
  InitSodium();
  unsigned char bytes[kSecretBytes];
  randombytes_buf(bytes, sizeof(bytes));
  char text[sodium_base64_ENCODED_LEN(kSecretBytes, sodium_base64_VARIANT_URLSAFE_NO_PADDING)];
  sodium_bin2base64(text, sizeof(text), bytes, sizeof(bytes),
                    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  sodium_memzero(bytes, sizeof(bytes));
  std::string secret(kSecretPrefix);
  secret += text;
  sodium_memzero(text, sizeof(text));
  return secret;
}

std::string HashSecret(std::string_view secret) {
  InitSodium();
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(secret.data()), secret.size());
  char hex[crypto_hash_sha256_BYTES * 2 + 1];
  sodium_bin2hex(hex, sizeof(hex), digest, sizeof(digest));
  return std::string(hex, crypto_hash_sha256_BYTES * 2);
}

bool SecretsEqual(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  return sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

// ---- rate limiter.

RateLimiter::RateLimiter(int32_t max_failures, int64_t window_s)
    : max_failures_(max_failures), window_s_(window_s), sweep_at_(kMinSweepKeys) {
  ZP_CHECK(max_failures > 0 && window_s > 0);
}

namespace {
// Drops the failures that have left the window ending at now_s.
void Prune(std::vector<int64_t>& failures, int64_t window_s, int64_t now_s) {
  auto live = std::upper_bound(failures.begin(), failures.end(), now_s - window_s);
  failures.erase(failures.begin(), live);
}
}  // namespace

int64_t RateLimiter::RetryAfter(std::string_view key, int64_t now_s) {
  std::lock_guard lock(mu_);
  auto it = failures_.find(std::string(key));
  if (it == failures_.end()) return 0;
  std::vector<int64_t>& failures = it->second;
  Prune(failures, window_s_, now_s);
  if (failures.empty()) {
    failures_.erase(it);
    return 0;
  }
  const auto max = static_cast<size_t>(max_failures_);
  if (failures.size() < max) return 0;
  // Allowed again once all but max - 1 of the failures have left the window.
  return std::max<int64_t>(1, failures[failures.size() - max] + window_s_ - now_s);
}

void RateLimiter::RecordFailure(std::string_view key, int64_t now_s) {
  std::lock_guard lock(mu_);
  std::vector<int64_t>& failures = failures_[std::string(key)];
  Prune(failures, window_s_, now_s);
  failures.insert(std::upper_bound(failures.begin(), failures.end(), now_s), now_s);
  const auto max = static_cast<size_t>(max_failures_);
  if (failures.size() > max) failures.erase(failures.begin(), failures.end() - max);
  if (failures_.size() > sweep_at_) {
    for (auto it = failures_.begin(); it != failures_.end();) {
      Prune(it->second, window_s_, now_s);
      it = it->second.empty() ? failures_.erase(it) : std::next(it);
    }
    sweep_at_ = std::max(kMinSweepKeys, 2 * failures_.size());
  }
}

void RateLimiter::Reset(std::string_view key) {
  std::lock_guard lock(mu_);
  failures_.erase(std::string(key));
}

// ---- accounts.

AuthService::AuthService(store::Store& store, AuthOptions options)
    : store_(store),
      options_(options),
      limiter_(options.max_login_failures, options.login_window_s) {
  InitSodium();
}

Result<User> AuthService::CreateUser(User user, std::string_view password) {
  ZP_RETURN_IF_ERROR(NormaliseUser(store_, &user));
  auto taken = [&] {
    return AlreadyExistsError(fmt::format("username: '{}' is taken / 用户名 '{}' 已被占用",
                                          user.username, user.username));
  };
  // Checked before the costly hash; the insert checks again.
  ZP_ASSIGN_OR_RETURN(std::optional<store::UserRow> existing, store_.FindUser(user.username));
  if (existing) return taken();

  store::UserRow row;
  if (user.role == Role::kDevice) {
    if (!password.empty()) {
      return InvalidArgumentError(
          "password: device users have none; they use device tokens / "
          "设备用户没有密码，使用设备令牌");
    }
  } else {
    ZP_RETURN_IF_ERROR(CheckPasswordPolicy(password, user.username));
    ZP_ASSIGN_OR_RETURN(row.password_hash, HashPassword(password));
  }
  if (user.created_s <= 0) user.created_s = static_cast<int64_t>(std::time(nullptr));
  row.username = user.username;
  row.display_name = user.display_name;
  row.role = std::string(RoleName(user.role));
  row.enterprise_code = user.enterprise_code;
  row.zones = Join(user.zones);
  row.disabled = user.disabled;
  row.created_s = user.created_s;
  auto id = store_.InsertUser(row);
  if (!id.ok()) {
    if (id.error().code() == StatusCode::kAlreadyExists) return taken();
    return id.error();
  }
  user.id = *id;
  return user;
}

Result<User> AuthService::UpdateUser(const User& user) {
  ZP_ASSIGN_OR_RETURN(std::optional<store::UserRow> row, store_.GetUser(user.id));
  if (!row) return NotFoundError(fmt::format("user {} not found / 用户不存在", user.id));
  ZP_ASSIGN_OR_RETURN(User current, UserFromRow(*row));
  User updated = user;
  updated.username = current.username;  // names never change
  updated.created_s = current.created_s;
  ZP_RETURN_IF_ERROR(NormaliseUser(store_, &updated));
  if ((current.role == Role::kDevice) != (updated.role == Role::kDevice)) {
    return InvalidArgumentError(
        "role: a device account and a person's account cannot be turned into each other; create a "
        "new user / 设备账户与人员账户不能互相转换，请新建用户");
  }
  const bool was_admin = current.role == Role::kAdmin && !current.disabled;
  const bool is_admin = updated.role == Role::kAdmin && !updated.disabled;
  if (was_admin && !is_admin) {
    ZP_ASSIGN_OR_RETURN(std::vector<store::UserRow> all, store_.ListUsers());
    bool another = std::any_of(all.begin(), all.end(), [&](const store::UserRow& u) {
      return u.id != current.id && u.role == RoleName(Role::kAdmin) && !u.disabled;
    });
    if (!another) {
      return FailedPreconditionError(
          "cannot demote or disable the last enabled administrator / "
          "不能降级或停用最后一个启用的管理员");
    }
  }
  row->display_name = updated.display_name;
  row->role = std::string(RoleName(updated.role));
  row->enterprise_code = updated.enterprise_code;
  row->zones = Join(updated.zones);
  row->disabled = updated.disabled;
  ZP_RETURN_IF_ERROR(store_.UpdateUser(*row));
  return updated;
}

Status AuthService::SetPassword(int64_t user_id, std::string_view password) {
  ZP_ASSIGN_OR_RETURN(std::optional<store::UserRow> row, store_.GetUser(user_id));
  if (!row) return NotFoundError(fmt::format("user {} not found / 用户不存在", user_id));
  if (row->role == RoleName(Role::kDevice)) {
    return FailedPreconditionError(
        "password: device users have none; they use device tokens / "
        "设备用户没有密码，使用设备令牌");
  }
  ZP_RETURN_IF_ERROR(CheckPasswordPolicy(password, row->username));
  ZP_ASSIGN_OR_RETURN(row->password_hash, HashPassword(password));
  return store_.UpdateUser(*row);
}

Result<std::vector<User>> AuthService::ListUsers() {
  ZP_ASSIGN_OR_RETURN(std::vector<store::UserRow> rows, store_.ListUsers());
  std::vector<User> out;
  out.reserve(rows.size());
  for (const store::UserRow& row : rows) {
    ZP_ASSIGN_OR_RETURN(User u, UserFromRow(row));
    out.push_back(std::move(u));
  }
  return out;
}

Result<User> AuthService::GetUser(int64_t id) {
  ZP_ASSIGN_OR_RETURN(std::optional<store::UserRow> row, store_.GetUser(id));
  if (!row) return NotFoundError(fmt::format("user {} not found / 用户不存在", id));
  return UserFromRow(*row);
}

Result<User> AuthService::FindUser(std::string_view username) {
  ZP_ASSIGN_OR_RETURN(std::optional<store::UserRow> row, store_.FindUser(AsciiLower(username)));
  if (!row) {
    return NotFoundError(
        fmt::format("user '{}' not found / 用户不存在", username.substr(0, kMaxKeyBytes)));
  }
  return UserFromRow(*row);
}

Result<bool> AuthService::HasUsers() {
  ZP_ASSIGN_OR_RETURN(std::vector<store::UserRow> rows, store_.ListUsers());
  return !rows.empty();
}

// ---- credentials.

Result<Issued> AuthService::Login(std::string_view username, std::string_view password,
                                  std::string_view remote, int64_t now_s) {
  const std::string name = AsciiLower(username);
  const std::string user_key = LimiterKey("user:", name);
  const std::string ip_key = LimiterKey("ip:", remote);
  const int64_t wait =
      std::max(limiter_.RetryAfter(user_key, now_s), limiter_.RetryAfter(ip_key, now_s));
  if (wait > 0) {
    return ResourceExhaustedError(
        fmt::format("too many failed logins; try again in {} s / 登录失败次数过多，请 {} 秒后再试",
                    wait, wait));
  }
  std::optional<store::UserRow> row;
  if (ValidateUsername(name).ok()) {
    ZP_ASSIGN_OR_RETURN(row, store_.FindUser(name));
  }
  bool ok = false;
  if (row && !row->password_hash.empty()) {
    ok = VerifyPassword(row->password_hash, password);
  } else {
    (void)VerifyPassword(kDummyHash, password);  // same time as for a known name
  }
  if (!ok) {
    limiter_.RecordFailure(user_key, now_s);
    limiter_.RecordFailure(ip_key, now_s);
    return Unauthenticated(kBadLogin);
  }
  if (row->disabled) return PermissionDenied("account disabled / 账户已停用");
  limiter_.Reset(user_key);
  // Sessions accumulate a row per login: drop the dead ones now and then.
  int64_t last = last_purge_s_.load();
  if (now_s - last >= 3600 && last_purge_s_.compare_exchange_strong(last, now_s)) {
    ZP_RETURN_IF_ERROR(PurgeExpired(now_s).status());
  }

  store::CredentialRow c;
  c.user_id = row->id;
  c.kind = std::string(CredentialKindName(CredentialKind::kSession));
  c.name = fmt::format("login from {}", remote.substr(0, kMaxKeyBytes));
  c.created_s = now_s;
  c.expires_s = now_s + options_.session_ttl_s;
  c.last_used_s = now_s;
  return Issue(store_, std::move(c), /*with_csrf=*/true);
}

Result<int64_t> AuthService::PurgeExpired(int64_t now_s) { return store_.PurgeCredentials(now_s); }

Result<Issued> AuthService::IssueToken(int64_t user_id, CredentialKind kind, std::string name,
                                       std::vector<std::string> meters, int64_t expires_s,
                                       int64_t now_s) {
  if (kind != CredentialKind::kApiToken && kind != CredentialKind::kDeviceToken) {
    return InvalidArgumentError(
        "kind: only API and device tokens are issued here / 此处只能签发 API 令牌或设备令牌");
  }
  if (name.empty() || name.size() > kMaxTokenNameBytes) {
    return InvalidArgumentError(
        fmt::format("name: a label of 1 to {} bytes is required / 令牌须有名称（1 到 {} 字节）",
                    kMaxTokenNameBytes, kMaxTokenNameBytes));
  }
  if (expires_s != 0 && expires_s <= now_s) {
    return InvalidArgumentError("expires_s: in the past / 过期时间早于当前时间");
  }
  ZP_ASSIGN_OR_RETURN(std::optional<store::UserRow> user, store_.GetUser(user_id));
  if (!user) return NotFoundError(fmt::format("user {} not found / 用户不存在", user_id));
  if (user->disabled) {
    return FailedPreconditionError(
        fmt::format("user '{}' is disabled / 用户已停用", user->username));
  }
  std::vector<std::string> unique_meters;
  if (kind == CredentialKind::kDeviceToken) {
    if (user->role != RoleName(Role::kDevice)) {
      return InvalidArgumentError(
          fmt::format("kind: device tokens are only for users of role device ('{}' is {}) / "
                      "设备令牌只能签发给设备用户",
                      user->username, user->role));
    }
    if (meters.empty()) {
      return InvalidArgumentError(
          "meters: a device token needs at least one meter / 设备令牌须绑定至少一个计量点");
    }
    ZP_ASSIGN_OR_RETURN(std::vector<model::Meter> known, store_.ListMeters());
    std::set<std::string_view> known_codes, seen;
    for (const model::Meter& m : known) known_codes.insert(m.code);
    for (const std::string& m : meters) {
      ZP_RETURN_IF_ERROR(ValidateCode("meters", m));
      if (known_codes.count(m) == 0) {
        return InvalidArgumentError(
            fmt::format("meters: no meter '{}' / 计量点 '{}' 不存在", m, m));
      }
      if (seen.insert(m).second) unique_meters.push_back(m);
    }
  } else if (!meters.empty()) {
    return InvalidArgumentError("meters: only for device tokens / 只有设备令牌才能绑定计量点");
  }

  store::CredentialRow c;
  c.user_id = user_id;
  c.kind = std::string(CredentialKindName(kind));
  c.name = std::move(name);
  c.meters = Join(unique_meters);
  c.created_s = now_s;
  c.expires_s = expires_s;
  return Issue(store_, std::move(c), /*with_csrf=*/false);
}

Status AuthService::Revoke(int64_t credential_id) {
  Status s = store_.UpdateCredential(credential_id, /*revoked=*/true, 0);
  if (s.code() == StatusCode::kNotFound) {
    return NotFoundError(fmt::format("credential {} not found / 凭据不存在", credential_id));
  }
  return s;
}

Result<std::vector<Credential>> AuthService::ListCredentials(int64_t user_id) {
  ZP_ASSIGN_OR_RETURN(std::vector<store::CredentialRow> rows, store_.ListCredentials(user_id));
  std::vector<Credential> out;
  out.reserve(rows.size());
  for (const store::CredentialRow& row : rows) {
    ZP_ASSIGN_OR_RETURN(Credential c, CredentialFromRow(row));
    out.push_back(std::move(c));
  }
  return out;
}

Result<Principal> AuthService::Authenticate(std::string_view secret, int64_t now_s) {
  if (secret.empty() || secret.size() > kMaxSecretBytes) return Unauthenticated(kBadCredential);
  ZP_ASSIGN_OR_RETURN(std::optional<store::CredentialRow> row,
                      store_.FindCredential(HashSecret(secret)));
  if (!row || row->revoked || Expired(*row, now_s) ||
      row->kind == CredentialKindName(CredentialKind::kSetup)) {
    return Unauthenticated(kBadCredential);
  }
  ZP_ASSIGN_OR_RETURN(std::optional<store::UserRow> user, store_.GetUser(row->user_id));
  if (!user || user->disabled) return Unauthenticated(kBadCredential);
  Principal p;
  ZP_ASSIGN_OR_RETURN(p.user, UserFromRow(*user));
  ZP_ASSIGN_OR_RETURN(p.credential, CredentialFromRow(*row));
  p.credential.csrf_hash = row->csrf_hash;
  if (now_s - row->last_used_s >= kLastUsedEveryS) {
    Status s = store_.UpdateCredential(row->id, /*revoked=*/false, now_s);
    if (s.ok()) {
      p.credential.last_used_s = now_s;
    } else {
      LogWarning("cannot record the use of credential {}: {}", row->id, s.ToString());
    }
  }
  return p;
}

bool AuthService::CheckCsrf(const Principal& p, std::string_view header_value) const {
  if (!p.via_cookie) return true;
  if (p.credential.kind != CredentialKind::kSession || p.credential.csrf_hash.empty() ||
      header_value.empty() || header_value.size() > kMaxSecretBytes) {
    return false;
  }
  return SecretsEqual(HashSecret(header_value), p.credential.csrf_hash);
}

// ---- first start.

Result<Issued> AuthService::CreateSetupToken(int64_t now_s) {
  std::lock_guard lock(setup_mu_);
  ZP_ASSIGN_OR_RETURN(bool has_users, HasUsers());
  if (has_users) {
    return FailedPreconditionError(
        "users exist: sign in as an administrator instead / 已有用户，请用管理员账户登录");
  }
  // Only the newest setup token works.
  ZP_ASSIGN_OR_RETURN(std::vector<store::CredentialRow> all, store_.ListCredentials(0));
  for (const store::CredentialRow& c : all) {
    if (c.kind == CredentialKindName(CredentialKind::kSetup) && !c.revoked) {
      ZP_RETURN_IF_ERROR(store_.UpdateCredential(c.id, /*revoked=*/true, 0));
    }
  }
  store::CredentialRow c;
  c.user_id = 0;
  c.kind = std::string(CredentialKindName(CredentialKind::kSetup));
  c.name = "setup";
  c.created_s = now_s;
  c.expires_s = now_s + options_.setup_token_ttl_s;
  return Issue(store_, std::move(c), /*with_csrf=*/false);
}

Result<User> AuthService::CompleteSetup(std::string_view setup_secret, User admin,
                                        std::string_view password, int64_t now_s) {
  std::lock_guard lock(setup_mu_);
  ZP_ASSIGN_OR_RETURN(bool has_users, HasUsers());
  if (has_users) {
    return FailedPreconditionError("setup is done: users exist / 初始化已完成，已有用户");
  }
  std::optional<store::CredentialRow> token;
  if (!setup_secret.empty() && setup_secret.size() <= kMaxSecretBytes) {
    ZP_ASSIGN_OR_RETURN(token, store_.FindCredential(HashSecret(setup_secret)));
  }
  if (!token || token->kind != CredentialKindName(CredentialKind::kSetup) || token->revoked ||
      Expired(*token, now_s)) {
    return Unauthenticated("invalid or expired setup token / 初始化令牌无效或已过期");
  }
  admin.role = Role::kAdmin;
  admin.disabled = false;
  admin.created_s = now_s;
  ZP_ASSIGN_OR_RETURN(User created, CreateUser(std::move(admin), password));
  // The user exists now, so the token could not be used again anyway; revoke it all the same.
  Status revoked = store_.UpdateCredential(token->id, /*revoked=*/true, now_s);
  if (!revoked.ok()) {
    LogWarning("cannot revoke the used setup token {}: {}", token->id, revoked.ToString());
  }
  return created;
}

}  // namespace zp::auth
