#pragma once

// Accounts, roles, credentials and the audit log.
//
// Roles: park administrator (everything), park analyst (read everything), grid-cell officer
// (read the enterprises of their zones, handle their alarms), enterprise user (own enterprise
// only: read and upload), auditor (read-only, including the ledger and the audit log) and device
// (ingest only, for the meters it is bound to).
//
// Credentials: passwords hashed with Argon2id (libsodium crypto_pwhash_str); API tokens, browser
// sessions, device tokens and the one-time setup token are 32 random bytes shown once
// ("zp_" + base64url), stored only as their SHA-256, revocable and expiring. A session carries a
// CSRF secret that unsafe requests authenticated by cookie must echo in X-CSRF-Token. Failed
// logins are rate limited per user name and per remote address.
//
// AuthService is thread-safe; it keeps nothing but the rate limiter in memory (everything else is
// in the Store, so several processes share accounts).

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "zp/base/result.h"
#include "zp/store/store.h"

namespace zp::auth {

enum class Role : uint8_t { kAdmin, kAnalyst, kOfficer, kEnterprise, kAuditor, kDevice };
// "admin", "analyst", "officer", "enterprise", "auditor", "device".
std::string_view RoleName(Role r);
std::string_view RoleNameZh(
    Role r);  // "园区管理员", "园区分析员", "网格员", "企业用户", "审计员", "设备"
Result<Role> ParseRole(std::string_view s);

// --- primitives.

// Argon2id string (crypto_pwhash_str, OPSLIMIT_INTERACTIVE / MEMLIMIT_INTERACTIVE: 64 MiB and
// about 0.1 s on the 2-core build machine). At most one hash or verify per core runs at a time,
// the others wait, so a burst of logins cannot exhaust memory. Error when libsodium fails (out
// of memory).
Result<std::string> HashPassword(std::string_view password);
bool VerifyPassword(std::string_view hash, std::string_view password);
// At least 10 characters, at most 256 (Unicode code points), of at least two classes (lower-case,
// upper-case, digits, others), not the user name (in any case).
Status CheckPasswordPolicy(std::string_view password, std::string_view username);
// "zp_" + base64url(32 random bytes).
std::string NewSecret();
// Lower-case hex SHA-256 of a secret (what the store keeps).
std::string HashSecret(std::string_view secret);
// Constant-time comparison.
bool SecretsEqual(std::string_view a, std::string_view b);

// Failed-login limiter: after `max_failures` failures of a key within `window_s`, the key is
// locked until the oldest failure leaves the window. Keys are "user:<name>" and "ip:<addr>".
class RateLimiter {
 public:
  RateLimiter(int32_t max_failures = 5, int64_t window_s = 900);
  // 0 when allowed, else seconds until it is.
  int64_t RetryAfter(std::string_view key, int64_t now_s);
  void RecordFailure(std::string_view key, int64_t now_s);
  void Reset(std::string_view key);

 private:
  int32_t max_failures_;
  int64_t window_s_;
  std::mutex mu_;
  std::unordered_map<std::string, std::vector<int64_t>> failures_;  // ascending, at most max
  size_t sweep_at_;  // forget idle keys when the map grows past this
};

// --- accounts.

struct User {
  int64_t id = 0;
  std::string username;  // [A-Za-z0-9._@-]{2,64}, unique, case-insensitive
  std::string display_name;
  Role role = Role::kAnalyst;
  std::string enterprise_code;     // enterprise users: their enterprise
  std::vector<std::string> zones;  // officers: the zones (grid cells) they are responsible for
  bool disabled = false;
  int64_t created_s = 0;
};

enum class CredentialKind : uint8_t { kSession, kApiToken, kDeviceToken, kSetup };
std::string_view CredentialKindName(CredentialKind k);  // "session", "api", "device", "setup"

struct Credential {
  int64_t id = 0;
  int64_t user_id = 0;  // 0 for the setup token
  CredentialKind kind = CredentialKind::kApiToken;
  std::string name;                 // label given by the user ("telegraf gateway")
  std::vector<std::string> meters;  // device tokens: the meters it may write
  int64_t created_s = 0;
  int64_t expires_s = 0;  // 0 = never (API and device tokens only)
  bool revoked = false;
  int64_t last_used_s = 0;
  // Sessions, filled by Authenticate only: hex SHA-256 of the CSRF token. Never serialise it.
  std::string csrf_hash;
};

// Who is calling, after authentication.
struct Principal {
  User user;
  Credential credential;
  bool via_cookie = false;  // session cookie: unsafe methods need the CSRF header
};

struct Issued {
  Credential credential;
  std::string secret;  // shown once
  std::string csrf;    // sessions only: the CSRF token the browser sends back
};

struct AuthOptions {
  int64_t session_ttl_s = 8 * 3600;
  int64_t setup_token_ttl_s = 3600;
  int32_t max_login_failures = 5;
  int64_t login_window_s = 900;
};

class AuthService {
 public:
  AuthService(store::Store& store, AuthOptions options = {});

  // Users. Errors name the field; AlreadyExists for a taken user name.
  Result<User> CreateUser(User user, std::string_view password);
  Result<User> UpdateUser(const User& user);  // role, display name, enterprise, zones, disabled
  Status SetPassword(int64_t user_id, std::string_view password);
  Result<std::vector<User>> ListUsers();
  Result<User> GetUser(int64_t id);
  Result<User> FindUser(std::string_view username);
  Result<bool> HasUsers();

  // Login: a session (Issued.secret is the cookie value). Unauthenticated for a wrong name or
  // password (same message for both), ResourceExhausted (with the seconds to wait in the message)
  // when rate limited, PermissionDenied for a disabled user.
  Result<Issued> Login(std::string_view username, std::string_view password,
                       std::string_view remote, int64_t now_s);
  // API or device token for a user; expires_s 0 = never. Device tokens need meters.
  Result<Issued> IssueToken(int64_t user_id, CredentialKind kind, std::string name,
                            std::vector<std::string> meters, int64_t expires_s, int64_t now_s);
  Status Revoke(int64_t credential_id);
  Result<std::vector<Credential>> ListCredentials(int64_t user_id);  // 0 = all

  // Resolves a bearer secret or session cookie: Unauthenticated when unknown, revoked, expired or
  // the user is disabled (never says which). Updates last_used_s at most once a minute.
  Result<Principal> Authenticate(std::string_view secret, int64_t now_s);
  // CSRF check of a session: the header value must match the session's CSRF secret. True when
  // the principal did not come via cookie (bearer tokens need no CSRF token); false for a cookie
  // principal that is not a session or an empty header.
  bool CheckCsrf(const Principal& p, std::string_view header_value) const;

  // First start: when no user exists, a one-time setup token (printed by `zeropark serve`) lets
  // the first administrator be created. FailedPrecondition when users exist.
  Result<Issued> CreateSetupToken(int64_t now_s);
  Result<User> CompleteSetup(std::string_view setup_secret, User admin, std::string_view password,
                             int64_t now_s);

  RateLimiter& limiter() { return limiter_; }
  // Deletes revoked and expired sessions and setup tokens (Login also does it, at most hourly).
  Result<int64_t> PurgeExpired(int64_t now_s);

 private:
  store::Store& store_;
  AuthOptions options_;
  RateLimiter limiter_;
  std::atomic<int64_t> last_purge_s_{0};
  std::mutex setup_mu_;  // CompleteSetup runs one at a time
};

namespace internal {
// The Argon2id hash Login verifies when the user name is unknown, so that the answer takes as
// long as for a known name. Same parameters as HashPassword.
std::string_view DummyPasswordHash();
}  // namespace internal

}  // namespace zp::auth
