#include "zp/auth/auth.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <cctype>
#include <chrono>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace zp::auth {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::StartsWith;

constexpr int64_t kNow = 1767225600;  // 2026-01-01T00:00:00Z
constexpr char kPassword[] = "Tiexi-2026-park";

// ---- primitives.

TEST(PasswordTest, HashAndVerify) {
  auto h1 = HashPassword(kPassword);
  auto h2 = HashPassword(kPassword);
  ASSERT_TRUE(h1.ok() && h2.ok());
  EXPECT_THAT(*h1, StartsWith("$argon2id$"));
  EXPECT_NE(*h1, *h2);  // salted
  EXPECT_TRUE(VerifyPassword(*h1, kPassword));
  EXPECT_TRUE(VerifyPassword(*h2, kPassword));
  EXPECT_FALSE(VerifyPassword(*h1, "Tiexi-2026-parK"));
  EXPECT_FALSE(VerifyPassword(*h1, ""));
  EXPECT_FALSE(VerifyPassword("", kPassword));
  EXPECT_FALSE(VerifyPassword("not a hash", kPassword));
  EXPECT_FALSE(VerifyPassword(std::string(500, '$'), kPassword));
  // Any bytes are a password, NUL included.
  const std::string odd("密码\0abc-12345", 16);
  auto h3 = HashPassword(odd);
  ASSERT_TRUE(h3.ok());
  EXPECT_TRUE(VerifyPassword(*h3, odd));
  EXPECT_FALSE(VerifyPassword(*h3, "密码"));
}

// The dummy hash an unknown user name is checked against costs what a real one costs.
TEST(PasswordTest, DummyHashHasTheParametersOfNewHashes) {
  auto h = HashPassword(kPassword);
  ASSERT_TRUE(h.ok());
  const std::string params = h->substr(0, h->find('$', h->find("p=")));
  EXPECT_EQ(params, "$argon2id$v=19$m=65536,t=2,p=1");
  EXPECT_THAT(std::string(internal::DummyPasswordHash()), StartsWith(params + "$"));
  EXPECT_FALSE(VerifyPassword(internal::DummyPasswordHash(), kPassword));
}

TEST(PasswordTest, Policy) {
  EXPECT_TRUE(CheckPasswordPolicy(kPassword, "alice").ok());
  EXPECT_TRUE(CheckPasswordPolicy("correct horse battery", "alice").ok());  // letters and spaces
  EXPECT_TRUE(CheckPasswordPolicy("沈阳铁西区工业园区2026", "alice").ok());

  auto message = [](std::string_view password, std::string_view user = "alice") {
    Status s = CheckPasswordPolicy(password, user);
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << password;
    return s.message();
  };
  EXPECT_THAT(message("Short-1"), HasSubstr("at least 10"));
  EXPECT_THAT(message("Abcdefgh1"), HasSubstr("at least 10"));   // 9
  EXPECT_TRUE(CheckPasswordPolicy("Abcdefgh12", "alice").ok());  // 10
  // Characters, not bytes: 9 Chinese characters are 27 bytes and still too short.
  EXPECT_THAT(message("沈阳铁西区工业园"), HasSubstr("at least 10"));
  EXPECT_THAT(message(std::string(257, 'a') + "1"), HasSubstr("at most 256"));
  EXPECT_TRUE(CheckPasswordPolicy(std::string(255, 'a') + "1", "alice").ok());
  EXPECT_THAT(message("aaaaaaaaaaaa"), HasSubstr("two kinds"));
  EXPECT_THAT(message("1234567890"), HasSubstr("two kinds"));
  EXPECT_THAT(message("abcdefghijklmnop"), HasSubstr("two kinds"));
  EXPECT_THAT(message("ABCDEFGHIJKL"), HasSubstr("two kinds"));
  EXPECT_THAT(message("Zhang.Wei-01", "zhang.wei-01"), HasSubstr("user name"));
  EXPECT_THAT(message("ZHANG.WEI-01", "Zhang.Wei-01"), HasSubstr("user name"));
}

TEST(SecretTest, UniqueUrlSafeAndHashedStably) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    std::string s = NewSecret();
    ASSERT_EQ(s.size(), 46u);  // "zp_" + 43 base64url characters = 32 bytes
    ASSERT_THAT(s, StartsWith("zp_"));
    for (char c : s.substr(3)) {
      ASSERT_TRUE(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_') << s;
    }
    EXPECT_TRUE(seen.insert(s).second);
  }
  // SHA-256 test vectors (FIPS 180-2).
  EXPECT_EQ(HashSecret("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(HashSecret(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  const std::string s = NewSecret();
  EXPECT_EQ(HashSecret(s), HashSecret(std::string(s)));
  EXPECT_NE(HashSecret(s), HashSecret(NewSecret()));
  EXPECT_EQ(HashSecret(s).size(), 64u);
}

TEST(SecretTest, SecretsEqual) {
  EXPECT_TRUE(SecretsEqual("", ""));
  EXPECT_TRUE(SecretsEqual("zp_abc", "zp_abc"));
  EXPECT_FALSE(SecretsEqual("zp_abc", "zp_abd"));
  EXPECT_FALSE(SecretsEqual("zp_abc", "zp_ab"));
  EXPECT_FALSE(SecretsEqual("", "x"));
}

TEST(RateLimiterTest, LocksAfterMaxFailuresAndSlides) {
  RateLimiter limiter(5, 900);
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(limiter.RetryAfter("user:alice", kNow + i * 10), 0);
    limiter.RecordFailure("user:alice", kNow + i * 10);
  }
  EXPECT_EQ(limiter.RetryAfter("user:alice", kNow + 40), 0);
  limiter.RecordFailure("user:alice", kNow + 40);
  // Five failures at +0, +10, ... +40: locked until the one at +0 leaves the window.
  EXPECT_EQ(limiter.RetryAfter("user:alice", kNow + 41), 859);
  EXPECT_EQ(limiter.RetryAfter("user:alice", kNow + 899), 1);
  EXPECT_EQ(limiter.RetryAfter("user:bob", kNow + 41), 0);  // keys are independent
  EXPECT_EQ(limiter.RetryAfter("user:alice", kNow + 900), 0);
  // Sliding: one more failure locks again, until the one at +10 leaves.
  limiter.RecordFailure("user:alice", kNow + 900);
  EXPECT_EQ(limiter.RetryAfter("user:alice", kNow + 901), 9);
  EXPECT_EQ(limiter.RetryAfter("user:alice", kNow + 910), 0);
  // Long after, everything has left the window.
  EXPECT_EQ(limiter.RetryAfter("user:alice", kNow + 5000), 0);
  limiter.RecordFailure("user:alice", kNow + 5000);
  EXPECT_EQ(limiter.RetryAfter("user:alice", kNow + 5000), 0);
}

TEST(RateLimiterTest, ResetClearsAKey) {
  RateLimiter limiter(3, 60);
  for (int i = 0; i < 3; ++i) limiter.RecordFailure("ip:10.0.0.1", kNow);
  EXPECT_EQ(limiter.RetryAfter("ip:10.0.0.1", kNow), 60);
  limiter.Reset("ip:10.0.0.1");
  EXPECT_EQ(limiter.RetryAfter("ip:10.0.0.1", kNow), 0);
  limiter.RecordFailure("ip:10.0.0.1", kNow);
  EXPECT_EQ(limiter.RetryAfter("ip:10.0.0.1", kNow), 0);
}

// Many keys (user names sprayed by an attacker) are forgotten once their failures expire.
TEST(RateLimiterTest, ManyKeysStayCorrect) {
  RateLimiter limiter(2, 100);
  for (int i = 0; i < 20000; ++i) limiter.RecordFailure("user:u" + std::to_string(i), kNow);
  limiter.RecordFailure("user:u7", kNow + 1);
  EXPECT_EQ(limiter.RetryAfter("user:u7", kNow + 1), 99);
  EXPECT_EQ(limiter.RetryAfter("user:u8", kNow + 1), 0);
  for (int i = 0; i < 20000; ++i) limiter.RecordFailure("user:v" + std::to_string(i), kNow + 200);
  EXPECT_EQ(limiter.RetryAfter("user:u7", kNow + 200), 0);
  limiter.RecordFailure("user:v3", kNow + 201);
  EXPECT_EQ(limiter.RetryAfter("user:v3", kNow + 201), 99);
}

TEST(NamesTest, RolesAndKinds) {
  for (Role r : {Role::kAdmin, Role::kAnalyst, Role::kOfficer, Role::kEnterprise, Role::kAuditor,
                 Role::kDevice}) {
    EXPECT_EQ(*ParseRole(RoleName(r)), r);
    EXPECT_FALSE(RoleNameZh(r).empty());
  }
  EXPECT_EQ(RoleName(Role::kOfficer), "officer");
  EXPECT_EQ(RoleNameZh(Role::kOfficer), "网格员");
  EXPECT_EQ(ParseRole("root").error().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(CredentialKindName(CredentialKind::kApiToken), "api");
  EXPECT_EQ(CredentialKindName(CredentialKind::kDeviceToken), "device");
}

// ---- the service, over a memory store with a small registry.

class AuthServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = store::OpenStore("memory:");
    ASSERT_TRUE(opened.ok());
    store_ = std::move(*opened);
    model::Zone z1, z2;
    z1.code = "Z01";
    z2.code = "Z02";
    model::Enterprise e;
    e.code = "91210106MA0XXXXX1X";
    e.zone_code = "Z01";
    model::Meter m1, m2;
    m1.code = "E001.EL.MAIN";
    m2.code = "E001.GAS";
    ASSERT_TRUE(store_->InsertRegistryBatch({z1, z2}, {e}, {m1, m2}).ok());
    auth_ = std::make_unique<AuthService>(*store_);
  }

  static User MakeUser(std::string name, Role role = Role::kAnalyst) {
    User u;
    u.username = std::move(name);
    u.display_name = "张伟";
    u.role = role;
    if (role == Role::kEnterprise) u.enterprise_code = "91210106MA0XXXXX1X";
    if (role == Role::kOfficer) u.zones = {"Z01"};
    return u;
  }
  User Create(std::string name, Role role = Role::kAnalyst) {
    auto u =
        auth_->CreateUser(MakeUser(std::move(name), role), role == Role::kDevice ? "" : kPassword);
    EXPECT_TRUE(u.ok()) << u.error().ToString();
    return u.ok() ? *u : User{};
  }
  Issued LoginOrDie(std::string_view name, int64_t now = kNow) {
    auto issued = auth_->Login(name, kPassword, "10.0.0.1", now);
    EXPECT_TRUE(issued.ok()) << issued.error().ToString();
    return issued.ok() ? *issued : Issued{};
  }

  std::unique_ptr<store::Store> store_;
  std::unique_ptr<AuthService> auth_;
};

TEST_F(AuthServiceTest, CreateUserNormalisesAndStores) {
  User u = MakeUser("Zhang.Wei@Park", Role::kOfficer);
  u.zones = {"Z02", "Z01", "Z02"};
  u.created_s = kNow;
  auto created = auth_->CreateUser(u, kPassword);
  ASSERT_TRUE(created.ok()) << created.error().ToString();
  EXPECT_GT(created->id, 0);
  EXPECT_EQ(created->username, "zhang.wei@park");
  EXPECT_THAT(created->zones, ElementsAre("Z02", "Z01"));
  EXPECT_EQ(created->created_s, kNow);

  auto found = auth_->FindUser("ZHANG.WEI@PARK");
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(found->id, created->id);
  EXPECT_EQ(found->role, Role::kOfficer);
  EXPECT_THAT(found->zones, ElementsAre("Z02", "Z01"));
  EXPECT_EQ(auth_->GetUser(created->id)->username, "zhang.wei@park");
  EXPECT_EQ(auth_->GetUser(999).error().code(), StatusCode::kNotFound);
  EXPECT_EQ(auth_->FindUser("nobody").error().code(), StatusCode::kNotFound);
  EXPECT_TRUE(*auth_->HasUsers());
  // The store keeps an Argon2id hash, never the password.
  auto row = **store_->FindUser("zhang.wei@park");
  EXPECT_THAT(row.password_hash, StartsWith("$argon2id$"));
  EXPECT_TRUE(VerifyPassword(row.password_hash, kPassword));
  EXPECT_EQ(row.zones, "Z02,Z01");

  // Enterprise codes are upper-cased; creation time defaults to now.
  User e = MakeUser("acme", Role::kEnterprise);
  e.enterprise_code = "91210106ma0xxxxx1x";
  auto ent = auth_->CreateUser(e, kPassword);
  ASSERT_TRUE(ent.ok()) << ent.error().ToString();
  EXPECT_EQ(ent->enterprise_code, "91210106MA0XXXXX1X");
  EXPECT_GT(ent->created_s, 0);
  EXPECT_EQ(auth_->ListUsers()->size(), 2u);
}

TEST_F(AuthServiceTest, CreateUserValidationErrors) {
  auto error = [&](User u, std::string_view password = kPassword) {
    auto r = auth_->CreateUser(std::move(u), password);
    EXPECT_FALSE(r.ok());
    return r.ok() ? Status() : r.error();
  };
  EXPECT_FALSE(*auth_->HasUsers());
  EXPECT_THAT(error(MakeUser("a")).message(), HasSubstr("username"));
  EXPECT_THAT(error(MakeUser(std::string(65, 'a'))).message(), HasSubstr("username"));
  EXPECT_THAT(error(MakeUser("zhang wei")).message(), HasSubstr("username"));
  EXPECT_THAT(error(MakeUser("张伟")).message(), HasSubstr("username"));
  EXPECT_THAT(error(MakeUser("bob"), "short").message(), HasSubstr("password"));
  EXPECT_THAT(error(MakeUser("bob.builder-1"), "Bob.Builder-1").message(), HasSubstr("user name"));

  User enterprise = MakeUser("acme", Role::kEnterprise);
  enterprise.enterprise_code.clear();
  EXPECT_THAT(error(enterprise).message(), HasSubstr("enterprise_code: required"));
  enterprise.enterprise_code = "91210106MA0NOSUCH0";
  EXPECT_THAT(error(enterprise).message(), HasSubstr("no enterprise '91210106MA0NOSUCH0'"));
  User analyst = MakeUser("ana");
  analyst.enterprise_code = "91210106MA0XXXXX1X";
  EXPECT_THAT(error(analyst).message(), HasSubstr("only for role enterprise"));

  User officer = MakeUser("officer1", Role::kOfficer);
  officer.zones.clear();
  EXPECT_THAT(error(officer).message(), HasSubstr("at least one zone"));
  officer.zones = {"Z01", "Z09"};
  EXPECT_THAT(error(officer).message(), HasSubstr("no zone 'Z09'"));
  officer.zones = {"Z01,Z02"};
  EXPECT_THAT(error(officer).message(), HasSubstr("not a valid code"));
  User admin = MakeUser("admin1", Role::kAdmin);
  admin.zones = {"Z01"};
  EXPECT_THAT(error(admin).message(), HasSubstr("only for role officer"));

  EXPECT_THAT(error(MakeUser("gateway", Role::kDevice), kPassword).message(),
              HasSubstr("device users have none"));
  EXPECT_FALSE(*auth_->HasUsers());  // nothing was written

  Create("alice");
  Status taken = error(MakeUser("ALICE", Role::kAuditor));
  EXPECT_EQ(taken.code(), StatusCode::kAlreadyExists);
  EXPECT_THAT(taken.message(), HasSubstr("'alice' is taken"));
  EXPECT_EQ(auth_->ListUsers()->size(), 1u);
}

TEST_F(AuthServiceTest, UpdateUserChangesRoleFieldsOnly) {
  User admin = Create("root", Role::kAdmin);
  User u = Create("wang.fang", Role::kOfficer);
  User changed = u;
  changed.username = "someone.else";  // ignored: names never change
  changed.display_name = "王芳";
  changed.role = Role::kEnterprise;
  changed.enterprise_code = "91210106MA0XXXXX1X";
  changed.zones.clear();
  auto updated = auth_->UpdateUser(changed);
  ASSERT_TRUE(updated.ok()) << updated.error().ToString();
  EXPECT_EQ(updated->username, "wang.fang");
  auto got = *auth_->GetUser(u.id);
  EXPECT_EQ(got.username, "wang.fang");
  EXPECT_EQ(got.display_name, "王芳");
  EXPECT_EQ(got.role, Role::kEnterprise);
  EXPECT_EQ(got.enterprise_code, "91210106MA0XXXXX1X");
  EXPECT_THAT(got.zones, IsEmpty());
  EXPECT_EQ(got.created_s, u.created_s);
  // The password survives an update.
  EXPECT_TRUE(auth_->Login("wang.fang", kPassword, "10.0.0.1", kNow).ok());

  changed.role = Role::kOfficer;  // officer with an enterprise
  EXPECT_THAT(auth_->UpdateUser(changed).error().message(), HasSubstr("only for role enterprise"));
  changed.enterprise_code.clear();  // officer without zones
  EXPECT_THAT(auth_->UpdateUser(changed).error().message(), HasSubstr("at least one zone"));
  changed.role = Role::kDevice;
  EXPECT_THAT(auth_->UpdateUser(changed).error().message(), HasSubstr("device account"));
  User ghost = changed;
  ghost.id = 999;
  EXPECT_EQ(auth_->UpdateUser(ghost).error().code(), StatusCode::kNotFound);

  // The last enabled administrator can be neither demoted nor disabled.
  User demoted = admin;
  demoted.role = Role::kAnalyst;
  EXPECT_EQ(auth_->UpdateUser(demoted).error().code(), StatusCode::kFailedPrecondition);
  User disabled = admin;
  disabled.disabled = true;
  EXPECT_EQ(auth_->UpdateUser(disabled).error().code(), StatusCode::kFailedPrecondition);
  User second = Create("root2", Role::kAdmin);
  EXPECT_TRUE(auth_->UpdateUser(disabled).ok());
  second.role = Role::kAuditor;
  EXPECT_EQ(auth_->UpdateUser(second).error().code(), StatusCode::kFailedPrecondition);
}

TEST_F(AuthServiceTest, SetPassword) {
  User u = Create("alice");
  EXPECT_THAT(auth_->SetPassword(u.id, "weak").message(), HasSubstr("at least 10"));
  ASSERT_TRUE(auth_->SetPassword(u.id, "New-password-2026").ok());
  EXPECT_EQ(auth_->Login("alice", kPassword, "10.0.0.1", kNow).error().code(),
            StatusCode::kUnauthenticated);
  EXPECT_TRUE(auth_->Login("alice", "New-password-2026", "10.0.0.1", kNow).ok());
  EXPECT_EQ(auth_->SetPassword(999, "New-password-2026").code(), StatusCode::kNotFound);
  User device = Create("gateway", Role::kDevice);
  EXPECT_EQ(auth_->SetPassword(device.id, "New-password-2026").code(),
            StatusCode::kFailedPrecondition);
}

TEST_F(AuthServiceTest, LoginIssuesASessionWithCsrf) {
  User u = Create("alice", Role::kAuditor);
  auto issued = auth_->Login("Alice", kPassword, "192.0.2.7", kNow);
  ASSERT_TRUE(issued.ok()) << issued.error().ToString();
  EXPECT_THAT(issued->secret, StartsWith("zp_"));
  EXPECT_THAT(issued->csrf, StartsWith("zp_"));
  EXPECT_NE(issued->secret, issued->csrf);
  EXPECT_EQ(issued->credential.kind, CredentialKind::kSession);
  EXPECT_EQ(issued->credential.user_id, u.id);
  EXPECT_EQ(issued->credential.expires_s, kNow + 8 * 3600);
  EXPECT_THAT(issued->credential.name, HasSubstr("192.0.2.7"));
  // Only hashes are stored.
  auto row = **store_->FindCredential(HashSecret(issued->secret));
  EXPECT_EQ(row.id, issued->credential.id);
  EXPECT_EQ(row.csrf_hash, HashSecret(issued->csrf));
  EXPECT_EQ(row.kind, "session");

  auto p = auth_->Authenticate(issued->secret, kNow + 10);
  ASSERT_TRUE(p.ok()) << p.error().ToString();
  EXPECT_EQ(p->user.id, u.id);
  EXPECT_EQ(p->user.role, Role::kAuditor);
  EXPECT_EQ(p->credential.id, issued->credential.id);
  EXPECT_FALSE(p->via_cookie);
  EXPECT_EQ(auth_->Authenticate(issued->csrf, kNow).error().code(), StatusCode::kUnauthenticated);
}

TEST_F(AuthServiceTest, WrongUserAndWrongPasswordLookTheSame) {
  Create("alice");
  Create("gateway", Role::kDevice);  // no password: cannot log in
  auto wrong_password = auth_->Login("alice", "Wrong-password-1", "10.0.0.1", kNow);
  auto wrong_user = auth_->Login("mallory", kPassword, "10.0.0.2", kNow);
  auto bad_name = auth_->Login("a b", kPassword, "10.0.0.3", kNow);
  auto device = auth_->Login("gateway", "", "10.0.0.4", kNow);
  for (const auto& r : {wrong_password, wrong_user, bad_name, device}) {
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error(), wrong_password.error());
  }
  EXPECT_EQ(wrong_password.error().code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(wrong_password.error().message(), "wrong user name or password / 用户名或密码错误");
}

// An unknown name costs an Argon2 verify too (within a factor, on a busy machine).
TEST_F(AuthServiceTest, UnknownUserTakesAsLongAsAWrongPassword) {
  Create("alice");
  auto time = [&](std::string_view name, std::string_view remote) {
    auto start = std::chrono::steady_clock::now();
    (void)auth_->Login(name, "Wrong-password-1", remote, kNow);
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };
  double known = 1e9, unknown = 1e9;
  for (int i = 0; i < 3; ++i) {
    known = std::min(known, time("alice", "10.0.0." + std::to_string(i)));
    unknown = std::min(unknown, time("nobody" + std::to_string(i), "10.0.1." + std::to_string(i)));
  }
  EXPECT_GT(unknown, known / 3) << "known " << known << " s, unknown " << unknown << " s";
}

TEST_F(AuthServiceTest, LockoutAfterFiveFailures) {
  Create("alice");
  for (int i = 0; i < 5; ++i) {
    auto r = auth_->Login("alice", "Wrong-password-" + std::to_string(i), "10.0.0.1", kNow + i);
    EXPECT_EQ(r.error().code(), StatusCode::kUnauthenticated);
  }
  // Locked: even the right password is refused, without being checked.
  auto locked = auth_->Login("alice", kPassword, "10.0.0.9", kNow + 10);
  ASSERT_FALSE(locked.ok());
  EXPECT_EQ(locked.error().code(), StatusCode::kResourceExhausted);
  EXPECT_THAT(locked.error().message(), HasSubstr("try again in 890 s"));
  EXPECT_THAT(locked.error().message(), HasSubstr("登录失败次数过多"));
  // The user key counts in any case.
  EXPECT_EQ(auth_->Login("ALICE", kPassword, "10.0.0.9", kNow + 10).error().code(),
            StatusCode::kResourceExhausted);
  // The address that failed is locked for other names too.
  Create("bob");
  EXPECT_EQ(auth_->Login("bob", kPassword, "10.0.0.1", kNow + 10).error().code(),
            StatusCode::kResourceExhausted);
  EXPECT_TRUE(auth_->Login("bob", kPassword, "10.0.0.2", kNow + 10).ok());
  // Once the window has passed, the right password works and clears the user's count.
  ASSERT_TRUE(auth_->Login("alice", kPassword, "10.0.0.9", kNow + 900).ok());
  EXPECT_EQ(auth_->limiter().RetryAfter("user:alice", kNow + 900), 0);
  for (int i = 0; i < 4; ++i) {
    (void)auth_->Login("alice", "Wrong-password-x", "10.0.0.9", kNow + 901);
  }
  EXPECT_TRUE(auth_->Login("alice", kPassword, "10.0.0.8", kNow + 902).ok());
}

TEST_F(AuthServiceTest, DisabledUser) {
  User admin = Create("root", Role::kAdmin);
  User u = Create("alice");
  Issued session = LoginOrDie("alice");
  auto token = auth_->IssueToken(u.id, CredentialKind::kApiToken, "script", {}, 0, kNow);
  ASSERT_TRUE(token.ok());
  u.disabled = true;
  ASSERT_TRUE(auth_->UpdateUser(u).ok());
  // The right password: told the account is disabled; a wrong one: the usual answer.
  auto login = auth_->Login("alice", kPassword, "10.0.0.1", kNow);
  EXPECT_EQ(login.error().code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(auth_->Login("alice", "Wrong-password-1", "10.0.0.1", kNow).error().code(),
            StatusCode::kUnauthenticated);
  // Existing credentials stop working, and come back when the user is enabled again.
  EXPECT_EQ(auth_->Authenticate(session.secret, kNow).error().code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(auth_->Authenticate(token->secret, kNow).error().code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(auth_->IssueToken(u.id, CredentialKind::kApiToken, "x", {}, 0, kNow).error().code(),
            StatusCode::kFailedPrecondition);
  u.disabled = false;
  ASSERT_TRUE(auth_->UpdateUser(u).ok());
  EXPECT_TRUE(auth_->Authenticate(token->secret, kNow).ok());
  (void)admin;
}

TEST_F(AuthServiceTest, SessionExpiresAndRevokes) {
  Create("alice");
  Issued s = LoginOrDie("alice");
  const int64_t expires = kNow + 8 * 3600;
  EXPECT_TRUE(auth_->Authenticate(s.secret, expires - 1).ok());
  auto expired = auth_->Authenticate(s.secret, expires);
  ASSERT_FALSE(expired.ok());
  EXPECT_EQ(expired.error().code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(expired.error().message(), "invalid or expired credential / 凭据无效或已过期");

  Issued s2 = LoginOrDie("alice");
  ASSERT_TRUE(auth_->Authenticate(s2.secret, kNow).ok());
  ASSERT_TRUE(auth_->Revoke(s2.credential.id).ok());
  auto revoked = auth_->Authenticate(s2.secret, kNow + 1);
  ASSERT_FALSE(revoked.ok());
  EXPECT_EQ(revoked.error(), expired.error());  // never says which
  // A later use (which would update last_used_s) does not un-revoke it.
  EXPECT_FALSE(auth_->Authenticate(s2.secret, kNow + 3600).ok());
  EXPECT_EQ(auth_->Revoke(999).code(), StatusCode::kNotFound);

  for (std::string_view junk :
       {"", "zp_", "garbage", "zp_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}) {
    EXPECT_EQ(auth_->Authenticate(junk, kNow).error(), expired.error()) << junk;
  }
  EXPECT_EQ(auth_->Authenticate(std::string(10000, 'z'), kNow).error(), expired.error());
}

TEST_F(AuthServiceTest, ApiTokens) {
  User u = Create("alice", Role::kAnalyst);
  auto forever = auth_->IssueToken(u.id, CredentialKind::kApiToken, "报表脚本", {}, 0, kNow);
  auto daily = auth_->IssueToken(u.id, CredentialKind::kApiToken, "cron", {}, kNow + 86400, kNow);
  ASSERT_TRUE(forever.ok() && daily.ok()) << forever.error().ToString();
  EXPECT_EQ(forever->credential.kind, CredentialKind::kApiToken);
  EXPECT_EQ(forever->credential.name, "报表脚本");
  EXPECT_EQ(forever->credential.expires_s, 0);
  EXPECT_TRUE(forever->csrf.empty());
  EXPECT_TRUE(auth_->Authenticate(forever->secret, kNow + 100LL * 365 * 86400).ok());
  EXPECT_TRUE(auth_->Authenticate(daily->secret, kNow + 86399).ok());
  EXPECT_EQ(auth_->Authenticate(daily->secret, kNow + 86400).error().code(),
            StatusCode::kUnauthenticated);

  EXPECT_THAT(
      auth_->IssueToken(u.id, CredentialKind::kApiToken, "x", {}, kNow, kNow).error().message(),
      HasSubstr("expires_s"));
  EXPECT_THAT(auth_->IssueToken(u.id, CredentialKind::kApiToken, "", {}, 0, kNow).error().message(),
              HasSubstr("name"));
  EXPECT_THAT(auth_->IssueToken(u.id, CredentialKind::kApiToken, "x", {"E001.GAS"}, 0, kNow)
                  .error()
                  .message(),
              HasSubstr("only for device tokens"));
  EXPECT_EQ(auth_->IssueToken(u.id, CredentialKind::kSession, "x", {}, 0, kNow).error().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(auth_->IssueToken(u.id, CredentialKind::kSetup, "x", {}, 0, kNow).error().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(auth_->IssueToken(999, CredentialKind::kApiToken, "x", {}, 0, kNow).error().code(),
            StatusCode::kNotFound);

  Create("bob");
  (void)LoginOrDie("bob");
  auto mine = *auth_->ListCredentials(u.id);
  ASSERT_EQ(mine.size(), 2u);
  EXPECT_EQ(mine[0].id, forever->credential.id);
  EXPECT_EQ(mine[1].id, daily->credential.id);
  EXPECT_TRUE(mine[0].csrf_hash.empty());
  EXPECT_EQ(auth_->ListCredentials(0)->size(), 3u);
  ASSERT_TRUE(auth_->Revoke(forever->credential.id).ok());
  EXPECT_TRUE((*auth_->ListCredentials(u.id))[0].revoked);
  EXPECT_FALSE(auth_->Authenticate(forever->secret, kNow).ok());
}

TEST_F(AuthServiceTest, DeviceTokensNeedDeviceUsersAndMeters) {
  User device = Create("gateway-01", Role::kDevice);
  User person = Create("alice");
  auto token = auth_->IssueToken(device.id, CredentialKind::kDeviceToken, "电表网关",
                                 {"E001.EL.MAIN", "E001.GAS", "E001.EL.MAIN"}, 0, kNow);
  ASSERT_TRUE(token.ok()) << token.error().ToString();
  EXPECT_EQ(token->credential.kind, CredentialKind::kDeviceToken);
  EXPECT_THAT(token->credential.meters, ElementsAre("E001.EL.MAIN", "E001.GAS"));
  auto p = auth_->Authenticate(token->secret, kNow);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->user.role, Role::kDevice);
  EXPECT_EQ(p->credential.kind, CredentialKind::kDeviceToken);
  EXPECT_THAT(p->credential.meters, ElementsAre("E001.EL.MAIN", "E001.GAS"));

  auto issue = [&](int64_t user, std::vector<std::string> meters) {
    auto r =
        auth_->IssueToken(user, CredentialKind::kDeviceToken, "gw", std::move(meters), 0, kNow);
    EXPECT_FALSE(r.ok());
    return r.ok() ? std::string() : r.error().message();
  };
  EXPECT_THAT(issue(device.id, {}), HasSubstr("at least one meter"));
  EXPECT_THAT(issue(device.id, {"E001.EL.MAIN", "E999"}), HasSubstr("no meter 'E999'"));
  EXPECT_THAT(issue(device.id, {""}), HasSubstr("not a valid code"));
  EXPECT_THAT(issue(person.id, {"E001.GAS"}), HasSubstr("only for users of role device"));
  // Device users may hold API tokens too.
  EXPECT_TRUE(auth_->IssueToken(device.id, CredentialKind::kApiToken, "api", {}, 0, kNow).ok());
}

TEST_F(AuthServiceTest, CsrfCheck) {
  Create("alice");
  Issued s = LoginOrDie("alice");
  auto p = auth_->Authenticate(s.secret, kNow);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->credential.csrf_hash, HashSecret(s.csrf));
  p->via_cookie = true;
  EXPECT_TRUE(auth_->CheckCsrf(*p, s.csrf));
  EXPECT_FALSE(auth_->CheckCsrf(*p, ""));
  EXPECT_FALSE(auth_->CheckCsrf(*p, s.secret));
  EXPECT_FALSE(auth_->CheckCsrf(*p, s.csrf + "x"));
  EXPECT_FALSE(auth_->CheckCsrf(*p, HashSecret(s.csrf)));  // the hash is not the token
  // Another session's token does not fit.
  Issued other = LoginOrDie("alice");
  EXPECT_FALSE(auth_->CheckCsrf(*p, other.csrf));
  // Bearer use needs no CSRF token.
  p->via_cookie = false;
  EXPECT_TRUE(auth_->CheckCsrf(*p, ""));
  // A cookie that is not a session (an API token sent as a cookie) never passes.
  User u = *auth_->FindUser("alice");
  auto token = auth_->IssueToken(u.id, CredentialKind::kApiToken, "x", {}, 0, kNow);
  auto tp = auth_->Authenticate(token->secret, kNow);
  ASSERT_TRUE(tp.ok());
  tp->via_cookie = true;
  EXPECT_FALSE(auth_->CheckCsrf(*tp, ""));
  EXPECT_FALSE(auth_->CheckCsrf(*tp, s.csrf));
}

TEST_F(AuthServiceTest, SetupTokenCreatesTheFirstAdminOnce) {
  auto first = auth_->CreateSetupToken(kNow);
  auto setup = auth_->CreateSetupToken(kNow + 1);  // replaces the first
  ASSERT_TRUE(first.ok() && setup.ok()) << first.error().ToString();
  EXPECT_EQ(setup->credential.kind, CredentialKind::kSetup);
  EXPECT_EQ(setup->credential.user_id, 0);
  EXPECT_EQ(setup->credential.expires_s, kNow + 1 + 3600);
  // A setup token is not a login.
  EXPECT_EQ(auth_->Authenticate(setup->secret, kNow + 2).error().code(),
            StatusCode::kUnauthenticated);

  User admin = MakeUser("Root", Role::kAnalyst);  // the role is forced to admin
  admin.disabled = true;                          // and the account enabled
  EXPECT_EQ(auth_->CompleteSetup(first->secret, admin, kPassword, kNow + 2).error().code(),
            StatusCode::kUnauthenticated);
  EXPECT_EQ(auth_->CompleteSetup("zp_wrong", admin, kPassword, kNow + 2).error().code(),
            StatusCode::kUnauthenticated);
  EXPECT_EQ(auth_->CompleteSetup(setup->secret, admin, kPassword, kNow + 1 + 3600).error().code(),
            StatusCode::kUnauthenticated);  // expired
  // A bad password leaves the token usable.
  EXPECT_THAT(auth_->CompleteSetup(setup->secret, admin, "short", kNow + 2).error().message(),
              HasSubstr("password"));
  EXPECT_FALSE(*auth_->HasUsers());

  auto created = auth_->CompleteSetup(setup->secret, admin, kPassword, kNow + 3);
  ASSERT_TRUE(created.ok()) << created.error().ToString();
  EXPECT_EQ(created->username, "root");
  EXPECT_EQ(created->role, Role::kAdmin);
  EXPECT_FALSE(created->disabled);
  EXPECT_EQ(created->created_s, kNow + 3);
  EXPECT_TRUE(auth_->Login("root", kPassword, "10.0.0.1", kNow + 4).ok());

  // One time only.
  User again = MakeUser("root2", Role::kAdmin);
  EXPECT_EQ(auth_->CompleteSetup(setup->secret, again, kPassword, kNow + 5).error().code(),
            StatusCode::kFailedPrecondition);
  EXPECT_EQ(auth_->CreateSetupToken(kNow + 5).error().code(), StatusCode::kFailedPrecondition);
  // The admin's login purged the two spent setup tokens; its session remains.
  const std::vector<Credential> credentials = *auth_->ListCredentials(0);
  ASSERT_EQ(credentials.size(), 1u);
  EXPECT_EQ(credentials[0].kind, CredentialKind::kSession);
  EXPECT_FALSE(credentials[0].revoked);
  EXPECT_EQ(auth_->ListUsers()->size(), 1u);
}

TEST_F(AuthServiceTest, LastUsedIsRecordedAtMostOnceAMinute) {
  User u = Create("alice");
  auto token = auth_->IssueToken(u.id, CredentialKind::kApiToken, "x", {}, 0, kNow);
  ASSERT_TRUE(token.ok());
  EXPECT_EQ(token->credential.last_used_s, 0);
  auto stored = [&] { return (**store_->FindCredential(HashSecret(token->secret))).last_used_s; };

  auto p = auth_->Authenticate(token->secret, kNow + 5);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->credential.last_used_s, kNow + 5);
  EXPECT_EQ(stored(), kNow + 5);
  ASSERT_TRUE(auth_->Authenticate(token->secret, kNow + 30).ok());
  EXPECT_EQ(stored(), kNow + 5);  // within the minute: no write
  EXPECT_EQ(auth_->Authenticate(token->secret, kNow + 64)->credential.last_used_s, kNow + 5);
  ASSERT_TRUE(auth_->Authenticate(token->secret, kNow + 65).ok());
  EXPECT_EQ(stored(), kNow + 65);
  // A session counts its login as a use.
  Issued s = LoginOrDie("alice", kNow + 100);
  EXPECT_EQ(s.credential.last_used_s, kNow + 100);
  ASSERT_TRUE(auth_->Authenticate(s.secret, kNow + 120).ok());
  EXPECT_EQ((**store_->FindCredential(HashSecret(s.secret))).last_used_s, kNow + 100);
}

TEST_F(AuthServiceTest, ConcurrentAuthenticateAndLogin) {
  User u = Create("alice");
  std::vector<std::string> secrets;
  for (int i = 0; i < 8; ++i) {
    secrets.push_back(
        auth_->IssueToken(u.id, CredentialKind::kApiToken, "t" + std::to_string(i), {}, 0, kNow)
            ->secret);
  }
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 200; ++i) {
        if (!auth_->Authenticate(secrets[(t + i) % secrets.size()], kNow + i).ok()) ++failures;
      }
      if (!auth_->Login("alice", kPassword, "10.0.0." + std::to_string(t), kNow).ok()) ++failures;
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures, 0);
  EXPECT_EQ(auth_->ListCredentials(u.id)->size(), 12u);
}

}  // namespace
}  // namespace zp::auth

namespace zp::auth {
namespace {

TEST(AuthPurgeTest, LoginDropsDeadSessionsHourly) {
  auto opened = store::OpenStore("memory:");
  ASSERT_TRUE(opened.ok());
  AuthService auth(**opened);
  User u;
  u.username = "purger";
  u.role = Role::kAnalyst;
  ASSERT_TRUE(auth.CreateUser(u, kPassword).ok());
  const int64_t t0 = kNow;
  ASSERT_TRUE(auth.Login("purger", kPassword, "10.0.0.1", t0).ok());
  auto first = auth.Login("purger", kPassword, "10.0.0.1", t0 + 60);
  ASSERT_TRUE(first.ok());
  ASSERT_TRUE(auth.Revoke(first->credential.id).ok());
  EXPECT_EQ((*opened)->ListCredentials(0)->size(), 2u);  // nothing purged within the hour
  // A day later both sessions are dead (expired, revoked) and the next login removes them.
  ASSERT_TRUE(auth.Login("purger", kPassword, "10.0.0.1", t0 + 86400).ok());
  auto left = (*opened)->ListCredentials(0);
  ASSERT_TRUE(left.ok());
  ASSERT_EQ(left->size(), 1u);
  EXPECT_GT(left->front().expires_s, t0 + 86400);
}

}  // namespace
}  // namespace zp::auth
